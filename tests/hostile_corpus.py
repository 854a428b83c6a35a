"""The hostile corpus: files made to break an importer, and what each must end in.

Small files live in tests/data/hostile/ (committed; ``python tests/hostile_corpus.py`` writes them
again, byte for byte). Large ones (100 MB of random bytes, 10,000 columns, a zip bomb, a 50 MB line)
are never committed: ``materialise(case, folder)`` writes them at test time from fixed seeds.

Every case says what the right outcome is (``CASES``), and both the command line
(tests/test_hostile_files.py) and the Data page (tests/app/test_hostile_upload.py) must reach it:

- ``rejected``: nothing imported, the database unchanged, a message naming the file (and the row and
  column when one is to blame) that says what to do;
- ``imported``: the good rows are loaded into a new dataset, the others are listed in the report
  (formula text in a name column, SQL in a header, year-9999 dates are data, not attacks);
- ``decision``: the import stops and asks (dates such as 03/04/2024).

The README in tests/data/hostile/ lists every file with its outcome; a test keeps it in step.
"""
from __future__ import annotations

import codecs
import io
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HOSTILE_DIR = Path(__file__).parent / "data" / "hostile"
DROP = '"; DROP TABLE transactions; --'
TX = "customer_id,order_id,order_date,amount\n"
GOOD_ROWS = "c1,o1,2024-01-05,10.50\nc2,o2,2024-02-06,20\n"


@dataclass(frozen=True)
class Case:
    """One hostile file and the outcome both import paths must reach.

    ``says``: text both paths' messages contain (besides the file's name). ``page_says``: what the Data
    page shows instead when it stops the file at its mapping form, in its own words. ``read``/``loaded``:
    rows read and stored when the file is imported. ``row``/``column``: a reported problem names them.
    ``stored``: (field, values in file order) the new rows hold. ``mapping``: field -> header, given with
    --map and chosen on the page. ``generated``: written at test time by ``materialise``, not committed.
    """
    name: str
    outcome: str  # rejected | imported | decision
    why: str
    says: tuple[str, ...] = ()
    table: str = "transactions"
    read: int | None = None
    loaded: int | None = None
    row: int | None = None
    column: str | None = None
    stored: tuple[str, tuple] | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    strict: bool = False
    page_says: tuple[str, ...] | None = None
    generated: bool = False


# --- small files: their exact bytes -------------------------------------------------------------

def _xlsx(sheet_rows_xml: str, shared: list[str] | None = None, extra: dict[str, bytes] | None = None,
          doctype: str = "") -> bytes:
    """A minimal .xlsx written by hand, so cells can be what Excel writes (cached formula values,
    inline strings) or what an attacker writes (entities, lies), which openpyxl would not produce."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared is not None else "")
            + '</Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
               'relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared is not None else "")
            + '</Relationships>'),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{sheet_rows_xml}</sheetData></worksheet>'),
    }
    if shared is not None:
        items = "".join(f"<si><t>{s}</t></si>" for s in shared)
        files["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}" '
            f'uniqueCount="{len(shared)}">{items}</sst>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # fixed: same bytes every run
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        for name, data in (extra or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return buffer.getvalue()


def _cell(ref: str, value: str) -> str:
    """An inline-string cell: the text exactly as written, even when it starts with '='."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{escaped}</t></is></c>'


