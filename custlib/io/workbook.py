"""What an Excel workbook holds, read with bounded work: its sheets' size, its first rows, its cells as text.

A .xlsx is a zip of XML parts. The reader (python-calamine, Rust: a million-row sheet in 4-5 s where
openpyxl takes a minute) builds a sheet's whole rectangle in memory, so what a sheet costs is its extent
(last row x last column), which a small file can make enormous: a 0.7 MB upload held 128 MB of sheet XML
and took +653 MB and 13 s before its first row could be shown. So the sheet XML is first streamed a chunk
at a time: :func:`measure` counts rows and cells and stops as soon as a limit is passed, and
:func:`head_copy` writes a copy of the workbook cut after its first rows, which is all a preview reads.
``_open_xlsx`` turns the chosen sheet into the text a CSV export would have.
"""
from __future__ import annotations

import posixpath
import re
import shutil
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from ..errors import ImportRejected
from .files import Source, _looks_like_header, _sha256, _temp_dir, _unique_headers
from .report import ImportReport, Limits, _reject, _too_many_columns

XML_CHUNK_BYTES = 1 << 20
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Tags are matched with any namespace prefix (<row>, <x:row>), as writers other than Excel use them.
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c[\s/>]")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:v|is)[\s/>]")
_CELL_REFERENCE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_ROW_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?row>|<(?:[A-Za-z_][\w.\-]*:)?row\s[^>]*/>")
_CELL_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?c>|<(?:[A-Za-z_][\w.\-]*:)?c\s[^>]*/>")
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData[\s>]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^>]*/>")


@dataclass(frozen=True)
class SheetSize:
    """What one sheet holds, as far as it was read (all of it unless ``over`` says which limit stopped it)."""
    name: str
    rows: int          # the last row: the larger of the rows written and the highest row reference
    columns: int       # the highest column reference
    cells: int         # cells written
    has_values: bool
    over: str | None = None  # "rows" or "cells" when reading stopped at that limit

    @property
    def extent(self) -> int:
        """The cells of the rectangle a reader builds: the sheet's cost in memory."""
        return max(self.cells, self.rows * max(self.columns, 1 if self.cells else 0))


