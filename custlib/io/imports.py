"""One import, all or nothing (``import_file``), and the preview of a file's first rows (``preview_file``).

The file is read, parsed and checked into temp tables without the write lock (readers, sign-ins and saves
go on meanwhile); the insert of the good rows, the import record, the audit entry and the version bump are
one transaction. Any rejection leaves the database as it was."""
from __future__ import annotations
import contextlib
import csv
import io
import json
import os
import re
import threading
from pathlib import Path
import duckdb
import pandas as pd
from .. import audit, datasets, db
from ..columns import resolve_mapping
from ..errors import ImportRejected, NeedsDecision

from .checks import _check_duplicates, _check_orders, _find_repeat_groups
from .files import Source
from .report import ERROR, ImportReport, Limits, MAX_PROBLEMS_PER_KIND, Problem, _reject
from .sources import open_source
from .staging import _collect_rejects, _field_expressions, _numbered_rows_sql, _raw_reader, _row_cap, _stage_rows
from .uploads import _discard_upload, _done_keeping, _keep_upload


# DuckDB's own default is 80% of RAM; an import should not take that from the app's readers.
IMPORT_MEMORY_LIMIT = re.sub(r"[^0-9A-Za-z.]", "", os.environ.get("CUSTLIB_IMPORT_MEMORY", "1500MB")) or "1500MB"


def import_file(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, *, dataset: str | None = None,
                table: str = "transactions", mapping: dict[str, str | int] | None = None,
                has_header: bool | None = None, strict: bool = False, date_order: str | None = None,
                drop_duplicates: bool = False, append: bool = False, original_name: str | None = None,
                sheet: str | int | None = None, keep_upload: bool = True,
                actor: audit.Actor | None = None) -> ImportReport:
    """Import one file into ``table`` of ``dataset``; all or nothing.

    ``dataset`` defaults to the file's name for transactions and to the active dataset
    for customers and interactions. Lenient mode (the default) skips bad rows and
    reports each; ``strict`` rejects the file on any error. Exact duplicate rows are
    reported and kept unless ``drop_duplicates``. Raises ImportRejected (with
    ``.report``) or NeedsDecision; on either the database is unchanged. An accepted import is
    written to the audit log in the import's transaction, as done by ``actor`` (None: this process's user).
    """
    path = Path(path)
    file_name = original_name or path.name
    if table not in db.TABLE_COLUMNS:
        raise ImportRejected(f"Unknown table {table!r}: choose transactions, customers or interactions.")
    report = ImportReport(file_name=file_name, table=table, strict=strict)
    if dataset is None:
        if table == "transactions":
            dataset = Path(file_name).stem[:100].strip() or "imported"  # dataset names have at most 100 characters
        else:
            dataset = datasets.get_dataset(con).name
    report.dataset = datasets.validate_dataset_name(dataset)
    audit.authorize(con, actor, "can_import_and_delete", f"import {file_name!r} into dataset {report.dataset!r}")
    source = open_source(path, report, has_header, sheet)
    stored_path: Path | None = None
    try:
        report.file_format = {"text": "text", "xlsx": "Excel workbook", "parquet": "Parquet"}[source.file_format]
        report.encoding, report.delimiter, report.has_header = source.encoding, source.delimiter, source.has_header
        report.columns = list(source.headers)
        report.sha256 = source.sha256
        column_index = resolve_mapping(source.headers, table, mapping, file_name)
        report.mapping = {f: source.headers[i] for f, i in column_index.items()}
        if keep_upload:
            stored_path = _keep_upload(con, path, file_name, source.sha256)
            report.stored_path = str(stored_path)
        # Reading, parsing and checking fill temp tables of this import's own cursor, outside any
        # transaction and without the write lock, so sign-ins, saves and other imports go on meanwhile;
        # the lock is held only for the insert of the good rows and the commit.
        with db.read_cursor(con) as cur, _memory_limit(cur, IMPORT_MEMORY_LIMIT):
            good_rows = _stage(cur, source, report, table, column_index, strict, date_order, drop_duplicates)
            with db.write_transaction(con, cur):
                _store(cur, report, table, good_rows, append)
                audit.record_import(cur, actor, report, append)
        report.accepted = True
        report.dataset_version = datasets.get_dataset(con, report.dataset).version
        return report
    except (ImportRejected, NeedsDecision) as exc:
        if isinstance(exc, ImportRejected) and exc.report is None:
            # refused before the report had a say (the mapping, the date order): its words are the error's
            exc.report = report
            if report.rejection is None:
                code, params = (exc.code, exc.params) if exc.code else ("error_text", {"text": str(exc).split(": ", 1)[-1]})
                report.rejection = Problem(exc.kind, ERROR, code, params)
                report.add(report.rejection)
        _discard_upload(con, stored_path)
        raise
    except duckdb.Error as exc:
        _discard_upload(con, stored_path)
        raise _reject(report, "unreadable", "unreadable", {"detail": _duckdb_message(exc)}) from None
    finally:
        _done_keeping(stored_path)
        source.close()