def _row(number: int, cells: list[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def _sheet(rows: list[list[str]]) -> str:
    letters = "ABCDEFGHIJ"
    return "".join(_row(r + 1, [_cell(f"{letters[c]}{r + 1}", v) for c, v in enumerate(row)])
                   for r, row in enumerate(rows))


def _formula_workbook() -> bytes:
    """Customers whose names are formulas: one with Excel's cached result, one typed as text."""
    header = _row(1, [_cell("A1", "customer_id"), _cell("B1", "name"), _cell("C1", "email")])
    cached = _row(2, [_cell("A2", "c1"),
                      '<c r="B2" t="str"><f>HYPERLINK("http://evil.example","click me")</f><v>click me</v></c>',
                      _cell("C2", "a@example.com")])
    typed = _row(3, [_cell("A3", "=1+1"), _cell("B3", '=HYPERLINK("http://evil.example","x")'),
                     _cell("C3", "@SUM(1+1)")])
    return _xlsx(header + cached + typed)


def _entity_bomb_workbook() -> bytes:
    """'Billion laughs' in the shared strings: ten levels of ten entities (10^10 characters if expanded)."""
    lol = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE sst [" + "".join(lol) + "]>"
    sheet = _row(1, ['<c r="A1" t="s"><v>0</v></c>', _cell("B1", "order_date"), _cell("C1", "amount")]) + \
        _row(2, ['<c r="A2" t="s"><v>1</v></c>', _cell("B2", "2024-01-05"), _cell("C2", "1")])
    return _xlsx(sheet, shared=["customer_id", "&lol9;"], doctype=doctype)


def _external_entity_workbook() -> bytes:
    """XXE: a shared string that asks the parser to read /etc/passwd."""
    doctype = '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    sheet = _row(1, ['<c r="A1" t="s"><v>0</v></c>', _cell("B1", "order_date"), _cell("C1", "amount")]) + \
        _row(2, ['<c r="A2" t="s"><v>1</v></c>', _cell("B2", "2024-01-05"), _cell("C2", "1")])
    return _xlsx(sheet, shared=["customer_id", "&xxe;"], doctype=doctype)


def _dates_workbook() -> bytes:
    """Real date cells at the edges: 9999-12-31, Excel's phantom 1900-02-29 (serial 60), serial 1 and -1."""
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["customer_id", "order_date", "amount"])
    for cid, value in [("c1", dt.datetime(2024, 1, 5)), ("c2", dt.datetime(9999, 12, 31)), ("c3", 60), ("c4", 1),
                       ("c5", -1)]:
        sheet.append([cid, value, 10])
        sheet.cell(sheet.max_row, 2).number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _parquet(columns: dict[str, list], types: dict | None = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = [pa.array(values, type=(types or {}).get(name)) for name, values in columns.items()]
    table = pa.Table.from_arrays(arrays, names=list(columns))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    return buffer.getvalue()


def _real_workbook(rows: dict[str, list]) -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame(rows).to_excel(buffer, index=False)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every entry dated 2024-01-01 and docProps' timestamps fixed, so the bytes are stable."""
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(fixed, content)
    return out.getvalue()


def small_files() -> dict[str, bytes]:
    """The committed files of tests/data/hostile/, by name."""
    gbk_rows = "客户编号,订单号,下单日期,实付金额（元）\n张三,A1,2024-01-05,100\n李四,A2,2024-01-06,200.5\n"
    utf8_cjk = "客户编号,订单号,下单日期,实付金额,备注\n" + "".join(
        f"c{i},o{i},2024-01-{i + 1:02d},{i + 1}0,老客户回访\n" for i in range(5))
    files: dict[str, bytes] = {
        # --- cut short ---
        "truncated_mid_row.csv": (TX + GOOD_ROWS + "c3,o3,2024-0").encode(),
        "truncated_mid_multibyte.csv": utf8_cjk.encode("utf-8") + "c9,o9,2024-01-09,90,新".encode()[:-1],
        "truncated_zip_header.xlsx": _real_workbook({"customer_id": ["c1"], "order_date": ["2024-01-05"],
                                                     "amount": [1]})[:300],
        # --- wrong or mixed encodings ---
        "utf16le_without_bom.csv": (TX + GOOD_ROWS).encode("utf-16-le"),
        "utf16be_without_bom.csv": (TX + GOOD_ROWS).encode("utf-16-be"),
        "latin1_accents.csv": ("customer_id,order_date,amount,product\nJosé,2024-01-05,10,Crème brûlée\n"
                               "Zoë,2024-01-06,12,Pâté\n").encode("latin-1"),
        "latin1_read_as_gbk.csv": ("customer_id,order_date,amount,region\nMüller,2024-01-05,10,Köln\n"
                                   "Jäger,2024-01-06,12,Düsseldorf\nBrüning,2024-01-07,13,Lübeck\n"
                                   ).encode("latin-1"),
        "gbk_behind_utf8_bom.csv": codecs.BOM_UTF8 + gbk_rows.encode("gbk"),
        "gbk_then_utf8_lines.csv": gbk_rows.encode("gbk") + "王五,A3,2024-01-07,300\n".encode(),
        "gbk_with_rare_characters.csv": ("客户编号,下单日期,实付金额,商品,备注\n"
                                         "王喆,2024-01-05,100,iPhone手机X,堃\n"
                                         "李堃,2024-01-06,200,A型b号,镕\n"
                                         "赵镕,2024-01-07,300,USB线,喆\n").encode("gbk"),
        # --- not what the name says ---
        "only_bom.csv": codecs.BOM_UTF8,
        "nul_bytes_in_row.csv": (TX + "c1,o1,2024-01-05,10\nc2,o2\x00\x00,2024-01-06,11\n").encode(),
        "html_error_page.csv": (b"<!DOCTYPE html>\n<html><head><title>Session expired</title></head>\n"
                                b"<body><p>Please log in again.</p></body></html>\n"),
        "csv_named_xlsx.xlsx": (TX + GOOD_ROWS).encode(),
        "zip_named_csv.csv": _zip_of("sales.csv", (TX + GOOD_ROWS).encode()),
        "xlsx_named_csv.csv": _real_workbook({"customer_id": ["c1", "c2"], "order_date": ["2024-01-05",
                                                                                          "2024-01-06"],
                                              "amount": [10.5, 20]}),
        "gzip_named_csv.csv": _gzip((TX + GOOD_ROWS).encode()),
        "pdf_named_csv.csv": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
        "encrypted_workbook.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
                                    + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512),
        # --- hostile names ---
        "drop_table_header_mapped.csv": (f'"{DROP.replace(chr(34), chr(34) * 2)}",when,value\n'
                                         "c1,2024-01-05,10\nc2,2024-01-06,20\n").encode(),
        "drop_table_header_unmapped.csv": (f'customer_id,order_date,amount,"{DROP.replace(chr(34), chr(34) * 2)}"\n'
                                           "c1,2024-01-05,10,x\nc2,2024-01-06,20,y\n").encode(),
        "drop_table_header_missing.csv": (f'"{DROP.replace(chr(34), chr(34) * 2)}",order_date,amount\n'
                                          "c1,2024-01-05,10\n").encode(),
        "header_quotes_newlines.csv": ('"customer\nid","order ""date""","amount\r\n(¥)",note\n'
                                       'c1,2024-01-05,10,"line one\nline two"\nc2,2024-01-06,20,plain\n').encode(),
        "header_nul_byte.csv": b"customer_id,order\x00_date,amount\nc1,2024-01-05,10\n",
        "duplicate_headers.csv": (b"customer_id,customer_id,order_date,amount,amount\n"
                                  b"c1,x1,2024-01-05,10,99\nc2,x2,2024-01-06,20,99\n"),
        "sql_in_values.csv": (TX + "'; DROP TABLE transactions; --,o1,2024-01-05,10\n"
                              "Robert'); DROP TABLE datasets;--,o2,2024-01-06,11\n"
                              "c3,\"1; SELECT * FROM imports\",2024-01-07,12\n").encode(),
        "unicode_tricks.csv": ("ｃｕｓｔｏｍｅｒ＿ｉｄ,订单日期,\u202eamount\u202c,product\n"
                               "c\u202e1gnp.exe,2024-01-05,10,😀\n"
                               "e\u0301,2024-01-06,12,\u200bzero width\n").encode(),
        # --- formulas ---
        "formula_cells.csv": (b'customer_id,order_id,order_date,amount,product\n'
                              b'"=HYPERLINK(""http://evil.example"",""x"")",o1,2024-01-05,10,"=1+1"\n'
                              b"+cmd|' /C calc'!A0,o2,2024-01-06,11,@SUM(1+1)\n"
                              b"@SUM(A1:A9),o3,2024-01-07,12,-2+3\n"
                              b"c4,=o4,2024-01-08,13,\"\tleading tab\"\n"),
        "formula_names_customers.csv": (b'customer_id,name,email\n'
                                        b'c1,"=HYPERLINK(""http://evil.example"",""click"")",a@example.com\n'
                                        b"c2,+cmd|' /C calc'!A0,@evil\n"
                                        b"c3,-1+1,=1+1\n"),
        "formula_names_customers.xlsx": _formula_workbook(),
        # --- dates and amounts at the edges ---
        "dates_at_the_edges.csv": (TX + "c1,o1,2024-01-05,10\nc2,o2,9999-12-31,11\nc3,o3,0001-01-01,12\n"
                                   "c4,o4,1900-02-29,13\nc5,o5,2024-02-29,14\nc6,o6,1899-12-31,15\n").encode(),
        "dates_year_9999_strict.csv": (TX + "c1,o1,2024-01-05,10\nc2,o2,9999-12-31,11\n").encode(),
        "dates_at_the_edges.xlsx": _dates_workbook(),
        "amounts_at_the_edges.csv": (TX + "c1,o1,2024-01-05,10\nc2,o2,2024-01-05,1e308\nc3,o3,2024-01-05,-1e308\n"
                                     "c4,o4,2024-01-05,1e309\nc5,o5,2024-01-05,NaN\nc6,o6,2024-01-05,nan\n"
                                     "c7,o7,2024-01-05,inf\nc8,o8,2024-01-05,-Infinity\n"
                                     "c9,o9,2024-01-05,4.9e-324\nc10,o10,2024-01-05,\"(1,234.50)\"\n").encode(),
        "amounts_all_nan.csv": (TX + "c1,o1,2024-01-05,NaN\nc2,o2,2024-01-06,nan\nc3,o3,2024-01-07,-nan\n"
                                ).encode(),
        "quantities_at_the_edges.csv": (b"customer_id,order_date,amount,quantity,discount\n"
                                        b"c1,2024-01-05,10,1e309,0\nc2,2024-01-06,11,2,NaN\n"
                                        b"c3,2024-01-07,12,3,1\n"),
        "interactions_scores_at_the_edges.csv": (b"customer_id,timestamp,kind,nps,satisfaction\n"
                                                 b"c1,2024-01-05 10:00,survey,9,5\nc2,2024-01-05 10:00,survey,NaN,5\n"
                                                 b"c3,2024-01-05 10:00,survey,1e308,5\n"
                                                 b"c4,2024-01-05 10:00,survey,9.5,5\n"
                                                 b"c5,2024-01-05 10:00,survey,10,inf\n"
                                                 b"c6,9999-12-31 23:59,survey,10,5\n"),
        # --- ids ---
        "blank_ids.csv": (TX + ",o1,2024-01-05,10\n  ,o2,2024-01-06,11\n\"\",o3,2024-01-07,12\n").encode(),
        "whitespace_ids.csv": (TX + "c1,o1,2024-01-05,10\n\"\t\",o2,2024-01-06,11\n\u3000,o3,2024-01-07,12\n"
                               "\u00a0,o4,2024-01-08,13\n\u200b,o5,2024-01-09,14\n\ufeff,o6,2024-01-10,15\n"
                               ).encode(),
        # --- structure ---
        "cr_only_line_endings.csv": (TX + GOOD_ROWS).replace("\n", "\r").encode(),
        "quote_inside_unquoted_field.csv": (TX + 'c1,o1,2024-01-05,10\nc2,o"2,2024-01-06,11\n').encode(),
        "parquet_wrong_types.parquet": _parquet({"customer_id": [1.5, 2.5], "order_date": [True, False],
                                                 "amount": ["ten", "eleven"]}),
        "parquet_native_types.parquet": _native_types_parquet(),
        "parquet_duplicate_names.parquet": _duplicate_names_parquet(),
        "dates_ambiguous_order.csv": b"customer_id,order_date,amount\nc1,01/02/2024,10\nc2,11/12/2024,11\n",
        "xml_entity_bomb.xlsx": _entity_bomb_workbook(),
        "xml_external_entity.xlsx": _external_entity_workbook(),
    }
    return files


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


def _duplicate_names_parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array(["c1", "c2"]), pa.array(["x", "y"]), pa.array(["2024-01-05", "2024-01-06"]),
                                  pa.array([1.0, 2.0])], names=["customer_id", "customer_id", "order_date", "amount"])
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    return buffer.getvalue()


