"""Data access for pages: one shared DuckDB connection and cached query results.

Cached results are keyed by the dataset's ``cache_key`` (dataset_id, version): a second visit
is instant, and an import (which bumps the version) makes every page recompute.
Registry reads (which datasets exist, which is active) are not cached: they are tiny and
change on rename and switch, which do not bump versions. The dataset_info table is cached
per registry snapshot (every dataset's id, name, version and active flag).
"""
from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from custlib import (audit, cli, customers, db, features, filters, incoming, masking, relay, retention,
                     segments, valuation)
from custlib import datasets as dataset_registry
from custlib import io as custio
from custlib.errors import DatasetNotFound
from custlib.filters import CustomerFilter
from custlib.valuation import ValueSettings

from . import state

log = logging.getLogger(__name__)

# The relay of each open connection (custlib.relay), by id(connection): the command line cannot open the
# file while the app holds it, so the app answers its read commands.
_relays: dict[int, relay.Relay] = {}


def _close(con) -> None:
    if served := _relays.pop(id(con), None):
        served.close()
    con.close()


@st.cache_resource(show_spinner=False, on_release=_close)
def get_conn():
    """The process-wide connection to $CUSTLIB_DB (custlib.db takes a cursor per call, so threads are safe).

    It also answers the command line's read commands (custlib.relay); the app works without that."""
    path = os.environ.get("CUSTLIB_DB") or db.DEFAULT_DB_PATH
    con = db.connect(path)
    custio.sweep_leftovers(con)  # what an import killed mid-way left: unrecorded uploads, temporary folders
    try:
        _relays[id(con)] = relay.serve(con, path, cli.run_for_the_app)
    except (OSError, RuntimeError) as exc:  # no port, a folder it cannot write, no thread to spare
        log.warning("The command line cannot read %s while the app runs: %s", path, exc)
    return con


# --- the dataset registry (never cached) -----------------------------------------------------

def datasets() -> list[dataset_registry.Dataset]:
    return dataset_registry.list_datasets(get_conn())


def active_dataset() -> dataset_registry.Dataset | None:
    """The dataset this session looks at: its own choice while that dataset exists, else the default
    dataset (custlib.datasets' active flag); None when the database holds no data yet. One session's choice
    never changes what another session sees."""
    chosen = st.session_state.get(state.VIEW_DATASET_ID)
    if chosen is not None:
        found = next((d for d in datasets() if d.dataset_id == chosen), None)
        if found is not None:
            return found
        st.session_state.pop(state.VIEW_DATASET_ID, None)  # deleted meanwhile: back to the default
    try:
        return dataset_registry.get_dataset(get_conn())
    except DatasetNotFound:
        return None


def view_dataset(name: str) -> None:
    """Look at dataset ``name`` in this session only (the sidebar, a shared link)."""
    st.session_state[state.VIEW_DATASET_ID] = dataset_registry.get_dataset(get_conn(), name).dataset_id


def dataset_info() -> pd.DataFrame:
    """One row per dataset (custlib/sql/mart/mart_dataset_info.sql), for the Data page's table."""
    registry = tuple((d.dataset_id, d.name, d.version, d.is_active) for d in datasets())
    return _dataset_info(registry)


def dataset_summary(dataset: dataset_registry.Dataset) -> dict:
    """The dataset_info row of ``dataset``: counts, first_order_date, last_order_date (ISO text), total_amount."""
    frame = dataset_info()
    return frame[frame["name"] == dataset.name].iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=8)
def _dataset_info(registry: tuple) -> pd.DataFrame:
    return pd.DataFrame(dataset_registry.dataset_info(get_conn()))


# --- cached queries keyed by (dataset_id, version) -------------------------------------------

@st.cache_data(show_spinner=False, max_entries=128)
def query(name: str, cache_key: tuple[int, int], **params) -> pd.DataFrame:
    """Named query ``custlib/sql/mart/<name>.sql`` for the dataset of ``cache_key``, cached per dataset version.

    ``$dataset_id`` is bound from ``cache_key``; pass any other parameters by name.
    Example: ``query("mart_cohort_activity", ds.cache_key, as_of=date(2024, 12, 31), grain="month")``.
    """
    return db.query(get_conn(), name, dataset_id=cache_key[0], **params)


