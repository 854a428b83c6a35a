"""Browser tests: one `streamlit run serve.py` per session on a free port, driven by Debian's chromium.

Playwright cannot download a browser offline, so it launches /usr/bin/chromium ($CHROMIUM_PATH).
Chinese screenshots need a CJK font (fonts-wqy-microhei; `make browser` installs it).
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

APP_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = APP_DIR / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM} (run `make browser`, or set CHROMIUM_PATH)")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # pytest-playwright hook fixture
    return {**browser_type_launch_args, "args": CHROMIUM_ARGS, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Tall viewport: Streamlit scrolls inside its own container, so full_page screenshots show only the viewport.
    return {**browser_context_args, "viewport": {"width": 1440, "height": 2000}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_database(path: Path, n_customers: int, seed: int) -> Path:
    """A database at ``path`` holding the seeded demo company as dataset "demo"."""
    from custlib import db, demo
    con = db.connect(path)
    try:
        demo.load_demo(con, "demo", n_customers=n_customers, seed=seed)
    finally:
        con.close()
    return path


def wait_until_answers(url: str, what: str, log_name: str, tries: int = 300) -> None:
    """Poll ``url`` every 0.1 s until it answers 200; RuntimeError naming ``what`` and its log otherwise."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start; see {log_name}")


@contextlib.contextmanager
def _serve(db_path: Path, log_dir: Path, *server_args: str, port: int | None = None, script: str = "serve.py",
           **extra_env: str):
    """`streamlit run serve.py` (as `make run` starts it) on a free port over the database at ``db_path``;
    yields its URL. ``script="app.py"``: the bare app, without the upload gate and sign-in cookie route.

    ``server_args`` go to streamlit (e.g. "--server.address", "0.0.0.0"); the shipped config binds 127.0.0.1."""
    port = port or _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CUSTLIB_ACCESS_")},
           "CUSTLIB_DB": str(db_path), **extra_env}
    log = (log_dir / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false", *server_args],
                            cwd=APP_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        wait_until_answers(f"{url}/_stcore/health", f"streamlit on port {port}", log.name)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """URL of the studio serving an empty database in a temp folder."""
    with _serve(tmp_path_factory.mktemp("db") / "e2e.duckdb", tmp_path_factory.mktemp("log")) as url:
        yield url


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory):
    """URL of a second studio serving the demo company (custlib.demo, 20,000 customers, seed 7)."""
    path = demo_database(tmp_path_factory.mktemp("demo") / "demo.duckdb", n_customers=20_000, seed=7)
    with _serve(path, tmp_path_factory.mktemp("demo_log")) as url:
        yield url


@pytest.fixture
def fresh_url(tmp_path):
    """URL of a studio that has just started and has served nobody yet (a small demo company)."""
    with _serve(demo_database(tmp_path / "fresh.duckdb", n_customers=1_000, seed=3), tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