def _native_types_parquet() -> bytes:
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa

    return _parquet({"customer_id": [1, 2], "order_date": [dt.datetime(2024, 1, 5, 10, tzinfo=dt.UTC),
                                                           dt.datetime(2024, 1, 6, 11, tzinfo=dt.UTC)],
                     "amount": [Decimal("10.5000000001"), Decimal("-3.25")]},
                    types={"amount": pa.decimal128(38, 10), "order_date": pa.timestamp("us", tz="UTC")})


# --- generated files: written at test time -----------------------------------------------------------

MB = 1 << 20
LONG_NAME = "n" * 120 + ".csv"  # its stem is longer than a dataset name may be


def _garbage(path: Path) -> None:
    rng = np.random.default_rng(20261125)
    with path.open("wb") as out:
        for _ in range(100):
            out.write(rng.integers(0, 256, MB, dtype=np.uint8).tobytes())


def _garbage_without_nul(path: Path) -> None:
    rng = np.random.default_rng(20261126)
    with path.open("wb") as out:
        for _ in range(100):
            out.write(rng.integers(1, 256, MB, dtype=np.uint8).tobytes())


def _wide_csv(path: Path) -> None:
    header = "customer_id,order_date,amount," + ",".join(f"extra_{i}" for i in range(9_997))
    row = "c1,2024-01-05,10," + ",".join("1" for _ in range(9_997))
    path.write_text(header + "\n" + row + "\n")