_IMPORTS_RUNNING: dict[str, list] = {}  # per database file: [imports running, the limit before them]


_IMPORTS_RUNNING_LOCK = threading.Lock()


@contextlib.contextmanager
def _memory_limit(cur, limit: str):
    """Cap DuckDB's memory while imports run, so a 10M-row file spills to disk instead of growing.

    The setting is per database instance and imports may overlap (they are not serialised while they
    stage): the first to start sets it, the last to end puts back what was there before the first.
    """
    instance = _database_file(cur)
    with _IMPORTS_RUNNING_LOCK:
        running = _IMPORTS_RUNNING.setdefault(instance, [0, None])
        if running[0] == 0:
            running[1] = cur.execute("select current_setting('memory_limit')").fetchall()[0][0]
            cur.execute(f"set memory_limit = '{limit}'")
        running[0] += 1
    try:
        yield
    finally:
        with _IMPORTS_RUNNING_LOCK:
            running[0] -= 1
            if running[0] == 0:
                cur.execute(f"set memory_limit = '{running[1]}'")
                del _IMPORTS_RUNNING[instance]


def _database_file(cur) -> str:
    return str(cur.execute("select path from duckdb_databases() where database_name = current_database()")
               .fetchall()[0][0])


def _duckdb_message(exc: duckdb.Error) -> str:
    text = str(exc)
    line = re.search(r"Line: (\d+)", text)
    first = text.split("\n", 1)[0]
    first = re.sub(r"^[A-Za-z ]+Error: ", "", first)
    return (f"the file could not be read near line {line.group(1)}: {first}" if line
            else f"the file could not be read: {first}")


def _stage(cur, source: Source, report: ImportReport, table: str, column_index: dict[str, int],
           strict: bool, date_order: str | None, drop_duplicates: bool) -> str:
    """Read, parse and check every row into temp tables of ``cur``; fill the report. Touches no stored
    table. Returns the condition that selects the good rows of ``import_staged`` (see :func:`_store`)."""
    file_name = report.file_name
    reader = _raw_reader(cur, source)
    expressions, checks = _field_expressions(cur, reader, table, column_index, source.headers, file_name,
                                             date_order, report)
    fields = list(db.TABLE_COLUMNS[table])
    max_rows = Limits.from_environment().max_rows
    row_cap = _row_cap(cur, source, report, max_rows)
    raw_columns = _stage_rows(cur, reader, table, expressions, checks, set(column_index), row_cap)
    # The checks below read the staged rows as ``import_checked``: every field (NULL when not mapped), the
    # check marks as bad_i and the raw text by column; ``import_staged`` adds each row's number, which
    # costs a join over every row when the file has gaps, so only what needs the numbers reads it.
    values = ", ".join(c if c in column_index else f"cast(null as {t}) as {c}"
                       for c, t in db.TABLE_COLUMNS[table].items())
    bad_columns = "".join(f", coalesce((import_flags & {1 << i}) <> 0, false) as bad_{i}" for i in range(len(checks)))
    raw_columns_sql = "".join(f", json_extract_string(import_problem, '$[{k + 1}]') as {raw}"
                              for k, raw in enumerate(raw_columns))
    for view, numbered, rows in (("import_checked", "", "import_rows"),
                                 ("import_staged", "source_row, ", _numbered_rows_sql(cur, reader, source))):
        cur.execute(f"create temp view {view} as select {numbered}{values}, "
                    f"import_problem is not null as is_bad{bad_columns}{raw_columns_sql} "
                    f"from (select *, cast(json_extract_string(import_problem, '$[0]') as bigint) as import_flags "
                    f"from {rows})")

    structural = cur.execute("select line, any_value(error_type order by error_message), any_value(csv_line), "
                             "any_value(error_message order by error_message) from import_rejects "
                             "group by line order by line").fetchall()
    for line, error_type, csv_line, message in structural:
        if "COLUMNS" in error_type:
            found = len(next(csv.reader(io.StringIO(csv_line or "", newline=""),  # it may hold a line break
                                        delimiter=source.delimiter or ","), []))
            kind, code = "wrong_field_count", "import_wrong_field_count"
            params = {"found": found, "expected": len(source.headers)}
        else:  # the CSV reader's own words (DuckDB's), kept as they are
            kind, code, params = error_type.lower().replace(" ", "_"), "import_reader_error", {"detail": message}
        report.add(Problem(kind, ERROR, code, params, row=int(line), value=(csv_line or "")[:200]))
    staged_rows = cur.execute("select count(*) from import_rows").fetchall()[0][0]
    report.rows_read = staged_rows + len(structural)
    if report.rows_read == 0:
        raise _reject(report, "no_rows", "no_rows")
    if report.rows_read > max_rows:
        raise _reject(report, "too_many_rows", "too_many_rows_read", {"limit": f"{max_rows:,}"})

    bad_rows = 0
    if checks:
        counts = cur.execute("select " + ", ".join(f"count(*) filter (where bad_{i})" for i in range(len(checks)))
                             + ", count(*) filter (where is_bad) from import_checked").fetchall()[0]
        bad_rows = counts[-1]
        for i, ((kind, code, params, _, raw, column), count) in enumerate(zip(checks, counts)):
            if not count:
                continue
            examples = cur.execute(f"select source_row, {raw} from import_staged where bad_{i} "
                                   f"order by source_row limit {MAX_PROBLEMS_PER_KIND}").fetchall()
            for row, value in examples:
                report.add(Problem(kind, ERROR, code, params, row=int(row), column=column, value=value))
            report.counts[kind] += count - len(examples)

    cur.execute("create temp table import_excluded (source_row bigint, reason varchar)")
    by_order = table == "transactions" and "order_id" in column_index
    _find_repeat_groups(cur, table, fields, by_order)
    if by_order:
        _check_orders(cur, report)
    dropped = _check_duplicates(cur, report, table, fields, drop_duplicates)
    conflicts = cur.execute("select count(*) from import_excluded where reason = 'conflict'").fetchall()[0][0]
    report.rows_rejected = bad_rows + len(structural) + conflicts
    report.rows_dropped_as_duplicates = dropped
    if strict and report.error_count:
        raise _reject(report, "strict_rejected", "strict_rejected", {"errors": f"{report.error_count:,}"}, listed=False)
    loaded = staged_rows - bad_rows - conflicts - dropped
    if loaded == 0:
        raise _reject(report, "no_valid_rows", "no_valid_rows", {"rows": f"{report.rows_read:,}"}, listed=False)
    report.rows_loaded = loaded
    excluded = "" if not (conflicts or dropped) else (
        " and source_row not in (select source_row from import_excluded)")
    return f"not is_bad{excluded}"


