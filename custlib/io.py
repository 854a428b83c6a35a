"""Reading and validating uploaded files: what a file holds, what is wrong with it and where.

``import_file`` takes a CSV/TSV/whitespace-separated text file (UTF-8, UTF-8 with BOM,
UTF-16 with BOM, GBK/GB18030), an Excel ``.xlsx`` workbook or a Parquet file and
loads it into one table of a dataset, all or nothing:

1. sniff the format, encoding, delimiter and header (GBK text is transcoded to a
   temporary UTF-8 file in chunks; the file is never loaded whole into pandas);
2. map columns to fields (automatic guess from English and Chinese headers, overridable);
3. read every value as text with DuckDB's own CSV reader, parse dates and amounts in
   SQL with formats detected from a sample, and flag every value that fails;
4. inside one transaction: store every row straight into its table in one parallel pass
   (rows that fail a check are marked), number the rows, report the marked ones, find
   duplicates and order-id conflicts, delete the marked and excluded rows, record the
   import and bump the dataset version. Any rejection rolls everything back.

Rows are numbered as a spreadsheet shows them: with a header, the header is row 1
and the first data row is row 2.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import python_calamine

from . import audit, db, incoming, workbook
from .columns import resolve_mapping
from .errors import CustlibError, ImportRejected, NeedsDecision
from .parsing import amount_sql, blank_sql, detect_date_format, detect_decimal_style, flag_sql, kind_sql

CHUNK_BYTES = 4 << 20
SNIFF_BYTES = 256 << 10
SAMPLE_ROWS = 20_000
MAX_PROBLEMS_PER_KIND = 20
MAX_ABS_AMOUNT = 1e12
EARLIEST_DATE = date(1900, 1, 1)
MAX_XLSX_UNCOMPRESSED = 512 << 20
# Real exports compress 5 to 20 times; a workbook that expands far more is built to exhaust its reader.
MAX_XLSX_EXPANSION = 100
XLSX_EXPANSION_CHECKED_FROM = 64 << 20
TEMP_PREFIX = "custlib-import-"  # + pid: see sweep_leftovers
PREVIEW_SHEET_ROWS = 1_000  # rows of each sheet a preview reads (enough to find the first sheet with data)


@dataclass(frozen=True)
class Limits:
    """What one import may be; set with CUSTLIB_MAX_UPLOAD_MB, CUSTLIB_MAX_ROWS, CUSTLIB_MAX_COLUMNS,
    CUSTLIB_MAX_XLSX_CELLS."""
    max_bytes: int = 2048 << 20
    max_rows: int = 50_000_000
    max_columns: int = 500
    # A sheet's rectangle (last row x last column) is built in memory: 10M cells (a million rows of ten
    # columns) take about 1.5 GB while read. Larger tables go faster and leaner as CSV.
    max_xlsx_cells: int = 10_000_000

    @classmethod
    def from_environment(cls) -> "Limits":
        def number(name: str, default: int) -> int:
            text = os.environ.get(name, "").strip()
            return int(text) if text.isdigit() and int(text) > 0 else default
        return cls(max_bytes=number("CUSTLIB_MAX_UPLOAD_MB", cls.max_bytes >> 20) << 20,
                   max_rows=number("CUSTLIB_MAX_ROWS", cls.max_rows),
                   max_columns=number("CUSTLIB_MAX_COLUMNS", cls.max_columns),
                   max_xlsx_cells=number("CUSTLIB_MAX_XLSX_CELLS", cls.max_xlsx_cells))


# DuckDB's own default is 80% of RAM; an import should not take that from the app's readers.
IMPORT_MEMORY_LIMIT = re.sub(r"[^0-9A-Za-z.]", "", os.environ.get("CUSTLIB_IMPORT_MEMORY", "1500MB")) or "1500MB"

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Problem:
    kind: str
    severity: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self, file_name: str) -> str:
        where = [file_name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        shown = f" {self.value!r}:" if self.value is not None else ""
        return f"{', '.join(where)}:{shown} {self.message}"


@dataclass
class ImportReport:
    """What an import read, stored and found wrong; printed by the CLI, shown by the Data page."""
    file_name: str
    table: str
    dataset: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool | None = None
    columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_dropped_as_duplicates: int = 0
    strict: bool = False
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None
    stored_path: str | None = None
    dataset_version: int | None = None
    accepted: bool = False
    reason: str | None = None  # why a rejected file was rejected, in the words of its message

    def add(self, problem: Problem, count: int = 1, sample: bool = True) -> None:
        self.counts[problem.kind] = self.counts.get(problem.kind, 0) + count
        self.severities[problem.kind] = problem.severity
        if sample and sum(p.kind == problem.kind for p in self.problems) < MAX_PROBLEMS_PER_KIND:
            self.problems.append(problem)

    @property
    def error_count(self) -> int:
        return sum(n for kind, n in self.counts.items() if self.severities[kind] == ERROR)

    def summary(self) -> str:
        if self.accepted:
            line = (f"Imported {self.rows_loaded:,} of {self.rows_read:,} rows from {self.file_name} "
                    f"into {self.table} of dataset {self.dataset!r}")
            skipped = self.rows_rejected + self.rows_dropped_as_duplicates
            return line + (f"; {skipped:,} skipped (see the report)." if skipped else ".")
        if self.reason:
            return f"Rejected {self.file_name}: {self.reason.rstrip('.')}. The database is unchanged."
        return f"Rejected {self.file_name}: nothing was imported and the database is unchanged."

    def to_text(self) -> str:
        lines = [self.summary()]
        details = []
        if self.file_format:
            details.append(self.file_format)
        if self.encoding:
            details.append(f"encoding {self.encoding}")
        if self.delimiter:
            details.append({",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe",
                            " ": "whitespace"}.get(self.delimiter, repr(self.delimiter)) + "-separated")
        if self.has_header is not None:
            details.append("header on row 1" if self.has_header else "no header row")
        if details:
            lines.append("Read as " + ", ".join(details) + ".")
        if self.mapping:
            lines.append("Columns: " + ", ".join(f"{f} <- {c!r}" for f, c in self.mapping.items()) + ".")
        if self.formats:
            lines.append("Formats: " + "; ".join(f"{k}: {v}" for k, v in self.formats.items()) + ".")
        if self.counts:
            lines.append("Problems by kind:")
            for kind, count in sorted(self.counts.items(), key=lambda kv: (self.severities[kv[0]] != ERROR, kv[0])):
                lines.append(f"  {self.severities[kind]:<7} {kind}: {count:,}")
            for problem in self.problems:
                lines.append(f"  - {problem.severity}: {problem.describe(self.file_name)}")
            shown = len(self.problems)
            total = sum(self.counts.values())
            if total > shown:
                lines.append(f"  ({total - shown:,} more not listed; at most {MAX_PROBLEMS_PER_KIND} per kind)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Source:
    """A file opened for import: where its UTF-8 text (or workbook frame) is and how to read it."""
    path: Path
    file_format: str            # "text", "xlsx", "parquet"
    encoding: str | None = None
    text_path: Path | None = None
    delimiter: str | None = None  # None with text = single column; " " = runs of whitespace
    has_header: bool = True
    headers: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    sha256: str | None = None
    temp_dir: Path | None = None
    lines: int | None = None    # line feeds in the text, plus one for a last line without one

    def close(self) -> None:
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


# --- opening files ------------------------------------------------------------------------------

def _reject(report: ImportReport, kind: str, message: str, **where) -> ImportRejected:
    report.add(Problem(kind, ERROR, message, **where))
    report.reason = message
    return ImportRejected(f"{report.file_name}: {message}", report)


def open_source(path: Path, report: ImportReport, has_header: bool | None = None,
                sheet: str | int | None = None, preview: bool = False) -> Source:
    """The file opened for reading, or ImportRejected saying why not. ``preview``: only its first rows
    will be read (a workbook is then cut after them rather than measured whole)."""
    if not path.is_file():
        raise _reject(report, "file_not_found", f"there is no file at {path}.")
    size = path.stat().st_size
    if size == 0:
        raise _reject(report, "empty_file", "the file is empty (0 bytes).")
    limits = Limits.from_environment()
    if size > limits.max_bytes:
        raise _reject(report, "file_too_large",
                      f"the file is {size / 2**20:,.0f} MB, over the limit of {limits.max_bytes / 2**20:,.0f} MB "
                      f"(CUSTLIB_MAX_UPLOAD_MB). Split it, or raise the limit.")
    source = _open_by_kind(path, report, has_header, sheet, preview)
    if len(source.headers) > limits.max_columns:
        source.close()
        raise _too_many_columns(report, len(source.headers))
    _report_repeated_headers(source.headers, report)
    return source


def _too_many_columns(report: ImportReport, columns: int) -> ImportRejected:
    limit = Limits.from_environment().max_columns
    return _reject(report, "too_many_columns", f"the file has {columns:,} columns, over the limit of {limit:,} "
                   f"(CUSTLIB_MAX_COLUMNS). Export only the columns you need.")


def _report_repeated_headers(headers: list[str], report: ImportReport) -> None:
    """A header name used twice (renamed ``name (2)`` here): a warning, since a mapping by name takes the first."""
    for number, header in enumerate(headers, 1):
        match = re.fullmatch(r"(.*) \((\d+)\)", header)
        if match and match.group(1) in headers:
            first = headers.index(match.group(1)) + 1
            report.add(Problem("repeated_header", WARNING,
                               f"the header {match.group(1)!r} names columns {first} and {number}; column {number} "
                               f"is called {header!r} here, and a field mapped to {match.group(1)!r} reads column "
                               f"{first}", column=header))


def _open_by_kind(path: Path, report: ImportReport, has_header: bool | None, sheet: str | int | None,
                  preview: bool) -> Source:
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0") and suffix in (".xlsx", ".xlsm"):
        raise _reject(report, "encrypted_xlsx", "this .xlsx is password-protected (encrypted) or an old .xls "
                      "workbook renamed. Remove the password (or save it as .xlsx) in Excel or WPS, then upload it.")
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path, report, has_header, sheet, preview)
    if other := next((what for magic, what in _OTHER_FORMATS if head.startswith(magic)), None):
        raise _reject(report, "wrong_file_type",
                      f"this is {other}, not a table. Upload CSV, TSV, Excel .xlsx or Parquet.")
    if head.startswith(b"PAR1") or suffix == ".parquet":
        return _open_parquet(path, report)
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise _reject(report, "old_excel", "this is an old Excel .xls workbook; open it in Excel or WPS and "
                      "save it as .xlsx or CSV, then upload that.")
    return _open_text(path, report, has_header)


@dataclass
class DecodeResult:
    ok: bool
    bad_offset: int            # byte offset of the first undecodable byte (file size when ok)
    utf8_text_before: bool     # complete lines before bad_offset hold non-ASCII text that decoded
    line_feeds: int = 0        # in the UTF-8 text, when ok
    ends_with_line_feed: bool = False


_NON_ASCII = re.compile(rb"[\x80-\xff]")

# First bytes of files people upload by mistake (a download still compressed, a report saved as PDF).
_OTHER_FORMATS = ((b"\x1f\x8b", "a gzip-compressed file (decompress it first)"), (b"%PDF", "a PDF document"),
                  (b"Rar!", "a RAR archive (unpack it first)"), (b"7z\xbc\xaf", "a 7-Zip archive (unpack it first)"),
                  (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"))


def _binary_problem(head: bytes) -> tuple[str, int | None]:
    """Why bytes with NULs in them are not a table we read, in words, and the line of the first NUL.

    UTF-16 without a byte-order mark has a NUL beside every ASCII character; a text file with a few
    NUL bytes is damaged; anything else is binary.
    """
    pairs = len(head) // 2
    for odd in (1, 0):
        if pairs and head[odd::2].count(0) > 0.4 * pairs and head[1 - odd::2].count(0) < 0.05 * pairs:
            return ("this looks like UTF-16 text without a byte-order mark. Save it again as UTF-8 CSV (Excel: "
                    "'CSV UTF-8'), or as 'Unicode text', which carries the mark."), None
    nuls = head.count(0)
    if nuls <= 0.1 * len(head) and sum(b >= 32 or b in (9, 10, 13) for b in head) - nuls >= 0.95 * (len(head) - nuls):
        line = head.count(b"\n", 0, head.index(0)) + 1
        return (f"line {line} contains NUL bytes (binary zeros), which a text file never holds: the file is "
                f"damaged. Export it again, or remove the NUL bytes."), line
    return "this is not a text file (it contains binary data). Upload CSV, TSV, Excel .xlsx or Parquet.", None


def _gbk_doubt(path: Path) -> tuple[str, int] | None:
    """Why a file that decodes as GBK is probably not GBK, and the line that shows it; None when it is.

    Two mistakes decode as GBK without an error: a line of UTF-8 Chinese after GBK lines (two exports
    pasted together), and Western European Latin-1 text, whose accented letters pair up with the next
    letter (``Müller`` reads as ``M黮ler``). Checks the first and the last 4 MB.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(CHUNK_BYTES)
        tail_start = max(len(head), size - CHUNK_BYTES)
        handle.seek(tail_start)
        tail = handle.read()
    for start, block in ((0, head), (tail_start, tail)):
        lines = block.split(b"\n")
        first = 0 if start == 0 else 1  # the first line of the tail may be cut
        for number, line in enumerate(lines[first:len(lines) - (block is head and size > len(head))], first):
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 2:
                where = number + (_line_of_offset(path, start) if start else 1)
                return (f"the file mixes encodings: line {where} is UTF-8 text but the lines before it are GBK. "
                        f"Save the whole file again in one encoding, preferably UTF-8."), where
    text = head.decode("gb18030", errors="replace")
    non_ascii = len(re.sub(r"[\x00-\x7f]+", "", text))
    latin = list(re.finditer(r"[A-Za-z][^\x00-\x7f][A-Za-z]+", text))
    if len(latin) >= 3 and len(latin) >= non_ascii / 2:
        line = text.count("\n", 0, latin[0].start()) + 1
        return (f"the file is not UTF-8, and read as Chinese GBK it gives words like {latin[0].group()!r} "
                f"(line {line}): it is probably Western European text (Latin-1/Windows-1252). Save it again as "
                f"UTF-8 (Excel: 'CSV UTF-8')."), line
    return None