def _wide_xlsx(path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["customer_id", "order_date", "amount"] + [f"extra_{i}" for i in range(9_997)])
    sheet.append(["c1", "2024-01-05", 10] + [1] * 9_997)
    workbook.save(path)


def _one_line(path: Path) -> None:
    rng = np.random.default_rng(20261127)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    with path.open("wb") as out:
        for _ in range(50):
            out.write(letters[rng.integers(0, 26, MB)].tobytes())


def _header_then_huge_line(path: Path) -> None:
    with path.open("wb") as out:
        out.write((TX + "c1,o1,2024-01-05,10\nc2,o2,2024-01-06,").encode())
        out.write(b"9" * (20 * MB))
        out.write(b"\nc3,o3,2024-01-07,12\n")


def _zip_bomb(path: Path, lie: bool = False) -> None:
    """A workbook whose one sheet inflates to 1 GB of XML (about 1 MB on disk).

    With ``lie`` the archive claims the sheet is 1,000 bytes, so only a reader that trusts the
    header would start inflating it.
    """
    honest = path.with_name("zip_bomb.xlsx")
    if lie and honest.exists():  # the same bytes, then the lie: no need to deflate 1 GB twice
        path.write_bytes(honest.read_bytes())
        _claim_size(path, "xl/worksheets/sheet1.xml", 1000)
        return
    header = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData>')
    row = b'<row><c t="inlineStr"><is><t>c1</t></is></c></row>'
    block = row * (MB // len(row))
    base = zipfile.ZipFile(io.BytesIO(_xlsx("")))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in base.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            archive.writestr(info, base.read(info.filename))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(header)
            for _ in range(1024):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    if lie:
        _claim_size(path, "xl/worksheets/sheet1.xml", 1000)


def _claim_size(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size the central directory (and zip64 extra field) gives for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        name_length, extra_length = struct.unpack_from("<HH", data, position + 28)
        if bytes(data[position + 46: position + 46 + name_length]) == name:
            struct.pack_into("<I", data, position + 24, size)
            extra = position + 46 + name_length
            end = extra + extra_length
            while extra < end:
                tag, length = struct.unpack_from("<HH", data, extra)
                if tag == 0x0001 and length >= 8:  # zip64: uncompressed size first
                    struct.pack_into("<Q", data, extra + 4, size)
                extra += 4 + length
            break
        position += 4
    path.write_bytes(bytes(data))


def _truncated_big_workbook(path: Path) -> None:
    import pandas as pd

    rng = np.random.default_rng(20261128)
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in rng.integers(0, 500, 3000)],
                          "order_date": "2024-01-05", "amount": rng.integers(1, 100, 3000)})
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    data = buffer.getvalue()
    path.write_bytes(data[: int(len(data) * 0.6)])


