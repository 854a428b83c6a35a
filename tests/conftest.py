"""Shared fixtures: a real DuckDB file in a temp folder, and the public CDNOW sample."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from custlib import db

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The public test data: ../shared/data beside the checkout (CI lays a copy there too)."""
    candidates = [Path(os.environ["CUSTLIB_SHARED_DATA"])] if os.environ.get("CUSTLIB_SHARED_DATA") else []
    candidates += [REPO_ROOT.parent / "shared" / "data", REPO_ROOT / "tests" / "data" / "shared"]
    for candidate in candidates:
        if (candidate / "CDNOW_sample.txt").is_file():
            return candidate
    raise FileNotFoundError("CDNOW sample not found in ../shared/data (set CUSTLIB_SHARED_DATA)")


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
    return shared_data_dir()
