"""Shared fixtures: a real DuckDB file in a temp folder, and the public CDNOW sample (data/samples/cdnow)."""
from __future__ import annotations

from pathlib import Path

import pytest

from custlib import db

REPO_ROOT = Path(__file__).resolve().parents[1]


CDNOW_DIR = REPO_ROOT / "data" / "samples" / "cdnow"   # the public CDNOW sample, kept in the repository


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