def _many_bad_rows(path: Path) -> None:
    with path.open("w") as out:
        out.write(TX)
        for i in range(100_000):
            out.write(f"c{i},o{i},not a date {i},{i}\n")


GENERATED: dict[str, callable] = {
    "garbage_100mb.csv": _garbage,
    "garbage_100mb_no_nul.csv": _garbage_without_nul,
    "ten_thousand_columns.csv": _wide_csv,
    "ten_thousand_columns.xlsx": _wide_xlsx,
    "single_50mb_line.csv": _one_line,
    "one_20mb_field.csv": _header_then_huge_line,
    "zip_bomb.xlsx": _zip_bomb,
    "zip_bomb_lying_header.xlsx": lambda path: _zip_bomb(path, lie=True),
    "truncated_workbook.xlsx": _truncated_big_workbook,
    "hundred_thousand_bad_dates.csv": _many_bad_rows,
    LONG_NAME: lambda path: path.write_text(TX + GOOD_ROWS),
}


def materialise(case: Case, folder: Path) -> Path:
    """The case's file: the committed copy, or one written into ``folder`` (once; later calls reuse it)."""
    if not case.generated:
        return HOSTILE_DIR / case.name
    path = folder / case.name
    if not path.exists():
        partial = folder / (case.name + ".partial")
        GENERATED[case.name](partial)
        partial.rename(path)
    return path


# --- what each file must end in --------------------------------------------------------------

