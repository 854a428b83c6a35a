"""Who imported, deleted or exported which data, and when: the audit log.

One row per event in the ``audit_log`` table (made by :func:`ensure_audit_schema`): when (UTC), who
(user name, role, and whether through the app, the command line or a Python call), what (``ACTIONS``),
which dataset, and a JSON detail (file name and row counts of an import, rows deleted per table, the
name and row count of an export). Imports and deletions are recorded inside their own transaction, so
an entry exists exactly when the change was committed; a rejected import leaves no entry because it
changes nothing. Deleting a dataset keeps the log (it records the deletion). The log holds dataset and
file names and counts, never customer rows or contact details.

The log can be checked (:func:`verify`, ``custlib audit --verify``): each entry stores the hash of the
entry before it and a SHA-256 hash of itself over that and all its fields, so an edited entry no longer
matches its hash and a deleted one breaks the chain. Text fields hold no control characters (they are
written as ``\\uXXXX``), so a user name cannot forge a line or a terminal escape in what the log prints.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import pandas as pd

from . import access, db
from .errors import PermissionDenied

ACTIONS = ("import", "delete", "rename", "set_default", "save_plan", "delete_plan", "refused", "export",
           "view_profile", "switch_dataset", "login",
           "login_failed", "login_locked", "login_refused", "logout")
VIAS = ("app", "cli", "python")
COLUMNS = ("recorded_at", "user_name", "role", "via", "action", "dataset_name", "dataset_id", "detail")
MAX_USER_NAME = 200


@dataclass(frozen=True)
class Actor:
    """Who did something: a user name, their role in the app (None: the command line or a library call,
    which open the database file directly and are not role-checked), and how (``VIAS``)."""
    user: str
    role: str | None
    via: str

    @classmethod
    def this_process(cls, via: str = "python") -> Actor:
        """The operating-system user running this program."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError, ImportError):  # no login name (e.g. a container without a passwd entry)
            user = "unknown"
        return cls(user, None, via)


# Control characters (C0, C1, DEL), format characters (bidi overrides, zero-width) and line/paragraph separators.
_UNPRINTABLE = ("Cc", "Cf", "Zl", "Zp")


def clean_text(value: str) -> str:
    """``value`` with every character that could break a line or drive a terminal written as \\uXXXX."""
    if value.isprintable():
        return value
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in _UNPRINTABLE else ch for ch in value)