def _decode_stream(path: Path, encoding: str, out=None, digest=None) -> DecodeResult:
    """Decode the whole file with ``encoding`` in 4 MB chunks, never holding it in memory.

    Writes UTF-8 to ``out`` and feeds ``digest`` when given. ``utf8_text_before`` tells a file
    that mixes encodings (valid non-ASCII lines, then invalid bytes) from one that is simply
    in another encoding: a GBK file is almost never valid UTF-8 for a whole line of Chinese text.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, first_non_ascii, last_newline = 0, None, -1
    line_feeds, last_byte = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if digest is not None:
                digest.update(chunk)
            try:
                if out is None and encoding == "utf-8" and chunk.isascii() and not decoder.getstate()[0]:
                    text = ""  # ASCII, with no character left open before it: valid UTF-8 as it is
                else:
                    text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                newline_in_chunk = chunk.rfind(b"\n", 0, exc.start)
                if newline_in_chunk >= 0:
                    last_newline = offset + newline_in_chunk
                if first_non_ascii is None and (match := _NON_ASCII.search(chunk, 0, max(exc.start, 0))):
                    first_non_ascii = offset + match.start()
                before = first_non_ascii is not None and first_non_ascii < last_newline
                return DecodeResult(False, bad, before)
            if first_non_ascii is None and not chunk.isascii():
                first_non_ascii = offset + _NON_ASCII.search(chunk).start()
            newline_in_chunk = chunk.rfind(b"\n")
            if newline_in_chunk >= 0:
                last_newline = offset + newline_in_chunk
            utf8_bytes = chunk if out is None else text.encode("utf-8")
            line_feeds += utf8_bytes.count(b"\n")
            last_byte = utf8_bytes[-1:] or last_byte
            if out is not None:
                out.write(utf8_bytes)
            offset += len(chunk)
        try:
            text = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return DecodeResult(False, offset, first_non_ascii is not None and first_non_ascii < last_newline)
        if out is not None and text:
            out.write(text.encode("utf-8"))
            line_feeds += text.count("\n")
            last_byte = text.encode("utf-8")[-1:]
    return DecodeResult(True, offset, False, line_feeds, last_byte == b"\n")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _line_of_offset(path: Path, offset: int) -> int:
    lines, read = 1, 0
    with path.open("rb") as handle:
        while read < offset and (chunk := handle.read(min(CHUNK_BYTES, offset - read))):
            lines += chunk.count(b"\n")
            read += len(chunk)
    return lines


def _open_text(path: Path, report: ImportReport, has_header: bool | None) -> Source:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    source = Source(path=path, file_format="text")
    digest = hashlib.sha256()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in head:
        message, nul_line = _binary_problem(head)
        raise _reject(report, "binary_file", message, row=nul_line)
    else:
        utf8 = _decode_stream(path, "utf-8", digest=digest)
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        if not utf8.ok:
            encoding = "gb18030"
            utf8_line = _line_of_offset(path, utf8.bad_offset)
            if utf8.bad_offset == path.stat().st_size:  # an incomplete character at the very end
                raise _reject(report, "truncated_file", f"the file ends in the middle of a character (line "
                              f"{utf8_line}): it was cut short while saving, copying or downloading. Upload the "
                              f"complete file.", row=utf8_line)
            if head.startswith(codecs.BOM_UTF8):
                raise _reject(report, "mislabelled_encoding", f"the file starts with a UTF-8 byte-order mark, "
                              f"but line {utf8_line} is not UTF-8 (it may be GBK). Save it again as UTF-8 "
                              f"(Excel: 'CSV UTF-8').", row=utf8_line)
            if utf8.utf8_text_before:
                raise _reject(report, "mixed_encodings",
                              f"the file mixes encodings: lines before line {utf8_line} are UTF-8 text but line "
                              f"{utf8_line} is not (probably GBK). Save the whole file again in one encoding, "
                              f"preferably UTF-8.", row=utf8_line)
            digest = hashlib.sha256()  # the UTF-8 pass stopped early; the transcoding pass hashes all
    if encoding in ("utf-8", "utf-8-sig"):
        source.text_path = path
        source.lines = utf8.line_feeds + (not utf8.ends_with_line_feed)
    else:
        source.temp_dir = _temp_dir("text")
        source.text_path = source.temp_dir / "utf8.txt"
        with source.text_path.open("wb") as out:
            decoded = _decode_stream(path, encoding, out, digest=digest)
        if not decoded.ok:
            source.close()
            line = _line_of_offset(path, decoded.bad_offset)
            if encoding == "gb18030":
                raise _reject(report, "unknown_encoding",
                              f"the text is neither UTF-8 (invalid bytes on line {utf8_line}) nor GBK/GB18030 "
                              f"(invalid bytes on line {line}). It may mix encodings or not be text; save it "
                              f"again as UTF-8 CSV.", row=line)
            raise _reject(report, "unknown_encoding", f"invalid {encoding} text on line {line}.", row=line)
        source.lines = decoded.line_feeds + (not decoded.ends_with_line_feed)
        if encoding == "gb18030" and (doubt := _gbk_doubt(path)):
            source.close()
            raise _reject(report, "unknown_encoding", doubt[0], row=doubt[1])
    source.sha256 = digest.hexdigest()
    source.encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16",
                       "gb18030": "GBK/GB18030"}[encoding]
    with source.text_path.open("r", encoding="utf-8-sig", newline="") as handle:
        sample_text = handle.read(SNIFF_BYTES)
    if len(sample_text) == SNIFF_BYTES and "\n" in sample_text:
        sample_text = sample_text[:sample_text.rindex("\n")]  # the last line may be cut off
    if not sample_text.strip():
        source.close()
        raise _reject(report, "empty_file", "the file has no text (only blank lines).")
    if problem := _not_a_table(sample_text):
        source.close()
        raise _reject(report, "not_a_table", problem)
    source.delimiter, first_row = _sniff_dialect(sample_text)
    source.has_header = _looks_like_header(first_row) if has_header is None else has_header
    if source.has_header:
        source.headers = _unique_headers(first_row)
    else:
        source.headers = [str(i + 1) for i in range(len(first_row))]
    return source


def _not_a_table(sample_text: str) -> str | None:
    """Why the start of a text file shows it is not a table (a web page, one endless line), or None."""
    if re.match(r"\s*<(!doctype\s+html|html[\s>])", sample_text[:1024], re.IGNORECASE):
        return ("this is a web page (HTML), not a table: the download probably failed or asked for a login. "
                "Download the export again and upload the CSV or Excel file.")
    if len(sample_text) >= SNIFF_BYTES and not re.search(r"[\r\n]", sample_text):
        return (f"the first {SNIFF_BYTES >> 10} KB hold no line break, so this is not a table of one record per "
                f"line. Check that it is the right file.")
    return None


def _sniff_dialect(sample_text: str) -> tuple[str | None, list[str]]:
    """The delimiter whose field count is most consistent over the sampled records (comma, tab,
    semicolon, pipe, then runs of whitespace), and the first record split with it."""
    lines = [line for line in sample_text.splitlines() if line.strip()][:200]
    best: tuple[float, int, str] | None = None
    for delimiter in (",", "\t", ";", "|"):
        try:
            rows = [row for row in csv.reader(io.StringIO(sample_text, newline=""), delimiter=delimiter) if row][:200]
        except csv.Error:  # a field over 128 KB: not a table split by this delimiter
            continue
        counts = [len(row) for row in rows]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        if mode > 1 and consistency >= 0.5 and (best is None or (consistency, mode) > best[:2]):
            best = (consistency, mode, delimiter)
    if best is not None:
        delimiter = best[2]
        return delimiter, next(row for row in csv.reader(io.StringIO(sample_text, newline=""), delimiter=delimiter)
                               if row)
    counts = [len(line.split()) for line in lines]
    mode = max(set(counts), key=counts.count)
    if mode > 1 and counts.count(mode) / len(counts) >= 0.5:
        return " ", lines[0].split()
    return None, [lines[0]]


_NUMBERISH = re.compile(r"^[\s¥￥$€£+\-(),.\d]+$")


def _looks_like_header(row: list[str]) -> bool:
    """A header names columns: no field of it is a number or a date."""
    for value in row:
        text = value.strip()
        if not text:
            continue
        if _NUMBERISH.match(text) or re.match(r"^\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}", text):
            return False
    return True


def _unique_headers(row: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    headers = []
    for i, value in enumerate(row):
        name = value.strip().lstrip("\ufeff") or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


def _open_xlsx(path: Path, report: ImportReport, has_header: bool | None, sheet: str | int | None,
               preview: bool) -> Source:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            expanded = sum(info.file_size for info in archive.infolist())
            compressed = sum(info.compress_size for info in archive.infolist())
    except zipfile.BadZipFile:
        with path.open("rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        raise _reject(report, "bad_xlsx", "this is not a valid .xlsx workbook " + (
            "(the file is damaged or cut short). Save it again from Excel or WPS." if is_zip else
            "(it is not even a zip archive, as every .xlsx is: probably a CSV or another file renamed). Upload "
            "it under its real type, or save it again from Excel or WPS.")) from None
    if "xl/workbook.xml" not in names:
        held = ", ".join(repr(name) for name in names[:3]) + (", ..." if len(names) > 3 else "")
        raise _reject(report, "bad_xlsx", f"this zip file is not an Excel .xlsx workbook (it holds "
                      f"{held or 'nothing'}). Unzip it and upload the file inside.")
    if expanded > MAX_XLSX_UNCOMPRESSED:
        raise _reject(report, "xlsx_too_large",
                      f"the workbook expands to {expanded / 2**20:,.0f} MB, over the limit of "
                      f"{MAX_XLSX_UNCOMPRESSED / 2**20:,.0f} MB. Export the sheet as CSV instead.")
    if expanded > XLSX_EXPANSION_CHECKED_FROM and expanded > MAX_XLSX_EXPANSION * max(compressed, 1):
        raise _reject(report, "xlsx_too_large",
                      f"the workbook's {compressed / 2**20:,.1f} MB expand to {expanded / 2**20:,.0f} MB of XML, "
                      f"{expanded / max(compressed, 1):,.0f} times as much (real exports expand 5 to 20 times): it "
                      f"was built to exhaust the reader, so it was not opened. Export the sheet as CSV instead.")
    if part := _part_declaring_entities(path):
        raise _reject(report, "bad_xlsx", f"the workbook's part {part!r} declares XML entities (a DOCTYPE), "
                      f"which Excel and WPS never write: entities are how files are built to make a reader expand "
                      f"text a billionfold or read files from the server. It was not opened. Save the sheet "
                      f"again from Excel or WPS.")
    temp_dir = None
    try:
        if preview:
            temp_dir = _temp_dir("preview")
            head = workbook.head_copy(path, temp_dir / "head.xlsx", PREVIEW_SHEET_ROWS)
            _check_sheet_sizes(head, report, sheet, in_first_rows=PREVIEW_SHEET_ROWS)
            cells = _sheet_cells(head, sheet)
        else:
            _check_sheet_sizes(path, report, sheet)
            cells = _sheet_cells(path, sheet)
    except ImportRejected:
        raise
    except python_calamine.WorksheetNotFound:
        raise _reject(report, "bad_xlsx", f"the workbook has no sheet {sheet!r}.") from None
    except Exception as exc:  # the reader raises many types for damaged workbooks
        raise _reject(report, "bad_xlsx", f"the workbook could not be read: it is damaged or was not written by a "
                      f"spreadsheet program ({type(exc).__name__}: {str(exc)[:200]}). Save it again from Excel or "
                      f"WPS.") from None
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    if cells is None:
        raise _reject(report, "empty_file", "every sheet of the workbook is empty.")
    width = max(map(len, cells))
    grid = np.empty((len(cells), width), dtype=object)
    if any(len(row) != width for row in cells):  # rows are rectangular from calamine; pad if ever not
        cells = [row + [""] * (width - len(row)) for row in cells]
    grid[:] = cells
    text = pd.DataFrame({i: _column_text(grid[:, i]) for i in range(width)}, dtype=object).dropna(how="all", axis=1)
    if text.shape[1] > Limits.from_environment().max_columns:
        raise _too_many_columns(report, text.shape[1])
    first_row = ["" if v is None else v for v in text.iloc[0].tolist()] if len(text) else []
    header = _looks_like_header(first_row) if has_header is None else has_header
    source = Source(path=path, file_format="xlsx", sha256=_sha256(path), has_header=header, delimiter=None)
    if header:
        source.headers = _unique_headers(first_row)
        body = text.iloc[1:]
    else:
        source.headers = [str(i + 1) for i in range(text.shape[1])]
        body = text
    body = body.copy()
    body.columns = [f"c{i + 1}" for i in range(body.shape[1])]
    body.insert(0, "source_row", [int(i) + 1 for i in body.index])  # Excel's own row numbers
    source.frame = body.astype({c: "object" for c in body.columns if c != "source_row"})
    return source


def _check_sheet_sizes(path: Path, report: ImportReport, sheet: str | int | None,
                       in_first_rows: int | None = None) -> None:
    """Stream the sheets the reader would build (the chosen one, or each up to the first with a value) and
    reject the file, before anything is built, when one has more rows or a larger extent than the limits.

    ``in_first_rows``: ``path`` holds only the sheets' first rows (a preview), which may span as many cells as
    that many rows of the widest table allowed."""
    limits = Limits.from_environment()
    max_cells = limits.max_xlsx_cells if in_first_rows is None else in_first_rows * limits.max_columns
    within = "" if in_first_rows is None else f" in its first {in_first_rows:,} rows"
    try:
        listed = workbook.sheets(path)
    except (KeyError, ElementTree.ParseError):  # no usable sheet list: measure every worksheet part
        with zipfile.ZipFile(path) as archive:
            listed = [(name, name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    if isinstance(sheet, str):
        listed = [entry for entry in listed if entry[0] == sheet]
    elif isinstance(sheet, int):
        listed = listed[sheet:sheet + 1]
    for name, member in listed:
        size = workbook.measure(path, name, member, limits.max_rows + 1, max_cells)  # + the header
        if size.over == "rows":
            raise _reject(report, "too_many_rows",
                          f"sheet {name!r} has more than {limits.max_rows:,} rows, the limit (CUSTLIB_MAX_ROWS); "
                          f"reading stopped there. Split it, or raise the limit.")
        if size.over == "cells":
            raise _reject(report, "xlsx_too_large",
                          f"sheet {name!r} spans more than {max_cells:,} cells{within} (at least {size.rows:,} "
                          f"rows by {max(size.columns, 1):,} columns), the limit for a workbook "
                          f"(CUSTLIB_MAX_XLSX_CELLS); reading stopped there. Export the sheet as CSV instead.")
        if size.has_values:
            return


def _part_declaring_entities(path: Path) -> str | None:
    """The first XML part of a workbook whose prolog declares a DOCTYPE or entities, or None.

    The reader expands no entities either way; this only says plainly why such a file is refused. A part
    that cannot be read is left for the reader to report.
    """
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.endswith((".xml", ".rels")):
                try:
                    with archive.open(info) as part:
                        head = part.read(4096)
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
                    continue
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    return info.filename
    return None


def _sheet_cells(path: Path, sheet: str | int | None) -> list[list] | None:
    """The cells of the chosen sheet, or of the first sheet with a value, row by row from Excel's row 1
    (so a row's index + 1 is its row number in Excel); None when every sheet is empty.

    python-calamine (Rust) reads a million-row sheet in 4-5 s, where openpyxl takes a minute.
    """
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        if sheet is not None:
            chosen = workbook.get_sheet_by_name(sheet) if isinstance(sheet, str) else workbook.get_sheet_by_index(sheet)
            sheets = [chosen]
        else:
            sheets = (workbook.get_sheet_by_index(i) for i in range(len(workbook.sheet_names)))
        for candidate in sheets:
            rows = candidate.to_python(skip_empty_area=False)
            if any(value != "" for row in rows for value in row):
                return rows
        return None
    finally:
        workbook.close()


_TYPE_OF = np.frompyfunc(type, 1, 1)
# Whole numbers a double holds exactly are written without '.0' (an id or a count, as Excel shows it).
EXACT_WHOLE_NUMBERS = 2 ** 53


def _column_text(column: np.ndarray) -> list:
    """A sheet column as the text a CSV export would have (see ``_cell_text``), empty cells None.

    Text and number cells, nearly all of a sheet, are converted in bulk; dates and other kinds cell by cell.
    """
    kinds = _TYPE_OF(column)
    text = np.empty(len(column), dtype=object)
    is_text = kinds == str
    text[is_text] = column[is_text]
    text[is_text & (column == "")] = None
    # Excel numbers are doubles (an int would be one beyond a double's precision: it goes as written)
    is_number = kinds == float
    if is_number.any():
        numbers = column[is_number].astype(float)
        whole = np.isfinite(numbers) & (numbers == np.trunc(numbers)) & (np.abs(numbers) < EXACT_WHOLE_NUMBERS)
        written = np.empty(len(numbers), dtype=object)
        written[whole] = numbers[whole].astype(np.int64).astype(str)
        written[~whole] = [str(number) for number in numbers[~whole].tolist()]  # Python's shortest repr
        text[is_number] = written
    other = ~(is_text | is_number)
    if other.any():
        text[other] = [_cell_text(value) for value in column[other].tolist()]
    return text.tolist()


def _cell_text(value) -> str | None:
    """Excel cells as the text a CSV export would have: dates ISO, whole numbers without '.0'."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_WHOLE_NUMBERS:
        return str(int(value))
    text = str(value)
    return text


def _open_parquet(path: Path, report: ImportReport) -> Source:
    try:
        names = _parquet_columns(path)
    except duckdb.Error as exc:
        first_line = str(exc).partition("\n")[0]
        raise _reject(report, "bad_parquet", f"this is not a readable Parquet file ({first_line}).") from None
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


# --- reading SQL --------------------------------------------------------------------------------

def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
            raise _reject(report, "too_many_rows", f"the file has {rows:,} rows, over the limit of {max_rows:,} "
                          f"(CUSTLIB_MAX_ROWS). Split it, or raise the limit.")
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
    flags = [f"coalesce({condition}, false) as bad_{i}" for i, (_, _, condition, _, _) in enumerate(checks)]
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

_PROBLEM_TEXT = {
    "date": ("bad_date", "is not a date in the column's format ({fmt})"),
    "timestamp": ("bad_date", "is not a date/time in the column's format ({fmt})"),
    "amount": ("bad_amount", "is not an amount (expected a number such as 1,234.50 or ¥1,234.50)"),
    "number": ("bad_number", "is not a number"),
    "flag": ("bad_flag", "is not a yes/no value (use 1/0, yes/no, true/false, 是/否)"),
    "score": ("bad_score", "is not a whole number from {low:g} to {high:g}"),
    "kind": ("bad_kind", "is not an interaction kind (call, visit, email, ticket, complaint, survey)"),
}


def _sample_values(cur, reader: RawReader, column: str) -> list[str]:
    rows = cur.execute(f"select {column} from ({reader.sample_sql}) where {column} is not null "
                       f"limit {SAMPLE_ROWS}", reader.params).fetchall()
    return [row[0] for row in rows]


def _field_expressions(cur, reader: RawReader, table: str, mapping: dict[str, int], headers: list[str],
                       file_name: str, date_order: str | None, report: ImportReport) -> tuple[list[str], list[tuple]]:
    """SQL for each canonical field (parsed value) and for its checks (kind, message, condition, raw column)."""
    today_limit = date.today() + timedelta(days=366)
    expressions: list[str] = []
    checks: list[tuple[str, str, str, str, str]] = []
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
            checks.append(("missing_value", f"{name} is required but the cell is empty",
                           blank_sql(raw) if spec.kind == "id" else f"{raw} is null", raw, column))
        if spec.kind in _PROBLEM_TEXT:
            kind, text = _PROBLEM_TEXT[spec.kind]
            text = text.format(fmt=report.formats.get(name, ""), low=spec.low or 0, high=spec.high or 0)
            checks.append((kind, text, f"{raw} is not null and {name} is null", raw, column))
        if spec.kind in ("date", "timestamp"):
            checks.append(("date_out_of_range",
                           f"is outside {EARLIEST_DATE.isoformat()} .. {today_limit.isoformat()}",
                           f"{name} is not null and (cast({name} as date) < date '{EARLIEST_DATE.isoformat()}' "
                           f"or cast({name} as date) > date '{today_limit.isoformat()}')", raw, column))
        if spec.kind in ("amount", "number"):
            checks.append(("amount_out_of_range" if spec.kind == "amount" else "number_out_of_range",
                           f"is not a finite number within ±{MAX_ABS_AMOUNT:,.0f}",
                           f"{name} is not null and (not isfinite({name}) or abs({name}) > {MAX_ABS_AMOUNT})",
                           raw, column))
        if spec.kind == "score":
            checks.append(("score_out_of_range", f"must be a whole number from {spec.low:g} to {spec.high:g}",
                           f"{name} is not null and ({name} < {spec.low:g} or {name} > {spec.high:g} "
                           f"or try_cast({raw} as double) <> {name})", raw, column))
    return expressions, checks


# --- the import ---------------------------------------------------------------------------------

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
            dataset = db.get_dataset(con).name
    report.dataset = db.validate_dataset_name(dataset)
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
        report.dataset_version = db.get_dataset(con, report.dataset).version
        return report
    except (ImportRejected, NeedsDecision) as exc:
        if isinstance(exc, ImportRejected):
            report.reason = str(exc).removeprefix(f"{file_name}: ")
        if isinstance(exc, ImportRejected) and exc.report is None:
            exc.report = report
            if not any(p.severity == ERROR for p in report.problems):
                report.add(Problem(exc.kind, ERROR, str(exc).split(": ", 1)[-1]))
        _discard_upload(con, stored_path)
        raise
    except duckdb.Error as exc:
        _discard_upload(con, stored_path)
        message = _duckdb_message(exc)
        report.add(Problem("unreadable", ERROR, message))
        report.reason = message
        raise ImportRejected(f"{file_name}: {message}", report) from None
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
            kind, message = "wrong_field_count", f"has {found} fields but the header has {len(source.headers)}"
        else:
            kind = error_type.lower().replace(" ", "_")
        report.add(Problem(kind, ERROR, message, row=int(line), value=(csv_line or "")[:200]))
    staged_rows = cur.execute("select count(*) from import_rows").fetchall()[0][0]
    report.rows_read = staged_rows + len(structural)
    if report.rows_read == 0:
        raise _reject(report, "no_rows", "the file has a header but no data rows.")
    if report.rows_read > max_rows:
        raise _reject(report, "too_many_rows", f"the file has more than {max_rows:,} rows, the limit "
                      f"(CUSTLIB_MAX_ROWS); reading stopped there. Split it, or raise the limit.")

    bad_rows = 0
    if checks:
        counts = cur.execute("select " + ", ".join(f"count(*) filter (where bad_{i})" for i in range(len(checks)))
                             + ", count(*) filter (where is_bad) from import_checked").fetchall()[0]
        bad_rows = counts[-1]
        for i, ((kind, message, _, raw, column), count) in enumerate(zip(checks, counts)):
            if not count:
                continue
            examples = cur.execute(f"select source_row, {raw} from import_staged where bad_{i} "
                                   f"order by source_row limit {MAX_PROBLEMS_PER_KIND}").fetchall()
            for row, value in examples:
                report.add(Problem(kind, ERROR, message, row=int(row), column=column, value=value))
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
        raise ImportRejected(f"{file_name}: {report.error_count:,} problem(s) found and strict mode is on; "
                             f"nothing was imported.", report)
    loaded = staged_rows - bad_rows - conflicts - dropped
    if loaded == 0:
        raise ImportRejected(f"{file_name}: none of the {report.rows_read:,} rows is valid, so nothing was "
                             f"imported. Check the column mapping and formats in the report.", report)
    report.rows_loaded = loaded
    excluded = "" if not (conflicts or dropped) else (
        " and source_row not in (select source_row from import_excluded)")
    return f"not is_bad{excluded}"


def _store(cur, report: ImportReport, table: str, good_rows: str, append: bool) -> None:
    """Inside the write transaction: register the import and insert the good staged rows (replacing the
    dataset's earlier rows of ``table`` unless ``append``)."""
    fields = ", ".join(db.TABLE_COLUMNS[table])
    dataset_id = db.ensure_dataset(cur, report.dataset)
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
    db.bump_version(cur, dataset_id)


def _row_key(table: str, fields: list[str]) -> str:
    """What makes two rows the same: the customer id for customers, every field otherwise."""
    return "customer_id" if table == "customers" else ", ".join(fields)


def _find_repeat_groups(cur, table: str, fields: list[str], by_order: bool) -> None:
    """Every group of imported rows that could hold a repeat: ``import_repeat_groups``.

    Both later checks look only at rows that share something: duplicates are identical in every field
    (so, with order ids, they share the order id) and an order-id conflict needs two rows of one order.
    So rows with an order id are grouped by a hash of it and rows without one by a hash of the whole
    row; groups of one row, nearly all rows of a typical file, are settled here, and the exact checks
    then read only the few candidates. ``may_conflict`` marks orders seen under two customers.

    When the first 100,000 rows repeat no order id (one row per order), the order groups are first
    counted alone and customers compared only within the repeated ones: at 10M rows that is 0.6 s
    against 1.2 s for one aggregate with the customer range, whose larger groups no longer fit in
    memory. A file of order lines repeats ids from the start and gets the single aggregate.
    """
    row_hash = f"hash({_row_key(table, fields)})"
    by_rows = (f"select true as by_row, {row_hash} as group_key, false as may_conflict from import_checked "
               f"where not is_bad {'and order_id is null ' if by_order else ''}group by 2 having count(*) > 1")
    if not by_order:
        cur.execute(f"create temp table import_repeat_groups as {by_rows}")
        return
    customers_differ = "min(hash(customer_id)) <> max(hash(customer_id))"
    order_lines = cur.execute("select count(order_id) - count(distinct order_id) from "
                              "(select order_id from import_checked limit 100000)").fetchall()[0][0]
    if order_lines:
        cur.execute(f"""
            create temp table import_repeat_groups as
            select false as by_row, hash(order_id) as group_key, {customers_differ} as may_conflict
            from import_checked where not is_bad and order_id is not null group by 2 having count(*) > 1
            union all {by_rows}""")
        return
    cur.execute("""
        create temp table import_repeated_orders as
        select hash(order_id) as group_key from import_checked
        where not is_bad and order_id is not null group by 1 having count(*) > 1""")
    if not cur.execute("select count(*) from import_repeated_orders").fetchall()[0][0]:
        cur.execute(f"create temp table import_repeat_groups as {by_rows}")
        return
    cur.execute(f"""
        create temp table import_repeat_groups as
        select false as by_row, hash(order_id) as group_key, {customers_differ} as may_conflict
        from import_checked
        where not is_bad and order_id is not null
          and hash(order_id) in (select group_key from import_repeated_orders)
        group by 2
        union all {by_rows}""")


def _check_orders(cur, report: ImportReport) -> None:
    """An order id that belongs to two customers cannot be right: all rows of such orders are errors.

    Candidates come from ``import_repeat_groups``; the exact check reads only their rows.
    """
    cur.execute("""
        create temp table import_order_candidates as
        select group_key as order_hash from import_repeat_groups where may_conflict""")
    if not cur.execute("select count(*) from import_order_candidates").fetchall()[0][0]:
        return
    cur.execute("""
        create temp table import_order_conflicts as
        with candidates as (
            select source_row, order_id, customer_id from import_staged
            where not is_bad and hash(order_id) in (select order_hash from import_order_candidates)
        ),
        conflicting as (
            select order_id, min(customer_id) as first_customer, max(customer_id) as other_customer
            from candidates group by order_id having count(distinct customer_id) > 1
        ),
        final as (select c.source_row, c.order_id, k.first_customer, k.other_customer
                  from candidates c join conflicting k using (order_id))
        select * from final""")
    cur.execute("insert into import_excluded select source_row, 'conflict' from import_order_conflicts")
    rows = cur.execute(f"select source_row, order_id, first_customer, other_customer from import_order_conflicts "
                       f"order by source_row limit {MAX_PROBLEMS_PER_KIND}").fetchall()
    total = cur.execute("select count(*) from import_order_conflicts").fetchall()[0][0]
    column = report.mapping.get("order_id")
    for row, order_id, first, other in rows:
        report.add(Problem("order_id_conflict", ERROR,
                           f"order {order_id} appears under customers {first!r} and {other!r}; "
                           f"an order belongs to one customer", row=int(row), column=column, value=order_id))
    if rows:
        report.counts["order_id_conflict"] += total - len(rows)


def _check_duplicates(cur, report: ImportReport, table: str, fields: list[str], drop: bool) -> int:
    """Report rows identical in every field; drop all but the first only when the user asked.

    Identical transaction rows without an order id are usually separate orders (same
    product, same price, same day), so they are kept by default and only reported.
    For customers, a repeated customer id keeps the last row (exports list updates last).
    Returns the number of rows dropped.
    """
    key = _row_key(table, fields)
    keep_last = table == "customers"
    label = "customer_id" if keep_last else "order_id is null" if table == "transactions" else "false"
    candidate_groups, order_groups = cur.execute(
        "select count(*), count(*) filter (where not by_row) from import_repeat_groups").fetchall()[0]
    if not candidate_groups:
        return 0
    # Rows grouped by order id share an order, not yet every field: their row hashes are grouped again,
    # over those candidates only. Equal rows are then compared exactly.
    order_candidates = (f"""
        union
        select hash({key}) from import_checked
        where not is_bad and order_id is not null
          and hash(order_id) in (select group_key from import_repeat_groups where not by_row)
        group by 1 having count(*) > 1""" if order_groups else "")
    cur.execute(f"""
        create temp table import_repeat_hashes as
        select group_key as row_hash from import_repeat_groups where by_row {order_candidates}""")
    if not cur.execute("select count(*) from import_repeat_hashes").fetchall()[0][0]:
        return 0
    cur.execute(f"""
        create temp table import_repeats as
        with candidates as (
            select * from import_staged
            where not is_bad and hash({key}) in (select row_hash from import_repeat_hashes)
        ),
        ranked as (
            select source_row, {label} as label,
                   dense_rank() over (order by {key}) as group_id,
                   row_number() over (partition by {key} order by source_row {'desc' if keep_last else ''}) as rank_,
                   count(*) over (partition by {key}) as group_size
            from candidates
        ),
        final as (select * from ranked where group_size > 1)
        select * from final""")
    groups = cur.execute("""
        select any_value(label), list(source_row order by source_row), count(*)
        from import_repeats group by group_id order by min(source_row)""").fetchall()
    if table == "customers":
        for customer_id, rows, _ in groups[:MAX_PROBLEMS_PER_KIND]:
            report.add(Problem("repeated_customer", WARNING,
                               f"customer {customer_id} appears on rows {', '.join(map(str, rows[:10]))}; "
                               f"the last row (row {rows[-1]}) is kept", row=int(rows[0]),
                               column=report.mapping.get("customer_id"), value=customer_id))
        report.counts["repeated_customer"] += len(groups) - min(len(groups), MAX_PROBLEMS_PER_KIND)
        drop = True
    else:
        for no_order_id, rows, n in groups:
            if table == "transactions" and no_order_id:
                kind, severity = "identical_rows_without_order_id", INFO
                text = (f"{n} identical rows without an order id (rows {', '.join(map(str, rows[:10]))}); "
                        f"kept as separate orders" + (" but dropped at your request" if drop else ""))
            else:
                kind, severity = "duplicate_rows", WARNING
                text = (f"{n} rows identical in every column (rows {', '.join(map(str, rows[:10]))}), "
                        f"probably exported twice; " + ("all but the first dropped at your request" if drop
                                                        else "kept (choose 'drop duplicates' to keep one)"))
            report.add(Problem(kind, severity, text, row=int(rows[0])), count=n - 1)
    if not drop:
        return 0
    cur.execute("insert into import_excluded select source_row, 'duplicate' from import_repeats where rank_ > 1")
    return cur.execute("select count(*) from import_repeats where rank_ > 1").fetchall()[0][0]


# Kept uploads of imports still running in this process: not yet in ``imports``, and not orphans.
_KEEPING: set[str] = set()
_KEEPING_LOCK = threading.Lock()


def _keep_upload(con, path: Path, file_name: str, sha256: str | None) -> Path:
    """Copy the upload into the database's uploads folder (content-addressed: the same bytes are kept once).
    It is in use (see :data:`_KEEPING`) until :func:`_done_keeping`; the import records it in ``imports``."""
    folder = db.uploads_dir(con)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.\-]+", "_", Path(file_name).name, flags=re.UNICODE)[:120] or "upload"
    target = folder / f"{(sha256 or 'nohash')[:16]}-{safe}"
    with _KEEPING_LOCK:
        _KEEPING.add(str(target))
    if not target.exists():
        # A partial copy of its own: two imports of the same file at once each write theirs and the second
        # replace overwrites identical bytes (one shared ".partial" name made the slower one fail).
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=target.name + ".", suffix=".partial")
        os.close(handle)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            _done_keeping(target)
            raise
    return target


