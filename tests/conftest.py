"""Shared fixtures: a real DuckDB file in a temp folder, and the public CDNOW sample (data/samples/cdnow)."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from custlib import db

REPO_ROOT = Path(__file__).resolve().parents[1]

CDNOW_DIR = REPO_ROOT / "data" / "samples" / "cdnow"   # the public CDNOW sample, kept in the repository

# A test run writes only inside the work tree: pytest's temporary folders (databases, uploads) go to
# test-output/pytest (emptied at the start of each run), and everything that asks the system for a
# temporary folder, this process and every server or browser it starts, gets test-output/tmp instead.
# Whatever is still in test-output/tmp when the run ends was left behind by our code, and fails the run.
TEST_OUTPUT = REPO_ROOT / "test-output"
SCRATCH = TEST_OUTPUT / "tmp"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if not config.option.basetemp:
        config.option.basetemp = str(TEST_OUTPUT / "pytest")
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    os.environ["TMPDIR"] = str(SCRATCH)
    tempfile.tempdir = None  # forget the cached default; the next call reads TMPDIR


def leftovers() -> list[str]:
    """What the run left in its temporary folder (names, newest first), less what is removed at exit by
    its owner: AppTest's module-level folder for scripts."""
    owned = set()
    if app_test := sys.modules.get("streamlit.testing.v1.app_test"):
        owned.add(Path(app_test.TMP_DIR.name).name)
    entries = sorted(SCRATCH.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True) if SCRATCH.is_dir() else []
    return [p.name for p in entries if p.name not in owned]


def pytest_sessionstart(session):
    # Registered before the plugins' own cleanups run (they run last-in, first-out), so this check runs
    # after pytest-playwright removes its artifacts folder; session.exitstatus is still returned after it.
    session.config.add_cleanup(lambda: _fail_on_leftovers(session))


def _fail_on_leftovers(session) -> None:
    left = leftovers()
    if left:
        sys.stderr.write(f"FAILED: the test run left {len(left)} file(s) in its temporary folder {SCRATCH}: "
                         f"{', '.join(left[:10])}{' ...' if len(left) > 10 else ''}\n")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "studio.duckdb"


@pytest.fixture
def con(db_path):
    connection = db.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def cdnow_dir() -> Path:
    return CDNOW_DIR