R, I, D = "rejected", "imported", "decision"
CASES: list[Case] = [
    # cut short
    Case("truncated_mid_row.csv", I, "the last row stops mid-date; it is reported, the complete rows load",
         ("has 3 fields but the header has 4",), read=3, loaded=2, row=4),
    Case("truncated_mid_multibyte.csv", R, "UTF-8 cut inside a character: the file is incomplete",
         ("ends in the middle of a character (line 7)",), row=7),
    Case("truncated_zip_header.xlsx", R, "a workbook cut after 300 bytes", ("damaged or cut short",)),
    Case("truncated_workbook.xlsx", R, "a 3,000-row workbook cut at 60%", ("damaged or cut short",),
         generated=True),
    # encodings
    Case("utf16le_without_bom.csv", R, "UTF-16 LE with no byte-order mark (NULs beside every letter)",
         ("UTF-16 text without a byte-order mark",)),
    Case("utf16be_without_bom.csv", R, "UTF-16 BE with no byte-order mark", ("UTF-16 text without a byte-order mark",)),
    Case("latin1_accents.csv", R, "Latin-1 bytes that are neither UTF-8 nor GBK",
         ("neither UTF-8", "nor GBK/GB18030"), row=2),
    Case("latin1_read_as_gbk.csv", R, "Latin-1 that decodes as GBK into nonsense (Müller -> M黮ler)",
         ("probably Western European text", "M黮ler"), row=2),
    Case("gbk_behind_utf8_bom.csv", R, "a UTF-8 byte-order mark on GBK text: mislabelled",
         ("starts with a UTF-8 byte-order mark, but line 1 is not UTF-8",), row=1),
    Case("gbk_then_utf8_lines.csv", R, "GBK lines, then a UTF-8 line that GBK would misread silently",
         ("mixes encodings: line 4 is UTF-8",), row=4),
    Case("gbk_with_rare_characters.csv", I, "real GBK with rare names and Latin letters beside Chinese: no false alarm",
         read=3, loaded=3, stored=("customer_id", ("王喆", "李堃", "赵镕"))),
    Case("garbage_100mb.csv", R, "100 MB of random bytes", ("not a text file",), generated=True),
    Case("garbage_100mb_no_nul.csv", R, "100 MB of random bytes without a NUL", ("neither UTF-8",), generated=True),
    # not what the name says
    Case("only_bom.csv", R, "three bytes: a byte-order mark and nothing else", ("no text",)),
    Case("nul_bytes_in_row.csv", R, "NUL bytes inside a value", ("line 3 contains NUL bytes",), row=3),
    Case("html_error_page.csv", R, "a login page saved as .csv", ("web page (HTML)",)),
    Case("csv_named_xlsx.xlsx", R, "CSV text named .xlsx", ("not even a zip archive",)),
    Case("zip_named_csv.csv", R, "a zip archive holding a CSV, named .csv", ("holds 'sales.csv'", "Unzip it")),
    Case("xlsx_named_csv.csv", I, "a real workbook named .csv: read by its content",
         read=2, loaded=2, stored=("amount", (10.5, 20.0))),
    Case("gzip_named_csv.csv", R, "a gzip download never decompressed", ("gzip-compressed",)),
    Case("pdf_named_csv.csv", R, "a PDF report named .csv", ("PDF document",)),
    Case("encrypted_workbook.xlsx", R, "a password-protected workbook (an OLE container)", ("password-protected",)),
    Case("parquet_wrong_types.parquet", R, "floats for ids, booleans for dates, words for amounts",
         ("none of the 2 rows is valid",), row=2, column="order_date"),
    Case("parquet_native_types.parquet", I, "integer ids, UTC timestamps, decimal(38,10) amounts",
         read=2, loaded=2, stored=("amount", (10.5000000001, -3.25))),
    Case("parquet_duplicate_names.parquet", I, "two columns named customer_id: the first is used",
         read=2, loaded=2, stored=("customer_id", ("c1", "c2"))),
    # hostile names
    Case("drop_table_header_mapped.csv", I, f"a column named {DROP} mapped to customer_id",
         read=2, loaded=2, mapping={"customer_id": DROP, "order_date": "when"},
         stored=("customer_id", ("c1", "c2"))),
    Case("drop_table_header_unmapped.csv", I, f"a column named {DROP} that no field uses", read=2, loaded=2),
    Case("drop_table_header_missing.csv", R, f"{DROP} where customer_id should be: quoted, never run",
         ("no column for required field(s) customer_id", DROP),
         page_says=("Choose the column that holds Customer ID (required).",)),
    Case("header_quotes_newlines.csv", I, "headers with quotes and line breaks inside them",
         read=2, loaded=2, mapping={"order_date": 'order "date"'}, stored=("customer_id", ("c1", "c2"))),
    Case("header_nul_byte.csv", R, "a NUL byte inside a header name", ("line 1 contains NUL bytes",), row=1),
    Case("duplicate_headers.csv", I, "customer_id and amount twice: the first of each is used, with a warning",
         ("names columns 4 and 5",), read=2, loaded=2, stored=("amount", (10.0, 20.0))),
    Case("sql_in_values.csv", I, "SQL in ids and order ids is data", read=3, loaded=3,
         stored=("customer_id", ("'; DROP TABLE transactions; --", "Robert'); DROP TABLE datasets;--", "c3"))),
    Case("unicode_tricks.csv", I, "fullwidth header, right-to-left override, emoji, zero-width space",
         read=2, loaded=2, stored=("customer_id", ("c\u202e1gnp.exe", "e\u0301"))),
    Case(LONG_NAME, I, "a file name longer than a dataset name may be: the name is cut to 100 characters",
         read=2, loaded=2, generated=True),
    # formulas
    Case("formula_cells.csv", I, "=HYPERLINK, +cmd, @SUM and -2+3 in ids, order ids and products: plain text",
         read=4, loaded=4, stored=("customer_id", ('=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0",
                                                   "@SUM(A1:A9)", "c4"))),
    Case("formula_names_customers.csv", I, "formulas as customer names and emails: plain text", table="customers",
         read=3, loaded=3, stored=("name", ('=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0",
                                            "-1+1"))),
    Case("formula_names_customers.xlsx", I, "a formula cell (its cached result is read) and formula text",
         table="customers", read=2, loaded=2,
         stored=("name", ("click me", '=HYPERLINK("http://evil.example","x")'))),
    Case("xml_entity_bomb.xlsx", R, "billion laughs in the shared strings", ("declares XML entities",)),
    Case("xml_external_entity.xlsx", R, "an entity that would read /etc/passwd", ("declares XML entities",)),
    # dates and amounts at the edges
    Case("dates_at_the_edges.csv", I, "9999-12-31, 0001-01-01, 1900-02-29, 1899-12-31 reported; 2024-02-29 loads",
         ("is outside 1900-01-01",), read=6, loaded=2, row=3, column="order_date"),
    Case("dates_year_9999_strict.csv", R, "year 9999 with --strict", ("strict mode is on",), row=3,
         column="order_date", strict=True),
    Case("dates_at_the_edges.xlsx", I, "date cells 9999-12-31 and serial -1 reported; serial 60 (Excel's "
         "1900-02-29) reads as 1900-02-28", ("is outside 1900-01-01",), read=5, loaded=3, row=3, column="order_date"),
    Case("dates_ambiguous_order.csv", D, "01/02/2024 and 11/12/2024: day or month first?", ("01/02/2024",)),
    Case("amounts_at_the_edges.csv", I, "1e308, -1e308, 1e309, NaN, nan, inf, -Infinity reported; (1,234.50) loads",
         ("not a finite number",), read=10, loaded=3, row=3, column="amount"),
    Case("amounts_all_nan.csv", R, "every amount NaN", ("none of the 3 rows is valid",), row=2, column="amount"),
    Case("quantities_at_the_edges.csv", I, "1e309 units, NaN discount", ("not a finite number",),
         read=3, loaded=1, row=2, column="quantity"),
    Case("interactions_scores_at_the_edges.csv", I, "NPS NaN, 1e308, 9.5; satisfaction inf; year 9999",
         ("is not a whole number from 0 to 10",), table="interactions", read=6, loaded=1, row=3, column="nps"),
    Case("hundred_thousand_bad_dates.csv", R, "100,000 rows, no date among them: 20 listed, the rest counted",
         ("none of the 100,000 rows is valid",), row=2, column="order_date", generated=True),
    # ids
    Case("blank_ids.csv", R, "empty, spaces-only and quoted-empty customer ids", ("none of the 3 rows is valid",),
         row=2, column="customer_id"),
    Case("whitespace_ids.csv", I, "ids of a tab, U+3000, NBSP, zero-width space, BOM: all blank",
         ("customer_id is required but the cell is empty",), read=6, loaded=1, row=3, column="customer_id",
         stored=("customer_id", ("c1",))),
    # structure and size
    Case("cr_only_line_endings.csv", I, "old-Mac line endings (CR only)", read=2, loaded=2,
         stored=("amount", (10.5, 20.0))),
    Case("quote_inside_unquoted_field.csv", I, "o\"2: a quote inside an unquoted value is kept as text",
         read=2, loaded=2, stored=("order_id", ("o1", 'o"2'))),
    Case("ten_thousand_columns.csv", R, "10,000 columns", ("10,000 columns, over the limit of 500",), generated=True),
    Case("ten_thousand_columns.xlsx", R, "10,000 columns in a workbook", ("10,000 columns, over the limit of 500",),
         generated=True),
    Case("single_50mb_line.csv", R, "50 MB of letters without a line break", ("hold no line break",),
         generated=True),
    Case("one_20mb_field.csv", I, "one 20 MB amount between good rows", ("Maximum line size",),
         read=3, loaded=2, row=3, generated=True),
    Case("zip_bomb.xlsx", R, "1 MB that inflates to 1 GB of sheet XML", ("expands to 1,024 MB",), generated=True),
    Case("zip_bomb_lying_header.xlsx", R, "the same bomb, its directory claiming 1,000 bytes",
         ("could not be read", "damaged"), generated=True),
]


