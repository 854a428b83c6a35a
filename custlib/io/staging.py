"""Every row of a file parsed and checked in one parallel DuckDB pass into temp tables of the import's own
cursor: the raw reader per kind of file, the row numbers a spreadsheet shows, the SQL of each field's parse
and check (formats detected from a sample), and the row limit enforced while reading."""
from __future__ import annotations
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
import duckdb
import numpy as np
from .. import db
from ..parsing import amount_sql, blank_sql, detect_date_format, detect_decimal_style, flag_sql, kind_sql

from .files import CHUNK_BYTES, Source
from .parquet import _parquet_schema, _parquet_text
from .report import ImportReport, _reject
from .text import SAMPLE_ROWS


MAX_ABS_AMOUNT = 1e12


EARLIEST_DATE = date(1900, 1, 1)


@dataclass
class RawReader:
    """A SELECT giving ``c1..cn`` as trimmed text (NULL when empty), with its parameters."""
    sql: str
    params: dict
    sample_sql: str          # the same rows with ``source_row``, for sampling formats (no side effects)
    header_offset: int
    # ``sql`` gives ``source_row`` too, except for a text file read by DuckDB's CSV reader: its rows are
    # numbered from their position in the staging table, which follows the file's order (see
    # ``_stage_rows``); its malformed lines are recorded in import_reject_errors. Numbering while reading
    # (WITH ORDINALITY, a window) would hold the parallel reader to one thread: 2.4 s more for 10M rows.
    csv_rejects: bool = False


def _raw_reader(cur: duckdb.DuckDBPyConnection, source: Source) -> RawReader:
    """How to read the source as text rows. Malformed lines of text files end up in ``import_rejects``.

    Only our own column names (c1, c2, ...) appear in the SQL; paths are bound parameters and
    Parquet column names are quoted identifiers.
    """
    n = len(source.headers)
    names = [f"c{i + 1}" for i in range(n)]
    cur.execute("create temp table import_rejects (line bigint, error_type varchar, csv_line varchar, "
                "error_message varchar)")
    if source.file_format == "xlsx":
        cur.register("import_frame", source.frame)
        select = ", ".join(f"nullif(trim(cast({c} as varchar)), '') as {c}" for c in names)
        sql = f"select cast(source_row as bigint) as source_row, {select} from import_frame"
        return RawReader(sql, {}, sql, 1)
    if source.file_format == "parquet":
        select = ", ".join(f"nullif(trim(cast({_parquet_text(p, t)} as varchar)), '') as {c}"
                           for (p, t), c in zip(_parquet_schema(source.path), names))
        sql = f"select row_number() over () + 1 as source_row, {select} from read_parquet($path)"
        return RawReader(sql, {"path": str(source.path)}, sql, 1)
    offset = 1 if source.has_header else 0
    params = {"path": str(source.text_path), "skip": offset}
    if source.delimiter == " " or source.delimiter is None:
        # Runs of spaces are not a CSV delimiter DuckDB understands: read whole lines and split them in SQL.
        cur.execute(
            "create temp table import_split as select source_row, fields from ("
            "select ordinality + $skip as source_row, line, "
            + ("string_split_regex(trim(line), '\\s+')" if source.delimiter == " " else "[line]") +
            " as fields from read_csv($path, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', "
            "escape = '', header = false, auto_detect = false, skip = $skip, strict_mode = false, "
            "null_padding = true) with ordinality) where trim(coalesce(line, '')) <> ''", params)
        cur.execute("insert into import_rejects select source_row, "
                    "case when len(fields) > $n then 'TOO MANY COLUMNS' else 'MISSING COLUMNS' end, "
                    "array_to_string(fields, ' '), 'expected ' || $n || ' fields, found ' || len(fields) "
                    "from import_split where len(fields) <> $n", {"n": n})
        select = ", ".join(f"nullif(trim(fields[{i + 1}]), '') as {c}" for i, c in enumerate(names))
        sql = f"select source_row, {select} from import_split where len(fields) = {int(n)}"
        return RawReader(sql, {}, sql, offset)
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in names) + "}"
    reader = (f"read_csv($path, columns = {columns}, delim = $delim, quote = '\"', escape = '\"', header = false, "
              f"skip = $skip, auto_detect = false, ignore_errors = true, max_line_size = 10000000 @REJECTS@)")
    select = ", ".join(f"nullif(trim({c}), '') as {c}" for c in names)
    params["delim"] = source.delimiter
    rejects = ", store_rejects = true, rejects_table = 'import_reject_errors', rejects_scan = 'import_reject_scans'"
    sql = f"select {select} from {reader}".replace("@REJECTS@", rejects)
    # Samples and previews read only the first rows: WITH ORDINALITY numbers them in file order.
    sample = f"select ordinality + $skip as source_row, {select} from {reader} with ordinality".replace("@REJECTS@", "")
    return RawReader(sql, params, sample, offset, csv_rejects=True)