@st.cache_data(show_spinner=False, max_entries=32)
def data_quality(cache_key: tuple[int, int]) -> dict:
    """Counts and shares that say how trustworthy a dataset is (one dict; shares are fractions)."""
    row = db.query(get_conn(), "mart_data_quality", dataset_id=cache_key[0]).iloc[0].to_dict()
    n = row["transactions"] or 0
    row["negative_amount_share"] = row["negative_amount_rows"] / n if n else None
    row["without_order_id_share"] = row["rows_without_order_id"] / n if n else None
    return row


def audit_log(limit: int = 500, **filters) -> pd.DataFrame:
    """The latest audit entries matching ``filters`` (user, actions, since, until), newest first
    (custlib.audit.recent; uncached: it grows with every action)."""
    return audit.recent(get_conn(), limit, **filters)


# --- uploads ---------------------------------------------------------------------------------

def upload_path(uploaded) -> Path:
    """Write a st.file_uploader file to disk once per upload and return its path.

    The copy waits beside the database (custlib.incoming), not in the shared temporary folder; the
    session's previous upload is removed, and a copy swept away while idle is written again.
    """
    kept = st.session_state.get(state.DATA_UPLOAD_FILE)
    if kept and kept[0] == uploaded.file_id and incoming.touch(Path(kept[1])):
        return Path(kept[1])
    forget_upload()
    uploaded.seek(0)
    path = incoming.write_waiting(uploaded, db.database_path(get_conn()), Path(uploaded.name).suffix,
                                  owner=_session_owner())
    uploaded.seek(0)
    st.session_state[state.DATA_UPLOAD_FILE] = (uploaded.file_id, str(path))
    return path


def sweep_waiting_uploads() -> None:
    """Remove the waiting upload copies of sessions that have ended (app.py, on every run)."""
    incoming.sweep(incoming.incoming_dir(db.database_path(get_conn())), owner_alive=_session_alive)


def _session_owner() -> str | None:
    context = get_script_run_ctx()
    owner = context.session_id if context is not None else None
    return owner if owner and incoming.is_owner_name(owner) else None


def _session_alive(session_id: str) -> bool:
    # Streamlit keeps a disconnected session for server.disconnectedSessionTTL (2 minutes) for reconnection.
    return not Runtime.exists() or bool(Runtime.instance().is_active_session(session_id))


def forget_upload() -> None:
    """Remove this session's waiting upload copy, if any (the upload was cleared or replaced)."""
    if kept := st.session_state.pop(state.DATA_UPLOAD_FILE, None):
        incoming.discard(kept[1])


@st.cache_data(show_spinner=False, max_entries=8)
def preview(path: str, file_id: str, table: str, has_header: bool | None, original_name: str):
    """First rows, guessed mapping (field -> header) and headers of an upload (custlib.io.preview_file)."""
    return custio.preview_file(path, table, has_header=has_header, rows=10, original_name=original_name)


# --- analyses as of a date, for the customers a view selects ----------------------------------
# Every function below is cached by (dataset_id, version) + as-of date + settings + filter: a second
# visit to a page is instant. The purchase and spend models are fitted once per (dataset version,
# as-of, value settings) on ALL customers (value_snapshot); filters then select rows of the result,
# so a customer's CLV is the same in every view. Pages show a spinner around the first call.

@st.cache_data(show_spinner=False, max_entries=16)
def customer_attributes(cache_key: tuple[int, int], as_of: date) -> pd.DataFrame:
    """custlib.filters.customer_attributes: what the sidebar filters select on, one row per customer."""
    return filters.customer_attributes(get_conn(), cache_key[0], as_of)


@st.cache_data(show_spinner=False, max_entries=16)
def filter_options(cache_key: tuple[int, int], as_of: date) -> dict[str, list[str]]:
    """The values each sidebar filter can take as of ``as_of``."""
    attributes = customer_attributes(cache_key, as_of)
    return filters.filter_options(attributes)


@st.cache_data(show_spinner=False, max_entries=32)
def selected_ids(cache_key: tuple[int, int], as_of: date, customer_filter: CustomerFilter) -> list[str] | None:
    """Ids of the customers the filter selects (sorted), or None for "every customer"."""
    attributes = customer_attributes(cache_key, as_of)
    ids = filters.matching_customers(attributes, customer_filter)
    return None if ids is None else ids.tolist()


@st.cache_data(show_spinner=False, max_entries=32)
def period_activity(cache_key: tuple[int, int], as_of: date, grain: str,
                    customer_filter: CustomerFilter) -> pd.DataFrame:
    """custlib.retention.period_activity of the customers the filter selects, cached."""
    ids = selected_ids(cache_key, as_of, customer_filter)
    return retention.period_activity(get_conn(), cache_key[0], as_of, grain, customer_ids=ids)


