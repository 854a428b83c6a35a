"""Which datasets a database holds and how they change: list, get, create, switch, rename, delete, store rows.

Several named datasets share one file (custlib.db). Every data table carries ``dataset_id``;
``datasets.version`` goes up on every change to a dataset so that callers (the app's caches) can key
results by ``(dataset_id, version)``. The changes a user asks for (switch, rename, delete) are checked
against the actor's role and written to the audit log in their own transaction.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import audit, db
from .errors import CustlibError, DatasetNotFound


@dataclass(frozen=True)
class Dataset:
    """One dataset as the registry holds it; ``version`` goes up on every change to its rows."""
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


_DATASET_COLUMNS = "dataset_id, name, version, is_active, created_at, updated_at"


def list_datasets(con: duckdb.DuckDBPyConnection) -> list[Dataset]:
    with db.read_cursor(con) as cur:
        rows = cur.execute(f"select {_DATASET_COLUMNS} from datasets order by dataset_id").fetchall()
    return [Dataset(*row) for row in rows]


def get_dataset(con: duckdb.DuckDBPyConnection, name: str | None = None) -> Dataset:
    """The dataset called ``name``, or the active one when ``name`` is None."""
    with db.read_cursor(con) as cur:
        if name is None:
            rows = cur.execute(f"select {_DATASET_COLUMNS} from datasets where is_active").fetchall()
            if not rows:
                raise DatasetNotFound(code="error_no_data")
        else:
            rows = cur.execute(f"select {_DATASET_COLUMNS} from datasets where name = ?", [name]).fetchall()
            if not rows:
                known = ", ".join(d.name for d in list_datasets(con)) or "none"
                raise DatasetNotFound(code="error_no_dataset", params={"name": name, "known": known})
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
        raise CustlibError(code="error_dataset_name")
    return cleaned


def bump_version(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    cur.execute("update datasets set version = version + 1, updated_at = current_timestamp where dataset_id = ?",
                [dataset_id])


def set_active(con: duckdb.DuckDBPyConnection, name: str, actor=None) -> Dataset:
    """Make ``name`` the default dataset: the one sessions (and commands without --dataset) start with.

    ``actor`` needs ``can_import_and_delete``; the change is in the audit log.
    """
    dataset = get_dataset(con, name)
    audit.authorize(con, actor, "can_import_and_delete", f"make dataset {dataset.name!r} the default", dataset)
    with db.write_transaction(con) as cur:
        cur.execute("update datasets set is_active = (dataset_id = ?)", [dataset.dataset_id])
        audit.record(cur, actor, "set_default", dataset_name=dataset.name, dataset_id=dataset.dataset_id)
    return get_dataset(con, name)


def rename_dataset(con: duckdb.DuckDBPyConnection, old: str, new: str, actor=None) -> Dataset:
    """Rename a dataset (``actor`` needs ``can_import_and_delete``; the rename is in the audit log)."""
    dataset = get_dataset(con, old)
    audit.authorize(con, actor, "can_import_and_delete", f"rename dataset {dataset.name!r}", dataset)
    new = validate_dataset_name(new)
    with db.write_transaction(con) as cur:
        if cur.execute("select count(*) from datasets where name = ? and dataset_id <> ?",
                       [new, dataset.dataset_id]).fetchall()[0][0]:
            raise CustlibError(code="error_dataset_exists", params={"name": new})
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
    dataset = get_dataset(con, name)
    audit.authorize(con, actor, "can_import_and_delete", f"delete dataset {dataset.name!r}", dataset)
    with db.write_transaction(con) as cur:
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
    if table not in db.TABLE_COLUMNS:
        raise ValueError(f"unknown table {table!r}")
    if not append:
        cur.execute(f"delete from {table} where dataset_id = ?", [dataset_id])
    columns = list(db.TABLE_COLUMNS[table])
    select_list = ", ".join(f"cast({c} as {t})" for c, t in db.TABLE_COLUMNS[table].items())
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
        with db.write_transaction(con) as own_cur:
            return store_frame(con, dataset_name, table, frame, source, own_cur)
    missing = [c for c in db.REQUIRED_COLUMNS[table] if c not in frame.columns]
    if missing:
        raise ValueError(f"frame for {table} lacks required columns {missing}")
    full = frame.reindex(columns=list(db.TABLE_COLUMNS[table])).copy()
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
    frame = db.query(con, "mart_dataset_info")
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
