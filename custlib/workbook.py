"""How large is a sheet of an Excel workbook, and what are its first rows, found with bounded work.

A .xlsx is a zip of XML parts. The reader (python-calamine) builds a sheet's whole rectangle in memory, so
what a sheet costs is its extent (last row x last column), which a small file can make enormous: a 0.7 MB
upload held 128 MB of sheet XML and took +653 MB and 13 s before its first row could be shown. Here the
sheet XML is streamed a chunk at a time: :func:`measure` counts rows and cells and stops as soon as a
limit is passed, and :func:`head_copy` writes a copy of the workbook cut after its first rows, which is
all a preview reads.
"""
from __future__ import annotations

import posixpath
import re
import shutil
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 20
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
            chunk = part.read(CHUNK_BYTES)
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
                        shutil.copyfileobj(part, out, CHUNK_BYTES)
    return target


def _sheet_head(part, rows: int, max_bytes: int) -> bytes:
    head = b""
    while len(head) < max_bytes:
        chunk = part.read(CHUNK_BYTES)
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