# few: a book keeps whole per-customer tables (at 1M customers several hundred MB each)
@st.cache_resource(show_spinner=False, max_entries=4)
def book(cache_key: tuple[int, int], as_of: date, settings: ValueSettings) -> customers.CustomerBook:
    """The per-customer results of a dataset version, date and value settings, shared by every page and
    session: custlib makes each once (the model choice, the value snapshot, the features, the value table,
    the churn scores). The functions below hand out copies of them (st.cache_data), which pages may change."""
    return customers.CustomerBook(get_conn(), cache_key[0], as_of, settings)


@st.cache_data(show_spinner=False, max_entries=8)
def model_choice(cache_key: tuple[int, int], as_of: date, settings: ValueSettings) -> valuation.ModelChoice:
    """Which purchase model predicts best on a holdout inside the history (three models fitted)."""
    return book(cache_key, as_of, settings).model_choice()


@st.cache_data(show_spinner=False, max_entries=16)
def value_snapshot(cache_key: tuple[int, int], as_of: date, settings: ValueSettings) -> valuation.ValueSnapshot:
    """The one model fit shared by every page (with model "auto", of the model the holdout picks)."""
    return book(cache_key, as_of, settings).value()


@st.cache_data(show_spinner=False, max_entries=16)
def customer_table(cache_key: tuple[int, int], as_of: date, settings: ValueSettings) -> pd.DataFrame:
    """custlib.customers.value_table of the dataset (every customer, indexed by customer_id)."""
    return book(cache_key, as_of, settings).value_table()


@st.cache_data(show_spinner=False, max_entries=32)
def customers_in_view(cache_key: tuple[int, int], as_of: date, settings: ValueSettings,
                      customer_filter: CustomerFilter) -> pd.DataFrame:
    """customer_table restricted to the customers the filter selects."""
    frame = customer_table(cache_key, as_of, settings)
    ids = selected_ids(cache_key, as_of, customer_filter)
    return frame if ids is None else frame[frame.index.isin(ids)]


@st.cache_data(show_spinner=False, max_entries=16)
def clusters(cache_key: tuple[int, int], as_of: date, n_clusters: int | None) -> tuple[pd.Series, pd.Series]:
    """k-means clusters of all customers on log R, F, M: (cluster per customer id, words per cluster).

    ``n_clusters`` None lets the silhouette score choose k among 2..6. k is chosen on a sample of
    2,000 customers with 3 initialisations, which keeps the first visit to a few seconds.
    """
    rfm = segments.rfm_table(features.customer_features(get_conn(), cache_key[0], as_of))
    k_values = tuple(range(2, 7)) if n_clusters is None else (int(n_clusters),)
    model = segments.RFMClusterer(k_values=k_values, sample_size=2_000, n_init=3, random_state=0).fit(rfm)
    return pd.Series(model.labels_, index=rfm["customer_id"].to_numpy(), name="cluster"), model.descriptions_


@st.cache_data(show_spinner=False, max_entries=16)
def cohorts(cache_key: tuple[int, int], as_of: date, grain: str, customer_filter: CustomerFilter) -> pd.DataFrame:
    """Cohort retention of the selected customers (columns of retention.COHORT_COLUMNS)."""
    ids = selected_ids(cache_key, as_of, customer_filter)
    return retention.cohort_retention(get_conn(), cache_key[0], as_of, grain, customer_ids=ids)


def _groups(cache_key, as_of, customer_filter) -> pd.DataFrame | None:
    ids = selected_ids(cache_key, as_of, customer_filter)
    return None if ids is None else pd.DataFrame({"customer_id": ids, "group": "selected"})


@st.cache_data(show_spinner=False, max_entries=16)
def nps_trend(cache_key: tuple[int, int], as_of: date, grain: str, customer_filter: CustomerFilter) -> pd.DataFrame:
    """NPS and satisfaction per ended period of the selected customers (retention.nps_over_time)."""
    groups = _groups(cache_key, as_of, customer_filter)
    table = retention.nps_over_time(get_conn(), cache_key[0], as_of, grain=grain, groups=groups)
    if groups is not None:
        table = table[table["group"] == "selected"].drop(columns="group").reset_index(drop=True)
    return table