def _row_cap(cur, source: Source, report: ImportReport, max_rows: int) -> int | None:
    """How many rows staging may read so that a file over the row limit is found while it is read: None
    when the file cannot hold more rows than the limit (its lines, or a Parquet file's own row count)."""
    if source.file_format == "parquet":
        rows = cur.execute("select coalesce(sum(num_rows), 0) from parquet_file_metadata($path)",
                           {"path": str(source.path)}).fetchall()[0][0]
        if rows > max_rows:
            raise _reject(report, "too_many_rows", "too_many_rows", {"rows": f"{rows:,}", "limit": f"{max_rows:,}"})
        return None
    if source.file_format == "text" and source.lines is not None and source.lines > max_rows + source.has_header:
        return max_rows + 1
    return None  # a workbook's rows were counted while its sheet was measured


def _stage_rows(cur, reader: RawReader, table: str, expressions: list[str], checks: list[tuple],
                mapped: set[str], row_cap: int | None = None) -> list[str]:
    """Parse and check every row of the file, in one parallel pass, into the temp table ``import_rows``.

    The table holds the parsed values of the mapped fields; a row that fails a check also holds, in
    ``import_problem``, a JSON list of the failed checks (as bits of one number) and the raw text of the
    checked cells. One text column, NULL for good rows, costs least memory for 10M rows. The table lives
    in memory (spilling to disk when large) and only for this import: rows reach the user's table in one
    insert of the good rows, so the stored data is never updated or deleted from inside the import, which
    would make DuckDB rewrite the whole 10M-row append at commit (1.5 s for an update, 4 s for a delete).
    Returns the raw columns kept in ``import_problem``, in order.
    """
    if len(checks) > 62:  # one bit each in a BIGINT
        raise ValueError(f"{len(checks)} checks do not fit the bits of one BIGINT")
    flags = [f"coalesce({condition}, false) as bad_{i}" for i, (_, _, _, condition, _, _) in enumerate(checks)]
    any_bad = " or ".join(f"bad_{i}" for i in range(len(checks))) or "false"
    flag_bits = " + ".join(f"case when bad_{i} then {1 << i} else 0 end" for i in range(len(checks))) or "0"
    raw_columns = sorted({raw for *_, raw, _ in checks})
    problem = f"cast(to_json([cast({flag_bits} as varchar){''.join(', ' + r for r in raw_columns)}]) as varchar)"
    kept = ", ".join(f"cast({c} as {t}) as {c}" for c, t in db.TABLE_COLUMNS[table].items() if c in mapped)
    numbered = "" if reader.csv_rejects else "source_row, "
    cur.execute(
        f"create temp table import_rows as select {numbered}{kept}{', ' if kept else ''}"
        f"case when is_bad then {problem} end as import_problem from ("
        f"with raw as ({reader.sql}), "
        f"parsed as (select {numbered}{', '.join(expressions)}{''.join(', ' + r for r in raw_columns)} from raw), "
        f"flagged as (select *, {', '.join(flags + [f'({any_bad}) as is_bad'])} from parsed) "
        f"select * from flagged{'' if row_cap is None else f' limit {int(row_cap)}'})", reader.params)
    if reader.csv_rejects:
        _collect_rejects(cur)
    return raw_columns


def _collect_rejects(cur) -> None:
    """Copy the lines DuckDB's CSV reader rejected in this connection into ``import_rejects``."""
    cur.execute("insert into import_rejects select line, error_type, csv_line, error_message "
                "from import_reject_errors")