def _store(cur, report: ImportReport, table: str, good_rows: str, append: bool) -> None:
    """Inside the write transaction: register the import and insert the good staged rows (replacing the
    dataset's earlier rows of ``table`` unless ``append``)."""
    fields = ", ".join(db.TABLE_COLUMNS[table])
    dataset_id = datasets.ensure_dataset(cur, report.dataset)
    import_id = cur.execute(
        "insert into imports (dataset_id, table_name, file_name, stored_path, sha256, mode, rows_read, "
        "rows_loaded, rows_rejected, mapping, report) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning import_id",
        [dataset_id, table, report.file_name, report.stored_path, report.sha256, "append" if append else "replace",
         report.rows_read, report.rows_loaded, report.rows_rejected, json.dumps(report.mapping, ensure_ascii=False),
         json.dumps({"counts": report.counts, "formats": report.formats}, ensure_ascii=False)]).fetchall()[0][0]
    cur.execute(f"insert into {table} (dataset_id, import_id, source_row, {fields}) "
                f"select $dataset_id, $import_id, source_row, {fields} from import_staged where {good_rows}",
                {"dataset_id": dataset_id, "import_id": import_id})
    if not append:
        cur.execute(f"delete from {table} where dataset_id = $dataset_id and import_id <> $import_id",
                    {"dataset_id": dataset_id, "import_id": import_id})
    datasets.bump_version(cur, dataset_id)


def preview_file(path: str | os.PathLike, table: str = "transactions", has_header: bool | None = None,
                 rows: int = 20, original_name: str | None = None) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The first rows as text, the guessed mapping (field -> header) and the headers: for the Data page."""
    from ..columns import guess_mapping

    path = Path(path)
    report = ImportReport(file_name=original_name or path.name, table=table)
    source = open_source(path, report, has_header, preview=True)
    try:
        con = duckdb.connect()
        try:
            cur = con.cursor()
            reader = _raw_reader(cur, source)
            if reader.csv_rejects:  # numbered as the import numbers them: empty and malformed lines count
                cur.execute(f"create temp table import_rows as select * from ({reader.sql}) limit {int(rows)}",
                            reader.params)
                _collect_rejects(cur)
                columns = ", ".join(f"c{i + 1}" for i in range(len(source.headers)))
                frame = cur.execute(f"select source_row, {columns} from {_numbered_rows_sql(cur, reader, source)} "
                                    f"order by source_row").df()
            else:
                frame = cur.execute(f"select * from ({reader.sample_sql}) limit {int(rows)}", reader.params).df()
        except duckdb.Error as exc:
            raise _reject(report, "unreadable", "unreadable", {"detail": _duckdb_message(exc)}) from None
        finally:
            con.close()
        frame.columns = ["row"] + source.headers
        guess = {f: source.headers[i] for f, i in guess_mapping(source.headers, table).items()}
        return frame, guess, source.headers
    finally:
        source.close()
