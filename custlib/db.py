"""Where the data live: the DuckDB file, its schema, the dataset registry, safe reads and writes.

Several named datasets share one file. Every data table carries ``dataset_id``;
``datasets.version`` goes up on every change to a dataset so that callers (the
app's caches) can key results by ``(dataset_id, version)``.

Threads: DuckDB connections must not be shared across threads, so every read
and write here takes its own cursor. Writes are serialised by one process-wide
lock and run inside a single transaction: on any error the file is left exactly
as it was.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from .errors import CustlibError, DatabaseBusy, DatasetNotFound

DEFAULT_DB_PATH = Path("data") / "studio.duckdb"
SQL_DIR = Path(__file__).with_name("sql")
# The SQL layers, like a dbt project: stg_ (one cleaned view per stored table) and int_ (shared building
# blocks) are views without parameters made when a database is opened; mart_ queries take the parameters
# (dataset, as-of date) and read only stg_ and int_ views. See docs/architecture.md.
VIEW_LAYERS = ("stg", "int")
SQL_LAYERS = VIEW_LAYERS + ("mart",)
SCHEMA_VERSION = 1

# Canonical columns of each user table, in order, with their DuckDB types.
# Every stored row also has dataset_id, import_id and source_row (its row in
# the uploaded file, header excluded) so any number can be traced to its origin.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "transactions": {
        "customer_id": "VARCHAR",
        "order_id": "VARCHAR",
        "order_date": "DATE",
        "amount": "DOUBLE",  # negative = return or refund
        "quantity": "DOUBLE",
        "channel": "VARCHAR",
        "category": "VARCHAR",
        "product": "VARCHAR",
        "region": "VARCHAR",
        "is_promo": "BOOLEAN",
        "discount_amount": "DOUBLE",
    },
    "customers": {
        "customer_id": "VARCHAR",
        "name": "VARCHAR",
        "email": "VARCHAR",
        "phone": "VARCHAR",
        "signup_date": "DATE",
        "region": "VARCHAR",
        "industry": "VARCHAR",
        "company_size": "VARCHAR",
        "account_manager": "VARCHAR",
    },
    "interactions": {
        "customer_id": "VARCHAR",
        "interaction_at": "TIMESTAMP",
        "kind": "VARCHAR",
        "nps_score": "INTEGER",
        "satisfaction": "INTEGER",
        "note": "VARCHAR",
    },
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("customer_id", "order_date", "amount"),
    "customers": ("customer_id",),
    "interactions": ("customer_id", "interaction_at"),
}
INTERACTION_KINDS = ("call", "visit", "email", "ticket", "complaint", "survey")
# The stored per-customer scores (custlib.scores.store_scores), in order, with their DuckDB types.
SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "varchar", "recency_score": "tinyint", "frequency_score": "tinyint",
    "monetary_score": "tinyint", "segment": "varchar", "tier": "varchar", "stage": "varchar",
    "probability_alive": "double", "expected_purchases": "double", "expected_next_order_date": "date",
    "clv": "double", "clv_lower": "double", "clv_upper": "double", "churn_probability": "double",
    "value_at_risk": "double", "reason_1": "varchar", "reason_1_a": "double", "reason_1_b": "double",
    "reason_2": "varchar", "reason_2_a": "double", "reason_2_b": "double", "reason_3": "varchar",
    "reason_3_a": "double", "reason_3_b": "double",
    "action": "varchar"}

_WRITE_LOCK = threading.RLock()


@dataclass(frozen=True)
class Dataset:
    dataset_id: int
    name: str
    version: int
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def cache_key(self) -> tuple[int, int]:
        """What a cached result depends on: changes on every import or deletion."""
        return (self.dataset_id, self.version)


def default_db_path() -> Path:
    return Path(os.environ.get("CUSTLIB_DB") or DEFAULT_DB_PATH)


def connect(path: str | os.PathLike | None = None, read_only: bool = False,
            _upgrading: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and if needed create) the studio database at ``path``.

    Raises DatabaseBusy, in one sentence, when another process holds the file.
    """
    db_path = Path(path) if path is not None else default_db_path()
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    elif not db_path.exists():
        raise CustlibError(f"No database at {db_path}. Create one with `python -m custlib demo --db {db_path}` "
                           f"or import a file into it.")
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(
                f"The database {db_path} is in use by another program (most likely the running app). "
                f"Import through the app's Data page, or stop the app and run the command again."
            ) from None
        raise CustlibError(f"Cannot open the database {db_path}: {exc}") from None
    except duckdb.Error as exc:
        raise CustlibError(f"{db_path} is not a usable DuckDB database: {exc}") from None
    con.execute("set enable_progress_bar = false")
    if not read_only:
        ensure_schema(con)
    elif not views_are_current(con) and not _upgrading:
        # a file made (or last opened for writing) by an older version: bring its views up to date once
        con.close()
        connect(db_path).close()
        return connect(db_path, read_only=True, _upgrading=True)
    return con