def _numbered_rows_sql(cur, reader: RawReader, source: Source) -> str:
    """A FROM clause giving ``import_rows`` with ``source_row``, each row's number in the file.

    Rows of a CSV file were staged in file order, so their row ids are consecutive in file order. Rows
    that were not staged leave gaps: DuckDB's malformed lines (in ``import_rejects``) and empty lines,
    which its reader skips. Each gap shifts the rows after it by one, so the gaps are added back: one ASOF
    join finds, for each row, how many gaps come before it. A row is a record, as DuckDB and spreadsheets
    count them: a record whose quoted cell holds line breaks is one row. The numbers are integers
    computed here, not text from the file.
    """
    if not reader.csv_rejects:
        return "import_rows"
    base, staged = cur.execute("select coalesce(min(rowid), 0), count(*) from import_rows").fetchall()[0]
    record = f"(rowid - {int(base)} + 1)"
    offset = int(reader.header_offset)
    cur.execute("create temp table import_gap_rows as select distinct line from import_rejects")
    rejected = cur.execute("select count(*) from import_gap_rows").fetchall()[0][0]
    if source.lines != offset + staged + rejected:  # empty lines, or records spanning lines: find the gaps
        if empty := _empty_rows(source.text_path, offset + staged + rejected):
            cur.execute("insert into import_gap_rows select unnest($rows) except select line from import_gap_rows",
                        {"rows": empty})
        rejected = cur.execute("select count(*) from import_gap_rows").fetchall()[0][0]
    if not rejected:
        return f"(select *, {record} + {offset} as source_row from import_rows)"
    # good_before: how many staged rows come before a gap; shift: how many gaps come up to that point
    cur.execute("""
        create temp table import_row_gaps as
        select good_before, max(shift) as shift from (
            select line - $offset - row_number() over (order by line) as good_before,
                   row_number() over (order by line) as shift
            from import_gap_rows)
        group by good_before""", {"offset": offset})
    return (f"(select r.* exclude (record), r.record + {offset} + coalesce(g.shift, 0) as source_row "
            f"from (select *, {record} as record from import_rows) r "
            f"asof left join import_row_gaps g on r.record > g.good_before)")


def _empty_rows(path: Path, rows_read: int) -> list[int]:
    """The row numbers of the empty lines of a CSV text file, which DuckDB's reader skips, up to the last
    of the ``rows_read`` rows (header and malformed lines included) that were read.

    Rows end at line breaks outside quoted cells (quote parity decides); a row is empty when nothing
    but a carriage return comes between its break and the one before. Vectorised over 4 MB chunks,
    and only run when the file has more lines than rows were read.
    """
    with path.open("rb") as handle:
        data_has_lf = b"\n" in handle.read(CHUNK_BYTES)
    newline = 10 if data_has_lf else 13  # a file without line feeds breaks lines with carriage returns
    empty: list[np.ndarray] = []
    breaks_before, previous_break, quotes_before, previous_byte, offset = 0, -1, 0, -1, 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            data = np.frombuffer(chunk, dtype=np.uint8)
            positions = np.flatnonzero(data == newline)
            quotes = np.flatnonzero(data == 34)
            if len(quotes):
                inside = (quotes_before + np.searchsorted(quotes, positions)) % 2 == 1
                positions = positions[~inside]
                quotes_before += len(quotes)
            gaps = np.diff(positions, prepend=previous_break - offset)
            before = np.where(positions > 0, data[np.maximum(positions - 1, 0)], previous_byte)
            is_empty = (gaps == 1) | ((gaps == 2) & (before == 13) & (newline == 10))
            empty.append(breaks_before + 1 + np.flatnonzero(is_empty))
            if len(positions):
                previous_break = offset + int(positions[-1])
            breaks_before += len(positions)
            previous_byte = int(data[-1])
            offset += len(chunk)
            if breaks_before - sum(map(len, empty)) >= rows_read:  # a preview reads only the first rows
                break
    return [int(row) for row in np.concatenate(empty)] if empty else []


@dataclass(frozen=True)
class FieldSpec:
    kind: str          # id, text, date, timestamp, amount, number, flag, score, kind
    required: bool = False
    low: float | None = None
    high: float | None = None


FIELD_SPECS: dict[str, dict[str, FieldSpec]] = {
    "transactions": {
        "customer_id": FieldSpec("id", True), "order_id": FieldSpec("text"), "order_date": FieldSpec("date", True),
        "amount": FieldSpec("amount", True), "quantity": FieldSpec("number"), "channel": FieldSpec("text"),
        "category": FieldSpec("text"), "product": FieldSpec("text"), "region": FieldSpec("text"),
        "is_promo": FieldSpec("flag"), "discount_amount": FieldSpec("amount"),
    },
    "customers": {
        "customer_id": FieldSpec("id", True), "name": FieldSpec("text"), "email": FieldSpec("text"),
        "phone": FieldSpec("text"), "signup_date": FieldSpec("date"), "region": FieldSpec("text"),
        "industry": FieldSpec("text"), "company_size": FieldSpec("text"), "account_manager": FieldSpec("text"),
    },
    "interactions": {
        "customer_id": FieldSpec("id", True), "interaction_at": FieldSpec("timestamp", True),
        "kind": FieldSpec("kind"), "nps_score": FieldSpec("score", low=0, high=10),
        "satisfaction": FieldSpec("score", low=1, high=5), "note": FieldSpec("text"),
    },
}


