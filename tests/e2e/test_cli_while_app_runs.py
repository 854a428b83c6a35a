"""The command line reads while the real app runs (issue 14, row 14): the app holds the DuckDB file, which no
other process can then open, and answers the read commands itself (custlib.relay)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from custlib import relay

from .conftest import APP_DIR, _serve, demo_database

pytestmark = pytest.mark.e2e

LOAD = 30_000  # ms


def cli(db_path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "custlib", *argv, "--db", str(db_path)], capture_output=True,
                          text=True, cwd=APP_DIR, timeout=120)


def wait_for(path: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.1)


def test_the_command_line_reads_through_the_running_app(page: Page, tmp_path):
    path = demo_database(tmp_path / "running.duckdb", n_customers=1_000, seed=3)
    stopped = cli(path, "info"), cli(path, "audit", "--verify")
    assert [done.returncode for done in stopped] == [0, 0], [done.stderr for done in stopped]
    contact = relay.contact_file(path)
    with _serve(path, tmp_path):
        assert not contact.exists()  # the app opens its database with its first session
    with _serve(path, tmp_path) as url:
        page.goto(url)
        expect(page.get_by_text("What the data say")).to_be_visible(timeout=LOAD)
        wait_for(contact)
        running = cli(path, "info"), cli(path, "audit", "--verify")
        imported = cli(path, "import", str(APP_DIR / "data/samples/cdnow/CDNOW_sample.txt"), "--no-header",
                       "--map", "customer_id=2,order_date=3,quantity=4,amount=5")
    assert running[0].stdout.startswith("demo (active): version ") and "1,000 customers" in running[0].stdout
    assert [(d.returncode, d.stdout, d.stderr) for d in running] == [(d.returncode, d.stdout, d.stderr)
                                                                    for d in stopped]
    assert imported.returncode == 1 and "is in use by another program" in imported.stderr  # writes: the app
    # Stopped (SIGTERM, as a service manager stops it), the app removes its contact file; one left by an app
    # killed outright names an ended process, and nobody asks it (tests/test_relay.py).
    assert not contact.exists()
    after = cli(path, "info")
    assert (after.returncode, after.stdout, after.stderr) == (stopped[0].returncode, stopped[0].stdout, "")
