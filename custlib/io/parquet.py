"""Parquet files: their columns, read by DuckDB, each as the text the rest of the import checks."""
from __future__ import annotations
from pathlib import Path
import duckdb

from .files import Source, _sha256, _unique_headers
from .report import ImportReport, _reject


def _open_parquet(path: Path, report: ImportReport) -> Source:
    try:
        names = _parquet_columns(path)
    except duckdb.Error as exc:
        first_line = str(exc).partition("\n")[0]
        raise _reject(report, "bad_parquet", "bad_parquet", {"detail": first_line}) from None
    return Source(path=path, file_format="parquet", sha256=_sha256(path), headers=_unique_headers(names),
                  has_header=True)


def _parquet_columns(path: Path) -> list[str]:
    return [name for name, _ in _parquet_schema(path)]


def _parquet_schema(path: Path) -> list[tuple[str, str]]:
    """(name, type) of each top-level column as DuckDB reads it (a repeated name gets a suffix: ``id_1``)."""
    con = duckdb.connect()
    try:
        return con.execute("select column_name, column_type from (describe select * from read_parquet(?))",
                           [str(path)]).fetchall()
    finally:
        con.close()


def _parquet_text(name: str, column_type: str) -> str:
    """SQL for a Parquet column's value as text; an instant (TIMESTAMP WITH TIME ZONE) as its UTC time,
    since '2024-01-05 10:00:00+00' matches no date format."""
    quoted = _quote_identifier(name)
    return f"timezone('UTC', {quoted})" if column_type == "TIMESTAMP WITH TIME ZONE" else quoted


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