@st.cache_data(show_spinner=False, max_entries=32)
def nps_between(cache_key: tuple[int, int], start: date, end: date, as_of: date,
                customer_filter: CustomerFilter) -> dict:
    """NPS of the selected customers from their latest answer between ``start`` and ``end`` (retention.nps_summary)."""
    groups = _groups(cache_key, as_of, customer_filter)
    table = retention.nps_summary(get_conn(), cache_key[0], end, since=start, groups=groups)
    if groups is not None:
        table = table[table["group"] == "selected"]
    return table.iloc[0].to_dict() if len(table) else {"nps": None, "nps_responses": 0}


@st.cache_data(show_spinner=False, max_entries=8)
def stages_at(cache_key: tuple[int, int], as_of: date, settings: ValueSettings) -> pd.Series:
    """Lifecycle stage of every customer as of a date (P(alive) from that date's model fit)."""
    return customer_table(cache_key, as_of, settings)["stage"]


def contacts(cache_key: tuple[int, int], ids: tuple[str, ...]) -> pd.DataFrame:
    """Name and email of these customers, indexed by customer_id, only the columns that hold any value;
    masked unless the signed-in user's role may see them (custlib.masking.mask_contacts).

    The one place pages read contact details, so every page and export that shows them is masked alike.
    """
    role = state.signed_in_role()
    return _contacts(cache_key, ids, role.name if role is not None else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _contacts(cache_key: tuple[int, int], ids: tuple[str, ...], role: str | None) -> pd.DataFrame:
    frame = db.query(get_conn(), "mart_page_customer_contacts", dataset_id=cache_key[0], customer_ids=list(ids))
    frame = masking.mask_contacts(frame.set_index("customer_id"), role)
    return frame[[c for c in frame.columns if frame[c].notna().any()]]


def headline_periods(activity: pd.DataFrame) -> tuple[dict | None, dict | None]:
    """The period the headline numbers describe and the one they are compared with (rows as dicts).

    The latest complete period and the one before it; when none is complete yet, the period to
    date, with nothing to compare with. Rows of mart_period_activity.
    """
    if activity.empty:
        return None, None
    complete = activity.index[activity["is_complete"]]
    if len(complete) == 0:
        return activity.iloc[-1].to_dict(), None
    position = activity.index.get_loc(complete[-1])
    previous = activity.iloc[position - 1].to_dict() if position > 0 else None
    return activity.iloc[position].to_dict(), previous


@st.cache_data(show_spinner=False, max_entries=16)
def value_or_none(cache_key: tuple[int, int], as_of: date, settings: ValueSettings):
    """value_snapshot, or None when the models cannot be fitted on these data (too few customers or repeats)."""
    return book(cache_key, as_of, settings).value_or_none()


@st.cache_data(show_spinner=False, max_entries=32)
def selected_count(cache_key: tuple[int, int], as_of: date, customer_filter: CustomerFilter) -> int:
    """How many customers (with a purchase by ``as_of``) the filter selects."""
    attributes = customer_attributes(cache_key, as_of)
    ids = filters.matching_customers(attributes, customer_filter)
    return len(attributes) if ids is None else len(ids)


@st.cache_data(show_spinner=False, max_entries=16)
def cohort_projection(cache_key: tuple[int, int], as_of: date, grain: str, customer_filter: CustomerFilter,
                      periods_ahead: int) -> pd.DataFrame:
    """retention.project_cohorts of the selected customers' retention matrix (one sBG fit per cohort)."""
    table = cohorts(cache_key, as_of, grain, customer_filter)
    return retention.project_cohorts(retention.retention_matrix(table, "retention_share"), periods_ahead)


@st.cache_data(show_spinner=False, max_entries=16)
def stage_moves(cache_key: tuple[int, int], start: date, as_of: date, settings: ValueSettings,
                customer_filter: CustomerFilter) -> pd.DataFrame:
    """Customers moving between lifecycle stages from ``start`` to ``as_of`` (segments.migration_matrix counts).

    Each side's stages use only the data known on its date (the models are fitted for each date); only
    the customers the filter selects (as of ``as_of``) are counted.
    """
    before = stages_at(cache_key, start, settings)
    after = stages_at(cache_key, as_of, settings)
    ids = selected_ids(cache_key, as_of, customer_filter)
    if ids is not None:
        before, after = before[before.index.isin(ids)], after[after.index.isin(ids)]
    return segments.migration_matrix(before, after, labels=segments.STAGES).counts