def uploads_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Folder beside the database file where original uploads are kept for provenance."""
    return uploads_folder(database_path(con))


def uploads_folder(database: str | os.PathLike) -> Path:
    """``<database file>.uploads``: one database's own, so that what is in it can be checked against its
    imports (databases made before it kept theirs in a shared ``uploads/``, which is left as it is)."""
    database = Path(database)
    return database.with_name(database.name + ".uploads")


def database_path(con: duckdb.DuckDBPyConnection) -> Path:
    rows = con.cursor().execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0])


# Columns that databases made by earlier versions carry on each user table: imports then marked failed
# rows there before deleting them. Rows are now checked in a temp table, so the columns are dropped.
RETIRED_COLUMNS = ("import_flags", "import_values")


def _table_ddl(table: str) -> str:
    columns = ",\n  ".join(f"{name} {dtype}" for name, dtype in TABLE_COLUMNS[table].items())
    return (f"create table if not exists {table} (\n  dataset_id integer not null,\n  import_id integer not null,\n"
            f"  source_row bigint not null,\n  {columns}\n)")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    with write_transaction(con) as cur:
        cur.execute("create sequence if not exists dataset_ids start 1")
        cur.execute("create sequence if not exists import_ids start 1")
        cur.execute("""
            create table if not exists meta (key varchar primary key, value varchar not null)""")
        cur.execute("""
            create table if not exists datasets (
              dataset_id integer primary key default nextval('dataset_ids'),
              name varchar not null unique,
              version integer not null default 1,
              is_active boolean not null default false,
              created_at timestamp not null default current_timestamp,
              updated_at timestamp not null default current_timestamp
            )""")
        cur.execute("""
            create table if not exists imports (
              import_id integer primary key default nextval('import_ids'),
              dataset_id integer not null,
              table_name varchar not null,
              file_name varchar not null,
              stored_path varchar,
              sha256 varchar,
              mode varchar not null,
              rows_read bigint not null,
              rows_loaded bigint not null,
              rows_rejected bigint not null,
              mapping json,
              report json,
              imported_at timestamp not null default current_timestamp
            )""")
        for table in TABLE_COLUMNS:
            cur.execute(_table_ddl(table))
            for column in RETIRED_COLUMNS:
                cur.execute(f"alter table {table} drop column if exists {column}")
        # Who imported, deleted and exported what (custlib.audit). Created when missing, so databases made
        # before the log existed gain it when next opened for writing. Its dataset_id is a reference
        # (ids are never reused), not ownership: deleting a dataset keeps its entries (see delete_dataset).
        cur.execute("create sequence if not exists audit_ids start 1")
        cur.execute("""
            create table if not exists audit_log (
              audit_id bigint primary key default nextval('audit_ids'),
              recorded_at timestamp not null,  -- UTC
              user_name varchar not null,
              role varchar,                    -- null: the command line or a library call (no role check)
              via varchar not null,            -- app, cli or python
              action varchar not null,         -- custlib.audit.ACTIONS
              dataset_name varchar,
              dataset_id integer,
              detail json
            )""")
        # The hash chain (custlib.audit.verify); entries from before it existed are sealed here, in order.
        cur.execute("alter table audit_log add column if not exists prev_hash varchar")
        cur.execute("alter table audit_log add column if not exists entry_hash varchar")
        from . import audit  # audit builds on this module: imported on use
        audit.seal_unsealed(cur)
        _create_saved_work_tables(cur)
        cur.execute("insert or ignore into meta values ('schema_version', ?)", [str(SCHEMA_VERSION)])
        _create_views(cur)


def view_names() -> list[str]:
    """The stg_ and int_ views, each after the views it reads (so they can be created in this order)."""
    texts = {path.stem: path.read_text(encoding="utf-8") for layer in VIEW_LAYERS
             for path in sorted((SQL_DIR / layer).glob("*.sql"))}
    reads = {name: {other for other in texts if other != name and re.search(rf"\b{other}\b", text)}
             for name, text in texts.items()}
    ordered: list[str] = []
    while len(ordered) < len(texts):
        ready = [name for name in texts if name not in ordered and reads[name] <= set(ordered)]
        if not ready:
            raise RuntimeError(f"the SQL views read each other in a circle: {sorted(set(texts) - set(ordered))}")
        ordered.extend(ready)
    return ordered


def views_version() -> str:
    """A fingerprint of the view definitions: a database whose views were made from other text re-creates them."""
    digest = hashlib.sha256()
    for name in view_names():
        digest.update(name.encode() + b"\0" + sql_text(name).encode() + b"\0")
    return digest.hexdigest()[:16]


def views_are_current(cur) -> bool:
    try:
        row = cur.execute("select value from meta where key = 'views_version'").fetchone()
    except duckdb.CatalogException:
        return False
    return row is not None and row[0] == views_version()


def _create_views(cur) -> None:
    """(Re)create the stg_ and int_ views when their definitions changed since the file last saw them."""
    if views_are_current(cur):
        return
    names = view_names()
    for name in reversed(names):
        cur.execute(f"drop view if exists {name}")
    for name in names:
        cur.execute(f"create view {name} as\n{sql_text(name)}")
    cur.execute("insert or replace into meta values ('views_version', ?)", [views_version()])


def _create_saved_work_tables(cur) -> None:
    """Capacity settings, simulator scenarios and stored scores: made here, when the database is opened,
    so that reading them never needs the write lock (a page read would otherwise wait behind an import)."""
    cur.execute("create sequence if not exists capacity_change_ids start 1")
    cur.execute("""
        create table if not exists capacity_settings (
          dataset_id integer not null,
          tier varchar not null,
          max_customers_per_manager integer not null,
          contacts_per_quarter double not null,
          retention_budget_amount double not null,
          updated_at timestamp not null,
          primary key (dataset_id, tier)
        )""")
    cur.execute("""
        create table if not exists capacity_settings_history (
          change_id integer primary key default nextval('capacity_change_ids'),
          dataset_id integer not null,
          changed_at timestamp not null,
          tier varchar not null,
          setting varchar not null,
          old_value double,
          new_value double not null,
          note varchar
        )""")
    # who made the change (added later: rows of older databases have none)
    cur.execute("alter table capacity_settings_history add column if not exists changed_by varchar")
    cur.execute("create sequence if not exists sim_scenario_ids start 1")
    cur.execute("""
        create table if not exists sim_scenarios (
          scenario_id integer primary key default nextval('sim_scenario_ids'),
          dataset_id integer not null,
          name varchar not null,
          created_at timestamp not null default current_timestamp,
          as_of date,
          scenario json not null,
          assumptions json not null,
          result json not null
        )""")
    # who saved it (added later: scenarios of older databases have none)
    cur.execute("alter table sim_scenarios add column if not exists saved_by varchar")
    score_columns = ", ".join(f"{name} {kind}" for name, kind in SCORE_COLUMNS.items())
    cur.execute(f"create table if not exists customer_scores (dataset_id integer not null, as_of date not null, "
                f"scored_at timestamp not null default current_timestamp, {score_columns})")
    # reasons became codes with their numbers (custlib.messages): tables of older versions gain the numbers
    for name, kind in SCORE_COLUMNS.items():
        cur.execute(f"alter table customer_scores add column if not exists {name} {kind}")



@contextlib.contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection | None = None):
    """One serialised, all-or-nothing write: commits on success, rolls back on any error.

    ``cursor``: run it on this cursor (which the caller keeps open), e.g. one whose temp tables hold
    rows staged beforehand without the lock; by default a fresh cursor, closed afterwards.
    """
    with _WRITE_LOCK:
        cur = cursor if cursor is not None else con.cursor()
        cur.execute("begin transaction")
        try:
            yield cur
            cur.execute("commit")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("rollback")
            raise
        finally:
            if cursor is None:
                cur.close()


@contextlib.contextmanager
def read_cursor(con: duckdb.DuckDBPyConnection):
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """The text of the named query or view ``custlib/sql/<layer>/<name>.sql`` (the layer is its prefix)."""
    layer = name.split("_", 1)[0]
    path = SQL_DIR / layer / f"{name}.sql"
    if layer not in SQL_LAYERS or not path.is_file():
        raise KeyError(f"no query named {name!r} in {SQL_DIR}")
    return path.read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run the named query with bound ``$parameters`` and return a DataFrame."""
    with read_cursor(con) as cur:
        return cur.execute(sql_text(name), params).df()