def readme() -> str:
    """tests/data/hostile/README.md: every file and what it must end in (written with the files)."""
    lines = ["# Hostile corpus", "",
             "Files made to break the importer. Each must end, through the command line and through the Data page,",
             "in the outcome below: **rejected** (nothing imported, the database unchanged, a message that names the",
             "file and, where one is to blame, the row and column), **imported** (the good rows stored, the others",
             "listed in the report) or **decision** (the import stops and asks). No path may show a stack trace.",
             "", "Files marked *generated* are too large (or too odd) to commit: `tests/hostile_corpus.py` writes them",
             "at test time from fixed seeds. The others are here; `python tests/hostile_corpus.py` rewrites them",
             "and this file byte for byte. Tests: `tests/test_hostile_files.py` (CLI) and",
             "`tests/app/test_hostile_upload.py` (Data page).", "",
             "| file | table | what is hostile | outcome |", "|---|---|---|---|"]
    for case in CASES:
        name = case.name if len(case.name) < 40 else case.name[:12] + "…" + case.name[-8:]
        outcome = case.outcome + (f": {case.loaded} of {case.read} rows" if case.outcome == I else "")
        outcome += (", mapped by hand" if case.mapping else "") + (", strict" if case.strict else "")
        lines.append(f"| `{name}`{' (generated)' if case.generated else ''} | {case.table} | "
                     f"{case.why.replace('|', '&#124;')} | {outcome} |")
    return "\n".join(lines) + "\n"


