"""Where the data live: the DuckDB file, its schema and views, safe reads and writes, named queries.

Several named datasets share one file: every data table carries ``dataset_id``, and the registry of
datasets (which exist, which is the default, how they change) is custlib.datasets.

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
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from .errors import CustlibError, DatabaseBusy

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

# What modules built on this one add to the schema, run in its transaction whenever a database is opened for
# writing: the audit log (custlib.audit writes through this module, so it cannot be imported here; it is
# registered by custlib/__init__.py).
_SCHEMA_EXTENSIONS: list[Callable[[duckdb.DuckDBPyConnection], None]] = []


def extend_schema(make: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """Have every open for writing also run ``make(cursor)`` inside the schema's transaction (once each)."""
    if make not in _SCHEMA_EXTENSIONS:
        _SCHEMA_EXTENSIONS.append(make)


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
        raise CustlibError(code="error_no_database", params={"path": str(db_path)})
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(code="error_database_busy", params={"path": str(db_path)}) from None
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
        for make in _SCHEMA_EXTENSIONS:  # the audit log's table and seal (custlib.audit.ensure_audit_schema)
            make(cur)
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
