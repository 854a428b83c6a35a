"""Bounded work for bad files (issue 14, row 17): a workbook is measured while its XML streams, a preview
reads only the first rows, and the row limit stops reading instead of being checked after every row is in."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from custlib import datasets
from custlib.io import workbook
from custlib.errors import ImportRejected
from custlib.io import import_file, preview_file

REPO = Path(__file__).resolve().parents[1]

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                 'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_START = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
               '2006/main"><dimension ref="A1:C{last}"/><sheetData>')
SHEET_END = "</sheetData></worksheet>"


def _cell(ref: str, value) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _row(number: int, values) -> str:
    return f'<row r="{number}">' + "".join(_cell(f"{col}{number}", v) for col, v in zip("ABC", values)) + "</row>"


def _workbook(path: Path, rows_xml, last: int) -> Path:
    """An .xlsx as Excel writes it, its sheet XML given as an iterable of strings (streamed into the zip)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(SHEET_START.format(last=last).encode())
            for text in rows_xml:
                sheet.write(text.encode())
            sheet.write(SHEET_END.encode())
    return path


def _orders(n: int):
    yield _row(1, ["customer_id", "order_date", "amount"])
    for i in range(2, n + 2):
        yield _row(i, [f"c{i % 50}", 45292 + i % 300, 10 + i % 7])


def _bomb(path: Path) -> Path:
    """Under 1 MB on disk, over 100 MB of sheet XML: the same row a million times over."""
    row = _row(2, ["c1", 45300, 10])
    return _workbook(path, [_row(1, ["customer_id", "order_date", "amount"])] + [row * 10_000] * 100, last=1_000_001)


def test_a_workbook_that_expands_a_hundredfold_is_refused_before_it_is_read(con, tmp_path):
    bomb = _bomb(tmp_path / "small.xlsx")
    with zipfile.ZipFile(bomb) as archive:
        expanded = sum(i.file_size for i in archive.infolist())
    assert bomb.stat().st_size < 1 << 20 < (100 << 20) < expanded
    with pytest.raises(ImportRejected, match=r"small\.xlsx: the workbook's .* times as much") as preview:
        preview_file(bomb, original_name="small.xlsx")
    assert preview.value.report.problems[0].kind == "xlsx_too_large"
    with pytest.raises(ImportRejected, match="built to exhaust the reader"):
        import_file(con, bomb, dataset="bomb")
    assert datasets.list_datasets(con) == []


