"""Which reader a file needs (text, workbook, Parquet, or a clear refusal of what it really is) and the
checks every file gets when opened: size, columns, repeated headers."""
from __future__ import annotations
from pathlib import Path

from .files import Source, _report_repeated_headers
from .parquet import _open_parquet
from .report import ImportReport, Limits, _reject, _too_many_columns
from .text import _open_text
from .workbook import _open_xlsx


def open_source(path: Path, report: ImportReport, has_header: bool | None = None,
                sheet: str | int | None = None, preview: bool = False) -> Source:
    """The file opened for reading, or ImportRejected saying why not. ``preview``: only its first rows
    will be read (a workbook is then cut after them rather than measured whole)."""
    if not path.is_file():
        raise _reject(report, "file_not_found", "file_not_found", {"path": str(path)})
    size = path.stat().st_size
    if size == 0:
        raise _reject(report, "empty_file", "empty_file")
    limits = Limits.from_environment()
    if size > limits.max_bytes:
        raise _reject(report, "file_too_large", "file_too_large",
                      {"size_mb": f"{size / 2**20:,.0f}", "limit_mb": f"{limits.max_bytes / 2**20:,.0f}"})
    source = _open_by_kind(path, report, has_header, sheet, preview)
    if len(source.headers) > limits.max_columns:
        source.close()
        raise _too_many_columns(report, len(source.headers))
    _report_repeated_headers(source.headers, report)
    return source


def _open_by_kind(path: Path, report: ImportReport, has_header: bool | None, sheet: str | int | None,
                  preview: bool) -> Source:
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0") and suffix in (".xlsx", ".xlsm"):
        raise _reject(report, "encrypted_xlsx", "encrypted_xlsx")
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path, report, has_header, sheet, preview)
    if other := next((what for magic, what in _OTHER_FORMATS if head.startswith(magic)), None):
        raise _reject(report, "wrong_file_type", "wrong_file_type", {"what": other})
    if head.startswith(b"PAR1") or suffix == ".parquet":
        return _open_parquet(path, report)
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise _reject(report, "old_excel", "old_excel")
    return _open_text(path, report, has_header)


# First bytes of files people upload by mistake (a download still compressed, a report saved as PDF).
_OTHER_FORMATS = ((b"\x1f\x8b", "a gzip-compressed file (decompress it first)"), (b"%PDF", "a PDF document"),
                  (b"Rar!", "a RAR archive (unpack it first)"), (b"7z\xbc\xaf", "a 7-Zip archive (unpack it first)"),
                  (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"))