# --- shared by the CLI and page tests ------------------------------------------------------------

def session_folder(tmp_path_factory) -> Path:
    """One folder per test session for generated files and the demo database, shared by both test files."""
    folder = tmp_path_factory.getbasetemp() / "hostile"
    folder.mkdir(exist_ok=True)
    return folder


def demo_database(folder: Path) -> Path:
    """A database that already holds a dataset: the seeded demo with 1,000 customers, built once by the CLI."""
    import subprocess

    path = folder / "demo" / "studio.duckdb"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "custlib", "demo", "--db", str(path), "--customers", "1000"],
                       cwd=Path(__file__).resolve().parents[1], check=True, capture_output=True, timeout=120)
    return path


def small_database(folder: Path) -> Path:
    """A database that already holds a small dataset named "demo" (3 orders, 2 customer records, 1
    interaction): what the Data page starts from, so small that the app's first run is quick."""
    from custlib import db
    from custlib.io import import_file

    path = folder / "small" / "studio.duckdb"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        files = {"transactions": TX + "c1,o1,2024-01-05,10\nc2,o2,2024-02-06,20\nc1,o3,2024-03-07,5\n",
                 "customers": "customer_id,name\nc1,Ann\nc2,Bo\n",
                 "interactions": "customer_id,timestamp,kind,nps\nc1,2024-03-01 10:00,survey,9\n"}
        con = db.connect(path)
        try:
            for table, text in files.items():
                source = path.parent / f"{table}.csv"
                source.write_text(text)
                import_file(con, source, dataset="demo", table=table, keep_upload=False)
        finally:
            con.close()
    return path


def fingerprint(db_path: Path, read_only: bool = True) -> dict:
    """Everything a rejected import must leave as it was: what ``custlib info`` reports, a count and an
    order-free checksum of every table, and the stored uploads beside the file.

    ``read_only=False`` while the app in this process holds the file (DuckDB shares one instance per
    file and configuration, so a read-only connection could not open it then).
    """
    from custlib import datasets, db

    con = db.connect(db_path, read_only=read_only)
    try:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and table_type = 'BASE TABLE' order by 1").fetchall()]
        checksums = {name: tuple(con.execute(f'select count(*), sum(hash(t)::hugeint) from "{name}" as t')
                                 .fetchall()[0]) for name in tables}
        info = datasets.dataset_info(con)
    finally:
        con.close()
    uploads = sorted(p.name for p in db.uploads_folder(db_path).glob("*"))
    return {"info": info, "tables": checksums, "uploads": uploads}


def stored_values(db_path: Path, case: Case, dataset: str, read_only: bool = True) -> list:
    """The values of ``case.stored``'s field in the rows the import stored, in file order."""
    from custlib import datasets, db

    field_name = case.stored[0]
    assert field_name in db.TABLE_COLUMNS[case.table]  # a field name, never text from the file
    con = db.connect(db_path, read_only=read_only)
    try:
        dataset_id = datasets.get_dataset(con, dataset).dataset_id
        rows = con.execute(f"select {field_name} from {case.table} where dataset_id = ? order by source_row",
                           [dataset_id]).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def target_dataset(case: Case) -> str:
    """Where an import of the case lands: a new dataset named after the file, or the active demo dataset."""
    return Path(case.name).stem[:100] if case.table == "transactions" else "demo"


def write_small_files() -> None:
    HOSTILE_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in small_files().items():
        (HOSTILE_DIR / name).write_bytes(data)
    (HOSTILE_DIR / "README.md").write_text(readme(), encoding="utf-8")


if __name__ == "__main__":
    write_small_files()
    sys.exit(0)