def _clean(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


HASHED = ("recorded_at", "user_name", "role", "via", "action", "dataset_name", "dataset_id", "detail")


def entry_hash(prev_hash: str, values: dict) -> str:
    """SHA-256 over the previous entry's hash and this entry's ``HASHED`` fields, in a fixed text form."""
    fields_ = [prev_hash] + [values[name].isoformat() if name == "recorded_at" else values[name] for name in HASHED]
    text = json.dumps(fields_, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head(cur) -> str:
    rows = cur.execute("select entry_hash from audit_log order by audit_id desc limit 1").fetchall()
    return rows[0][0] if rows and rows[0][0] else ""


def seal_unsealed(cur: duckdb.DuckDBPyConnection) -> int:
    """Chain the entries written before the log was hashed (oldest first); returns how many were sealed."""
    rows = cur.execute(f"select audit_id, {', '.join(HASHED)} from audit_log where entry_hash is null "
                       f"order by audit_id").fetchall()
    if not rows:
        return 0
    previous = cur.execute("select entry_hash from audit_log where entry_hash is not null "
                           "order by audit_id desc limit 1").fetchall()
    prev = previous[0][0] if previous else ""
    for audit_id, *values in rows:
        digest = entry_hash(prev, dict(zip(HASHED, values)))
        cur.execute("update audit_log set prev_hash = ?, entry_hash = ? where audit_id = ?", [prev, digest, audit_id])
        prev = digest
    return len(rows)


def ensure_audit_schema(cur: duckdb.DuckDBPyConnection) -> None:
    """Make the log when missing and seal the entries written before the hash chain existed.

    Run by custlib.db.ensure_schema, in its transaction, every time a database is opened for writing
    (custlib/__init__.py registers it), so databases made before the log or its chain gain them then.
    """
    # The dataset_id is a reference (ids are never reused), not ownership: deleting a dataset keeps its
    # entries (custlib.datasets.delete_dataset).
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
    # The hash chain (verify), added after the log: entries from before it are sealed here, in order.
    cur.execute("alter table audit_log add column if not exists prev_hash varchar")
    cur.execute("alter table audit_log add column if not exists entry_hash varchar")
    seal_unsealed(cur)


def record(cur: duckdb.DuckDBPyConnection, actor: Actor | None, action: str, *, dataset_name: str | None = None,
           dataset_id: int | None = None, detail: dict | None = None) -> None:
    """Add one entry with ``cur``: inside a write transaction it commits, or rolls back, with the change.

    ``actor`` None stands for this process's user (``Actor.this_process()``).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; the actions are {', '.join(ACTIONS)}")
    actor = actor or Actor.this_process()
    if actor.via not in VIAS:
        raise ValueError(f"unknown way in {actor.via!r}; expected one of {', '.join(VIAS)}")
    values = {"recorded_at": datetime.now(timezone.utc).replace(tzinfo=None),
              "user_name": clean_text(actor.user[:MAX_USER_NAME]), "role": actor.role, "via": actor.via,
              "action": action, "dataset_name": clean_text(dataset_name) if dataset_name is not None else None,
              "dataset_id": dataset_id,
              "detail": json.dumps(_clean(detail), ensure_ascii=False, default=str) if detail is not None else None}
    prev = _head(cur)  # writes are serialised (db.write_transaction), so the head cannot move meanwhile
    cur.execute(f"insert into audit_log ({', '.join(HASHED)}, prev_hash, entry_hash) "
                f"values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values.values(), prev, entry_hash(prev, values)])


def authorize(con: duckdb.DuckDBPyConnection, actor: Actor | None, permission: str, what: str,
              dataset=None) -> None:
    """``access.require``, and a refusal is written to the log (``refused``, with the permission and what was
    asked) before PermissionDenied reaches the caller. Call it before the change's transaction.

    ``dataset``: the custlib.datasets.Dataset asked about, or None (not annotated: datasets builds on this
    module, so it is not imported here).
    """
    try:
        access.require(actor, permission, what)
    except PermissionDenied:
        log(con, actor, "refused", dataset=dataset, detail={"permission": permission, "asked": what})
        raise


def log(con: duckdb.DuckDBPyConnection, actor: Actor | None, action: str, *, dataset=None,
        detail: dict | None = None) -> None:
    """Add one entry in a write transaction of its own (for events that change no data: exports, sign-ins).

    ``dataset``: a custlib.datasets.Dataset (its name and id are recorded), or None. Safe from any thread:
    it takes its own cursor.
    """
    with db.write_transaction(con) as cur:
        record(cur, actor, action, dataset_name=dataset.name if dataset else None,
               dataset_id=dataset.dataset_id if dataset else None, detail=detail)


def record_import(cur: duckdb.DuckDBPyConnection, actor: Actor | None, report, append: bool) -> None:
    """The entry of an accepted import (a custlib.io.ImportReport), in the import's transaction."""
    rows = cur.execute("select dataset_id from datasets where name = ?", [report.dataset]).fetchall()
    record(cur, actor, "import", dataset_name=report.dataset, dataset_id=rows[0][0] if rows else None,
           detail={"file_name": report.file_name, "table": report.table, "mode": "append" if append else "replace",
                   "rows_read": report.rows_read, "rows_loaded": report.rows_loaded,
                   "rows_rejected": report.rows_rejected,
                   "rows_dropped_as_duplicates": report.rows_dropped_as_duplicates, "sha256": report.sha256})


def log_export(con: duckdb.DuckDBPyConnection, actor: Actor | None, export_name: str, file_name: str, rows: int,
               dataset=None) -> None:
    """An export: what was exported (``export_name``, e.g. "segment members"), to which file, how many rows;
    ``dataset`` as for :func:`log`."""
    log(con, actor, "export", dataset=dataset,
        detail={"export": export_name, "file_name": file_name, "rows": int(rows)})


def entries(con: duckdb.DuckDBPyConnection, limit: int = 50, *, user: str | None = None,
            actions: tuple[str, ...] | None = None, since=None, until=None) -> list[dict]:
    """The latest ``limit`` entries, newest first: dicts with keys ``COLUMNS``, ``detail`` parsed, None for
    missing values. Empty for a database opened read-only that was made before the audit log existed.

    Filters: ``user`` (user name, ignoring case), ``actions`` (any of them), ``since`` and ``until``
    (dates or times, UTC, both included; a date ``until`` includes that whole day), so that a flood of
    one kind of entry never hides the others.
    """
    unknown = sorted(set(actions or ()) - set(ACTIONS))
    if unknown:
        raise ValueError(f"unknown audit action(s) {unknown}; the actions are {', '.join(ACTIONS)}")
    with db.read_cursor(con) as cur:
        exists = cur.execute("select count(*) from information_schema.tables where table_schema = 'main' "
                             "and table_name = 'audit_log'").fetchall()[0][0]
        if not exists:
            return []
        until_end = None
        if until is not None:
            until_end = pd.Timestamp(until)
            if until_end == until_end.normalize() and not isinstance(until, datetime):
                until_end += pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        rows = cur.execute(
            f"select {', '.join(COLUMNS)} from audit_log "
            f"where (?::varchar is null or lower(user_name) = lower(?::varchar)) "
            f"and (?::varchar[] is null or list_contains(?::varchar[], action)) "
            f"and (?::timestamp is null or recorded_at >= ?::timestamp) "
            f"and (?::timestamp is null or recorded_at <= ?::timestamp) "
            f"order by audit_id desc limit ?",
            [user, user, list(actions) if actions else None, list(actions) if actions else None,
             _as_time(since), _as_time(since), _as_time(until_end), _as_time(until_end), int(limit)]).fetchall()
    found = [dict(zip(COLUMNS, row)) for row in rows]
    for entry in found:
        entry["detail"] = json.loads(entry["detail"]) if entry["detail"] else {}
    return found


def _as_time(value):
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def recent(con: duckdb.DuckDBPyConnection, limit: int = 50, **filters) -> pd.DataFrame:
    """``entries`` as a table (columns ``COLUMNS``), for the Data page; ``filters`` as for ``entries``."""
    return pd.DataFrame(entries(con, limit, **filters), columns=list(COLUMNS))


@dataclass
class Verification:
    """What :func:`verify` found: the entries checked, the newest entry's hash (note it: deleting entries
    at the very end leaves a shorter chain that is still whole, so only a remembered head shows that) and
    one sentence per problem."""
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(con: duckdb.DuckDBPyConnection, expected_head: str | None = None) -> Verification:
    """Recompute the chain of hashes over the whole log, oldest first."""
    with db.read_cursor(con) as cur:
        rows = cur.execute(f"select audit_id, prev_hash, entry_hash, {', '.join(HASHED)} from audit_log "
                           f"order by audit_id").fetchall()
    problems, prev = [], ""
    for audit_id, stored_prev, stored_hash, *values in rows:
        if stored_hash is None:
            problems.append(f"entry {audit_id} has no hash (written by a program that bypassed custlib.audit)")
            prev = ""
            continue
        if stored_prev != prev:
            problems.append(f"entry {audit_id} does not follow the entry before it: an entry before it was deleted "
                            f"or altered")
        if entry_hash(stored_prev or "", dict(zip(HASHED, values))) != stored_hash:
            problems.append(f"entry {audit_id} was changed after it was written (its hash does not match)")
        prev = stored_hash
    if expected_head is not None and expected_head not in {r[2] for r in rows}:
        problems.append(f"the remembered newest entry {expected_head[:12]}… is no longer in the log: entries were "
                        f"deleted")
    return Verification(entries=len(rows), head=prev, problems=problems)


def describe_detail(detail: dict) -> str:
    """One line of ``key=value`` pairs (nested counts as ``table: n``), for the command line and the Data page."""
    parts = []
    for key, value in detail.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in value.items()) or "none"
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        elif value is None:
            continue
        parts.append(f"{key}={value}")
    return "; ".join(parts)