def test_a_preview_reads_only_the_first_rows(tmp_path):
    """A preview of a 400,000-row sheet is built from a copy cut after its first rows."""
    big = _workbook(tmp_path / "orders.xlsx", _orders(400_000), last=400_001)
    code = ("import resource, sys; from custlib.io import preview_file; "
            "frame, guess, headers = preview_file(sys.argv[1], rows=10); "
            "print(len(frame), headers, guess['amount'], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    baseline = ("import resource, custlib.io; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    shown = subprocess.run([sys.executable, "-c", code, str(big)], cwd=REPO, capture_output=True, text=True, check=True)
    rows, *_, peak_mb = shown.stdout.split()
    idle_mb = int(subprocess.run([sys.executable, "-c", baseline], cwd=REPO, capture_output=True, text=True,
                                 check=True).stdout)
    assert rows == "10" and "'customer_id', 'order_date', 'amount'" in shown.stdout
    # Reading the whole sheet took 210 MB over an idle process; its first thousand rows and DuckDB take 40.
    assert int(peak_mb) - idle_mb < 100, (peak_mb, idle_mb)
    frame, _, _ = preview_file(big, rows=3)
    assert frame["row"].tolist() == [2, 3, 4]  # Excel's own row numbers


def test_a_sheet_spanning_too_many_cells_is_refused_while_it_streams(con, tmp_path):
    # Two cells, a tiny file: but a reader builds the rectangle from A1 to XFD1048576, 17 billion cells.
    corner = _workbook(tmp_path / "corner.xlsx", [_row(1, ["customer_id", "order_date", "amount"]),
                                                  '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'],
                       last=1_048_576)
    with pytest.raises(ImportRejected, match=r"corner\.xlsx: sheet 'Orders' spans more than 10,000,000 cells .*"
                                             r"1,048,576 rows by 16,384 columns"):
        import_file(con, corner, dataset="corner")
    with pytest.raises(ImportRejected, match="in its first 1,000 rows"):
        preview_file(corner)
    assert datasets.list_datasets(con) == []


def test_the_cell_limit_is_configurable(con, tmp_path, monkeypatch):
    orders = _workbook(tmp_path / "orders.xlsx", _orders(1_000), last=1_001)
    monkeypatch.setenv("CUSTLIB_MAX_XLSX_CELLS", "2000")
    with pytest.raises(ImportRejected, match="spans more than 2,000 cells"):
        import_file(con, orders, dataset="orders")
    monkeypatch.delenv("CUSTLIB_MAX_XLSX_CELLS")
    assert import_file(con, orders, dataset="orders").rows_loaded == 1_000


def test_a_sheet_over_the_row_limit_stops_being_read_there(con, tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLIB_MAX_ROWS", "100")
    orders = _workbook(tmp_path / "orders.xlsx", _orders(50_000), last=50_001)
    size = workbook.measure(orders, "Orders", "xl/worksheets/sheet1.xml", max_rows=101, max_cells=10**9)
    assert size.over == "rows" and size.rows < 50_000  # it stopped before the end of the sheet
    with pytest.raises(ImportRejected, match="sheet 'Orders' has more than 100 rows, the limit"):
        import_file(con, orders, dataset="orders")
    assert datasets.list_datasets(con) == []


def test_text_and_parquet_over_the_row_limit_are_refused_with_nothing_stored(con, tmp_path, monkeypatch):
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(5_000)], "order_date": "2024-01-02",
                          "amount": 1.5})
    frame.to_csv(tmp_path / "sales.csv", index=False)
    frame.to_parquet(tmp_path / "sales.parquet", index=False)
    monkeypatch.setenv("CUSTLIB_MAX_ROWS", "1000")
    with pytest.raises(ImportRejected, match="sales.csv: the file has more than 1,000 rows, the limit"):
        import_file(con, tmp_path / "sales.csv", dataset="sales")
    with pytest.raises(ImportRejected, match="sales.parquet: the file has 5,000 rows, over the limit of 1,000"):
        import_file(con, tmp_path / "sales.parquet", dataset="sales")
    assert datasets.list_datasets(con) == []
    monkeypatch.setenv("CUSTLIB_MAX_ROWS", "5000")  # exactly at the limit: imported
    assert import_file(con, tmp_path / "sales.csv", dataset="sales").rows_loaded == 5_000


def test_a_head_copy_keeps_prefixed_tags_well_formed(tmp_path):
    """Some writers prefix every tag (<x:row>); the cut copy closes them with the same prefix."""
    rows = "".join(f'<x:row r="{i}"><x:c r="A{i}"><x:v>{i}</x:v></x:c></x:row>' for i in range(1, 3_001))
    path = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml",
                         '<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
                         f'2006/main"><x:sheetData>{rows}</x:sheetData></x:worksheet>')
    head = workbook.head_copy(path, tmp_path / "head.xlsx", rows=5)
    with zipfile.ZipFile(head) as archive:
        text = archive.read("xl/worksheets/sheet1.xml").decode()
    assert text.endswith("</x:row></x:sheetData></x:worksheet>") and text.count("<x:row ") == 5
    frame, _, headers = preview_file(path, rows=3, has_header=False)
    assert frame.iloc[:, 1].tolist() == ["1", "2", "3"]
    assert set(os.listdir(tmp_path)) == {"prefixed.xlsx", "head.xlsx"}  # the preview's own cut copy is gone