def last_order_date(con: duckdb.DuckDBPyConnection, dataset_id: int) -> date | None:
    """The dataset's last order date (None when it has no lines): the as-of date used when none is given."""
    value = query(con, "mart_last_order_date", dataset_id=int(dataset_id))["last_order_date"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).date()


def query_df(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> pd.DataFrame:
    with read_cursor(con) as cur:
        return cur.execute(sql, params or []).df()


# --- dataset registry -------------------------------------------------------

_DATASET_COLUMNS = "dataset_id, name, version, is_active, created_at, updated_at"


def list_datasets(con: duckdb.DuckDBPyConnection) -> list[Dataset]:
    with read_cursor(con) as cur:
        rows = cur.execute(f"select {_DATASET_COLUMNS} from datasets order by dataset_id").fetchall()
    return [Dataset(*row) for row in rows]


def get_dataset(con: duckdb.DuckDBPyConnection, name: str | None = None) -> Dataset:
    """The dataset called ``name``, or the active one when ``name`` is None."""
    with read_cursor(con) as cur:
        if name is None:
            rows = cur.execute(f"select {_DATASET_COLUMNS} from datasets where is_active").fetchall()
            if not rows:
                raise DatasetNotFound("There is no data yet: load the demo dataset or import a file.")
        else:
            rows = cur.execute(f"select {_DATASET_COLUMNS} from datasets where name = ?", [name]).fetchall()
            if not rows:
                known = ", ".join(d.name for d in list_datasets(con)) or "none"
                raise DatasetNotFound(f"There is no dataset named {name!r} (datasets: {known}).")
    return Dataset(*rows[0])


def ensure_dataset(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    """Id of dataset ``name`` inside a write transaction, creating it (active if it is the first)."""
    name = validate_dataset_name(name)
    rows = cur.execute("select dataset_id from datasets where name = ?", [name]).fetchall()
    if rows:
        return rows[0][0]
    has_active = cur.execute("select count(*) from datasets where is_active").fetchall()[0][0] > 0
    return cur.execute("insert into datasets (name, is_active) values (?, ?) returning dataset_id",
                       [name, not has_active]).fetchall()[0][0]


def validate_dataset_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 100 or any(ord(ch) < 32 for ch in cleaned):
        raise CustlibError("A dataset name must be 1 to 100 printable characters.")
    return cleaned


def bump_version(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    cur.execute("update datasets set version = version + 1, updated_at = current_timestamp where dataset_id = ?",
                [dataset_id])


def set_active(con: duckdb.DuckDBPyConnection, name: str, actor=None) -> Dataset:
    """Make ``name`` the default dataset: the one sessions (and commands without --dataset) start with.

    ``actor`` needs ``can_import_and_delete``; the change is in the audit log.
    """
    from . import audit  # audit builds on this module: imported on use

    dataset = get_dataset(con, name)
    audit.authorize(con, actor, "can_import_and_delete", f"make dataset {dataset.name!r} the default", dataset)
    with write_transaction(con) as cur:
        cur.execute("update datasets set is_active = (dataset_id = ?)", [dataset.dataset_id])
        audit.record(cur, actor, "set_default", dataset_name=dataset.name, dataset_id=dataset.dataset_id)
    return get_dataset(con, name)


def rename_dataset(con: duckdb.DuckDBPyConnection, old: str, new: str, actor=None) -> Dataset:
    """Rename a dataset (``actor`` needs ``can_import_and_delete``; the rename is in the audit log)."""
    from . import audit  # audit builds on this module: imported on use

    dataset = get_dataset(con, old)
    audit.authorize(con, actor, "can_import_and_delete", f"rename dataset {dataset.name!r}", dataset)
    new = validate_dataset_name(new)
    with write_transaction(con) as cur:
        if cur.execute("select count(*) from datasets where name = ? and dataset_id <> ?",
                       [new, dataset.dataset_id]).fetchall()[0][0]:
            raise CustlibError(f"A dataset named {new!r} already exists; choose another name.")
        cur.execute("update datasets set name = ?, updated_at = current_timestamp where dataset_id = ?",
                    [new, dataset.dataset_id])
        audit.record(cur, actor, "rename", dataset_name=new, dataset_id=dataset.dataset_id,
                     detail={"old_name": dataset.name, "new_name": new})
    return get_dataset(con, new)


# Tables with a dataset_id that a deletion leaves alone: the registry row goes last, on its own, and the
# audit log is the record of what happened to the data, deletions included.
KEPT_ON_DELETE = ("datasets", "audit_log")


def delete_dataset(con: duckdb.DuckDBPyConnection, name: str, actor=None) -> None:
    """Remove a dataset with all its rows, import records, stored scores, scenarios, settings and uploads.

    The deletion is written to the audit log in the same transaction, as done by ``actor``
    (a custlib.audit.Actor; None: this process's user).
    """
    from . import audit  # audit builds on this module (its writes use write_transaction): imported on use

    dataset = get_dataset(con, name)
    audit.authorize(con, actor, "can_import_and_delete", f"delete dataset {dataset.name!r}", dataset)
    with write_transaction(con) as cur:
        stored = [row[0] for row in cur.execute(
            "select stored_path from imports where dataset_id = ? and stored_path is not null",
            [dataset.dataset_id]).fetchall()]
        # Every table keyed by dataset: data, import records, stored scores, scenarios, capacity settings
        # (tables other modules create are found, not listed, so none is forgotten).
        keyed = [row[0] for row in cur.execute(
            "select table_name from information_schema.columns where column_name = 'dataset_id' "
            "and table_schema = 'main' and not list_contains(?, table_name) and table_name in "
                "(select table_name from information_schema.tables where table_type = 'BASE TABLE') "
                "order by table_name",
            [list(KEPT_ON_DELETE)]).fetchall()]
        deleted = {}
        for table in keyed:
            count = cur.execute(f'delete from "{table}" where dataset_id = ?', [dataset.dataset_id]).fetchall()[0][0]
            if count:
                deleted[table] = count
        cur.execute("delete from datasets where dataset_id = ?", [dataset.dataset_id])
        audit.record(cur, actor, "delete", dataset_name=dataset.name, dataset_id=dataset.dataset_id,
                     detail={"rows_deleted": deleted})
        if dataset.is_active:
            cur.execute("update datasets set is_active = true where dataset_id = "
                        "(select min(dataset_id) from datasets)")
        # An upload can be shared by several datasets (same checksum): keep it while one still refers to it.
        still_used = {row[0] for row in cur.execute(
            "select distinct stored_path from imports where stored_path is not null").fetchall()}
    for path in stored:
        if path not in still_used:
            with contextlib.suppress(FileNotFoundError):
                Path(path).unlink()
    with contextlib.suppress(duckdb.Error):
        con.cursor().execute("checkpoint")


def replace_table_rows(cur: duckdb.DuckDBPyConnection, dataset_id: int, table: str, relation_name: str,
                       import_id: int, append: bool = False) -> int:
    """Store the rows of ``relation_name`` (a registered view with canonical columns and source_row).

    Inside a write transaction. Returns the number of rows stored.
    """
    if table not in TABLE_COLUMNS:
        raise ValueError(f"unknown table {table!r}")
    if not append:
        cur.execute(f"delete from {table} where dataset_id = ?", [dataset_id])
    columns = list(TABLE_COLUMNS[table])
    select_list = ", ".join(f"cast({c} as {t})" for c, t in TABLE_COLUMNS[table].items())
    before = cur.execute(f"select count(*) from {table} where dataset_id = ?", [dataset_id]).fetchall()[0][0]
    cur.execute(
        f"insert into {table} (dataset_id, import_id, source_row, {', '.join(columns)}) "
        f"select ?, ?, source_row, {select_list} from {relation_name}",
        [dataset_id, import_id],
    )
    after = cur.execute(f"select count(*) from {table} where dataset_id = ?", [dataset_id]).fetchall()[0][0]
    return after - before if append else after


def store_frame(con: duckdb.DuckDBPyConnection, dataset_name: str, table: str, frame: pd.DataFrame,
                source: str = "generated", cur: duckdb.DuckDBPyConnection | None = None) -> int:
    """Replace ``table`` of a dataset with an in-memory frame of canonical columns (demo data, tests).

    Missing optional columns are stored as NULL. Returns the new dataset version's row count.
    Runs in its own write transaction unless ``cur`` (an open write transaction) is given.
    """
    if cur is None:
        with write_transaction(con) as own_cur:
            return store_frame(con, dataset_name, table, frame, source, own_cur)
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in frame.columns]
    if missing:
        raise ValueError(f"frame for {table} lacks required columns {missing}")
    full = frame.reindex(columns=list(TABLE_COLUMNS[table])).copy()
    full.insert(0, "source_row", range(1, len(full) + 1))
    dataset_id = ensure_dataset(cur, dataset_name)
    import_id = cur.execute(
        "insert into imports (dataset_id, table_name, file_name, mode, rows_read, rows_loaded, rows_rejected) "
        "values (?, ?, ?, 'replace', ?, ?, 0) returning import_id",
        [dataset_id, table, source, len(full), len(full)]).fetchall()[0][0]
    cur.register("store_frame_rows", full)
    try:
        stored = replace_table_rows(cur, dataset_id, table, "store_frame_rows", import_id)
    finally:
        cur.unregister("store_frame_rows")
    bump_version(cur, dataset_id)
    return stored


def dataset_info(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One summary per dataset: counts, first and last order date, total amount (what `info` prints)."""
    frame = query(con, "mart_dataset_info")
    records = frame.to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, (pd.Timestamp, datetime, date)):
                record[key] = value.isoformat()[:10] if key.endswith("_date") else value.isoformat()
            elif pd.isna(value) if not isinstance(value, (list, dict)) else False:
                record[key] = None
            elif hasattr(value, "item"):
                record[key] = value.item()
    return records