def sheets(path: Path) -> list[tuple[str, str]]:
    """(sheet name, zip member of its XML) of each worksheet, in the workbook's order."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        try:
            relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        except KeyError:
            relations = None
        names = set(archive.namelist())
    targets = {}
    for relation in ([] if relations is None else relations.iter(f"{_PACKAGE_RELATIONSHIPS}Relationship")):
        target = relation.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[relation.get("Id")] = member
    found = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        member = targets.get(sheet.get(f"{_RELATIONSHIPS}id"))
        if member in names:
            found.append((sheet.get("name", ""), member))
    return found


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def measure(path: Path, name: str, member: str, max_rows: int, max_cells: int) -> SheetSize:
    """Stream one sheet's XML, counting; stop as soon as it has more than ``max_rows`` rows or its
    extent is over ``max_cells`` (``over`` then says which, and the counts are those read so far)."""
    rows = written_rows = columns = cells = 0
    has_values = False
    carry = b""
    with zipfile.ZipFile(path) as archive, archive.open(member) as part:
        while True:
            chunk = part.read(XML_CHUNK_BYTES)
            data = carry + chunk
            # a tag may straddle two chunks: keep everything from the last '<' for the next round
            cut = data.rfind(b"<") if chunk else len(data)
            cut = len(data) if cut <= 0 else cut
            block, carry = data[:cut], data[cut:]
            written_rows += len(_ROW.findall(block))
            cells += len(_CELL.findall(block))
            has_values = has_values or _VALUE.search(block) is not None
            for letters, row in _CELL_REFERENCE.findall(block):
                columns = max(columns, _column_number(letters))
                rows = max(rows, int(row))
            size = SheetSize(name, max(rows, written_rows), columns, cells, has_values)
            if size.rows > max_rows:
                return SheetSize(name, size.rows, columns, cells, has_values, over="rows")
            if size.extent > max_cells:
                return SheetSize(name, size.rows, columns, cells, has_values, over="cells")
            if not chunk:
                return size


def head_copy(path: Path, target: Path, rows: int, max_bytes: int = 8 << 20) -> Path:
    """Write to ``target`` a copy of the workbook whose sheets stop after their first ``rows`` rows (and
    after ``max_bytes`` of each sheet's XML): the same first rows, read at a bounded cost."""
    members = {member for _, member in sheets(path)}
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            with source.open(info) as part:
                if info.filename in members:
                    copy.writestr(info.filename, _sheet_head(part, rows, max_bytes))
                else:
                    with copy.open(info.filename, "w") as out:
                        shutil.copyfileobj(part, out, XML_CHUNK_BYTES)
    return target


def _sheet_head(part, rows: int, max_bytes: int) -> bytes:
    head = b""
    while len(head) < max_bytes:
        chunk = part.read(XML_CHUNK_BYTES)
        if not chunk:
            return _DIMENSION.sub(b"", head)  # the whole sheet fits
        head += chunk
        if len(_ROW_END.findall(head)) > rows:
            break
    head = head[:max_bytes] if len(head) > max_bytes else head
    ends = [m.end() for m in _ROW_END.finditer(head)]
    start = _SHEET_DATA.search(head)
    if start is None:  # not a sheet we understand: let the reader say what is wrong with it
        return head
    prefix = (start.group(1) or b"").decode("ascii")
    if ends:
        body = head[:ends[min(rows, len(ends)) - 1]]
    else:  # one row longer than the budget: keep its whole cells and close it
        cell_ends = [m.end() for m in _CELL_END.finditer(head)]
        body = head[:cell_ends[-1]] + f"</{prefix}row>".encode() if cell_ends else head[:start.end()]
    return _DIMENSION.sub(b"", body) + f"</{prefix}sheetData></{prefix}worksheet>".encode()


MAX_XLSX_UNCOMPRESSED = 512 << 20


# Real exports compress 5 to 20 times; a workbook that expands far more is built to exhaust its reader.
MAX_XLSX_EXPANSION = 100


XLSX_EXPANSION_CHECKED_FROM = 64 << 20


PREVIEW_SHEET_ROWS = 1_000  # rows of each sheet a preview reads (enough to find the first sheet with data)


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
        raise _reject(report, "bad_xlsx", "bad_zip" if is_zip else "not_a_zip") from None
    if "xl/workbook.xml" not in names:
        held = ", ".join(repr(name) for name in names[:3]) + (", ..." if len(names) > 3 else "")
        raise _reject(report, "bad_xlsx", "zip_not_xlsx", {"held": held or "nothing"})
    if expanded > MAX_XLSX_UNCOMPRESSED:
        raise _reject(report, "xlsx_too_large", "xlsx_expands", {"size_mb": f"{expanded / 2**20:,.0f}",
                                                                  "limit_mb": f"{MAX_XLSX_UNCOMPRESSED / 2**20:,.0f}"})
    if expanded > XLSX_EXPANSION_CHECKED_FROM and expanded > MAX_XLSX_EXPANSION * max(compressed, 1):
        raise _reject(report, "xlsx_too_large", "xlsx_bomb", {
            "compressed_mb": f"{compressed / 2**20:,.1f}", "size_mb": f"{expanded / 2**20:,.0f}",
            "ratio": f"{expanded / max(compressed, 1):,.0f}"})
    if part := _part_declaring_entities(path):
        raise _reject(report, "bad_xlsx", "xlsx_entities", {"part": part})
    temp_dir = None
    try:
        if preview:
            temp_dir = _temp_dir("preview")
            head = head_copy(path, temp_dir / "head.xlsx", PREVIEW_SHEET_ROWS)
            _check_sheet_sizes(head, report, sheet, in_first_rows=PREVIEW_SHEET_ROWS)
            cells = _sheet_cells(head, sheet)
        else:
            _check_sheet_sizes(path, report, sheet)
            cells = _sheet_cells(path, sheet)
    except ImportRejected:
        raise
    except python_calamine.WorksheetNotFound:
        raise _reject(report, "bad_xlsx", "no_sheet", {"sheet": sheet}) from None
    except Exception as exc:  # the reader raises many types for damaged workbooks
        raise _reject(report, "bad_xlsx", "unreadable_xlsx",
                      {"detail": f"{type(exc).__name__}: {str(exc)[:200]}"}) from None
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    if cells is None:
        raise _reject(report, "empty_file", "empty_workbook")
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
    try:
        listed = sheets(path)
    except (KeyError, ElementTree.ParseError):  # no usable sheet list: measure every worksheet part
        with zipfile.ZipFile(path) as archive:
            listed = [(name, name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    if isinstance(sheet, str):
        listed = [entry for entry in listed if entry[0] == sheet]
    elif isinstance(sheet, int):
        listed = listed[sheet:sheet + 1]
    for name, member in listed:
        size = measure(path, name, member, limits.max_rows + 1, max_cells)  # + the header
        if size.over == "rows":
            raise _reject(report, "too_many_rows", "sheet_too_many_rows", {"sheet": name, "limit": f"{limits.max_rows:,}"})
        if size.over == "cells":
            raise _reject(report, "xlsx_too_large",
                          "sheet_too_many_cells" if in_first_rows is None else "sheet_too_many_cells_in_first", {
                              "sheet": name, "limit": f"{max_cells:,}", "first_rows": f"{in_first_rows or 0:,}",
                              "rows": f"{size.rows:,}", "columns": f"{max(size.columns, 1):,}"})
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