def _done_keeping(target: Path | None) -> None:
    if target is not None:
        with _KEEPING_LOCK:
            _KEEPING.discard(str(target))


def sweep_leftovers(con) -> list[Path]:
    """Remove what an import killed mid-way (``kill -9``, a power cut) left behind: kept uploads that no
    import of this database records, and the temporary folders of import processes that have ended.
    Called when the database is opened for writing (no other process can hold it then). Returns what went."""
    removed = []
    folder = db.uploads_dir(con)
    if folder.is_dir():
        with db.read_cursor(con) as cur:
            recorded = {row[0] for row in cur.execute(
                "select distinct stored_path from imports where stored_path is not null").fetchall()}
        with _KEEPING_LOCK:
            in_use = set(_KEEPING)
        for path in folder.iterdir():
            in_progress = str(path) in in_use or any(path.name.startswith(Path(k).name + ".") for k in in_use)
            if str(path) not in recorded and not in_progress:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed.append(path)
    for leftover in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        pid = leftover.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not incoming.process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
    return removed


def _temp_dir(kind: str) -> Path:
    """A private temporary folder named by this process, so that one left by a killed import is known."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{kind}-"))


def _discard_upload(con, stored_path: Path | None) -> None:
    if stored_path is None:
        return
    with db.read_cursor(con) as cur:
        used = cur.execute("select count(*) from imports where stored_path = ?", [str(stored_path)]).fetchall()[0][0]
    if not used:
        with contextlib.suppress(FileNotFoundError):
            stored_path.unlink()


def preview_file(path: str | os.PathLike, table: str = "transactions", has_header: bool | None = None,
                 rows: int = 20, original_name: str | None = None) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The first rows as text, the guessed mapping (field -> header) and the headers: for the Data page."""
    from .columns import guess_mapping

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
            raise _reject(report, "unreadable", _duckdb_message(exc)) from None
        finally:
            con.close()
        frame.columns = ["row"] + source.headers
        guess = {f: source.headers[i] for f, i in guess_mapping(source.headers, table).items()}
        return frame, guess, source.headers
    finally:
        source.close()


__all__ = ["ImportReport", "Problem", "import_file", "preview_file", "open_source", "CustlibError"]
