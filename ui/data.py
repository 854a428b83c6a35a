"""Data access for pages: one shared DuckDB connection and cached query results.

Cached results are keyed by the dataset's ``cache_key`` (dataset_id, version): a second visit
is instant, and an import (which bumps the version) makes every page recompute.
Registry reads (which datasets exist, which is active) are not cached: they are tiny and
change on rename and switch, which do not bump versions. The dataset_info table is cached
per registry snapshot (every dataset's id, name, version and active flag).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from custlib import db
from custlib import io as custio
from custlib.errors import DatasetNotFound

from . import state

# Column contract of custlib/sql/mart_monthly_overview.sql (documented in its header).
MONTHLY_OVERVIEW_COLUMNS = ("month", "revenue", "orders", "active_customers", "new_customers",
                            "returns_amount", "is_complete")


def _close(con) -> None:
    con.close()


@st.cache_resource(show_spinner=False, on_release=_close)
def get_conn():
    """The process-wide connection to $CUSTLIB_DB (custlib.db takes a cursor per call, so threads are safe)."""
    return db.connect(os.environ.get("CUSTLIB_DB") or db.DEFAULT_DB_PATH)


# --- the dataset registry (never cached) -----------------------------------------------------

def datasets() -> list[db.Dataset]:
    return db.list_datasets(get_conn())


def active_dataset() -> db.Dataset | None:
    """The active dataset, or None when the database holds no data yet."""
    try:
        return db.get_dataset(get_conn())
    except DatasetNotFound:
        return None


def dataset_info() -> pd.DataFrame:
    """One row per dataset (custlib/sql/dataset_info.sql), for the Data page's table."""
    registry = tuple((d.dataset_id, d.name, d.version, d.is_active) for d in datasets())
    return _dataset_info(registry)


def dataset_summary(dataset: db.Dataset) -> dict:
    """The dataset_info row of ``dataset``: counts, first_order_date, last_order_date (ISO text), total_amount."""
    frame = dataset_info()
    return frame[frame["name"] == dataset.name].iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=8)
def _dataset_info(registry: tuple) -> pd.DataFrame:
    return pd.DataFrame(db.dataset_info(get_conn()))


# --- cached queries keyed by (dataset_id, version) -------------------------------------------

@st.cache_data(show_spinner=False, max_entries=128)
def query(name: str, cache_key: tuple[int, int], **params) -> pd.DataFrame:
    """Named query ``custlib/sql/<name>.sql`` for the dataset of ``cache_key``, cached per dataset version.

    ``$dataset_id`` is bound from ``cache_key``; pass any other parameters by name.
    Example: ``query("mart_cohort_activity", ds.cache_key, as_of=date(2024, 12, 31), grain="month")``.
    """
    return db.query(get_conn(), name, dataset_id=cache_key[0], **params)


def monthly_overview(dataset: db.Dataset) -> pd.DataFrame:
    """Monthly revenue, orders, customers and returns of ``dataset`` (columns MONTHLY_OVERVIEW_COLUMNS)."""
    return query("mart_monthly_overview", dataset.cache_key)


def headline_months(monthly: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
    """The month the headline numbers describe and the month they are compared with.

    The latest complete month and the one before it; when no month is complete yet
    (less than a month of data), the latest month, with nothing to compare with.
    """
    if monthly.empty:
        return None, None
    complete = monthly[monthly["is_complete"]]
    if complete.empty:
        return monthly.iloc[-1], None
    current_index = complete.index[-1]
    position = monthly.index.get_loc(current_index)
    previous = monthly.iloc[position - 1] if position > 0 else None
    return monthly.loc[current_index], previous


@st.cache_data(show_spinner=False, max_entries=32)
def data_quality(cache_key: tuple[int, int]) -> dict:
    """Counts and shares that say how trustworthy a dataset is (one dict; shares are fractions)."""
    row = db.query(get_conn(), "mart_data_quality", dataset_id=cache_key[0]).iloc[0].to_dict()
    n = row["transactions"] or 0
    row["negative_amount_share"] = row["negative_amount_rows"] / n if n else None
    row["without_order_id_share"] = row["rows_without_order_id"] / n if n else None
    return row


# --- uploads ---------------------------------------------------------------------------------

def upload_path(uploaded) -> Path:
    """Write a st.file_uploader file to a temporary file once per upload and return its path.

    The suffix is kept (custlib.io reads the format from it and from the first bytes);
    the previous upload's temporary file is removed.
    """
    kept = st.session_state.get(state.DATA_UPLOAD_FILE)
    if kept and kept[0] == uploaded.file_id and Path(kept[1]).is_file():
        return Path(kept[1])
    if kept:
        shutil.rmtree(Path(kept[1]).parent, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix="cvs-upload-"))
    path = folder / ("upload" + Path(uploaded.name).suffix.lower())
    uploaded.seek(0)
    with path.open("wb") as handle:
        shutil.copyfileobj(uploaded, handle, 4 << 20)
    uploaded.seek(0)
    st.session_state[state.DATA_UPLOAD_FILE] = (uploaded.file_id, str(path))
    return path


@st.cache_data(show_spinner=False, max_entries=8)
def preview(path: str, file_id: str, table: str, has_header: bool | None, original_name: str):
    """First rows, guessed mapping (field -> header) and headers of an upload (custlib.io.preview_file)."""
    return custio.preview_file(path, table, has_header=has_header, rows=10, original_name=original_name)