# field kind -> (finding kind, message code): a cell that does not parse as its field
_PROBLEM_CODES = {
    "date": ("bad_date", "import_bad_date"),
    "timestamp": ("bad_date", "import_bad_timestamp"),
    "amount": ("bad_amount", "import_bad_amount"),
    "number": ("bad_number", "import_bad_number"),
    "flag": ("bad_flag", "import_bad_flag"),
    "score": ("bad_score", "import_bad_score"),
    "kind": ("bad_kind", "import_bad_kind"),
}


def _sample_values(cur, reader: RawReader, column: str) -> list[str]:
    rows = cur.execute(f"select {column} from ({reader.sample_sql}) where {column} is not null "
                       f"limit {SAMPLE_ROWS}", reader.params).fetchall()
    return [row[0] for row in rows]


def _field_expressions(cur, reader: RawReader, table: str, mapping: dict[str, int], headers: list[str],
                       file_name: str, date_order: str | None, report: ImportReport) -> tuple[list[str], list[tuple]]:
    """SQL for each canonical field (parsed value) and for its checks (kind, message code, its parameters,
    condition, raw column)."""
    today_limit = date.today() + timedelta(days=366)
    expressions: list[str] = []
    checks: list[tuple[str, str, dict, str, str, str]] = []
    for name, spec in FIELD_SPECS[table].items():
        if name not in mapping:
            expressions.append(f"null as {name}")
            continue
        raw = f"c{mapping[name] + 1}"
        label = f"{file_name}, column {headers[mapping[name]]!r}"
        if spec.kind in ("id", "text"):
            parsed = raw
        elif spec.kind in ("date", "timestamp"):
            date_format = detect_date_format(_sample_values(cur, reader, raw), label, date_order)
            report.formats[name] = date_format.label
            parsed = date_format.sql(raw, timestamp=spec.kind == "timestamp")
        elif spec.kind == "amount":
            style = detect_decimal_style(_sample_values(cur, reader, raw))
            report.formats[name] = "1.234,50 (decimal comma)" if style == "comma" else "1,234.50 (decimal point)"
            parsed = amount_sql(raw, style)
        elif spec.kind == "number":
            parsed = amount_sql(raw, "dot")
        elif spec.kind == "flag":
            parsed = flag_sql(raw)
        elif spec.kind == "score":
            parsed = f"try_cast(try_cast({raw} as double) as integer)"
        else:
            parsed = kind_sql(raw)
        expressions.append(f"{parsed} as {name}")
        column = headers[mapping[name]]
        if spec.required:
            checks.append(("missing_value", "import_missing_value", {"field": name},
                           blank_sql(raw) if spec.kind == "id" else f"{raw} is null", raw, column))
        if spec.kind in _PROBLEM_CODES:
            kind, code = _PROBLEM_CODES[spec.kind]
            params = {"format": report.formats.get(name, ""), "low": f"{spec.low or 0:g}", "high": f"{spec.high or 0:g}"}
            checks.append((kind, code, params, f"{raw} is not null and {name} is null", raw, column))
        if spec.kind in ("date", "timestamp"):
            checks.append(("date_out_of_range", "import_date_out_of_range",
                           {"earliest": EARLIEST_DATE.isoformat(), "latest": today_limit.isoformat()},
                           f"{name} is not null and (cast({name} as date) < date '{EARLIEST_DATE.isoformat()}' "
                           f"or cast({name} as date) > date '{today_limit.isoformat()}')", raw, column))
        if spec.kind in ("amount", "number"):
            checks.append(("amount_out_of_range" if spec.kind == "amount" else "number_out_of_range",
                           "import_amount_out_of_range", {"limit": f"{MAX_ABS_AMOUNT:,.0f}"},
                           f"{name} is not null and (not isfinite({name}) or abs({name}) > {MAX_ABS_AMOUNT})",
                           raw, column))
        if spec.kind == "score":
            checks.append(("score_out_of_range", "import_score_out_of_range",
                           {"low": f"{spec.low:g}", "high": f"{spec.high:g}"},
                           f"{name} is not null and ({name} < {spec.low:g} or {name} > {spec.high:g} "
                           f"or try_cast({raw} as double) <> {name})", raw, column))
    return expressions, checks
