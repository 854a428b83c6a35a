"""Property-based fuzzing of the parsers (custlib/parsing.py), the column mapper (custlib/columns.py) and the
import as a whole (custlib/io/), with hypothesis.

Parsing is detection in Python (a sample of a column) followed by a SQL expression DuckDB runs over the
whole column, so values are fuzzed through DuckDB, as an import runs them. The properties:

- the mapper takes any header text without failing and maps only to the table's fields, each column once;
  decorated synonyms (case, separators, fullwidth, units in brackets) map back to their field;
- every value expression returns a value or NULL for any text, never an error, and an amount is either a
  finite number within the limit or flagged by the import's own check;
- amounts written as people write them (¥/￥/$, thousands separators, decimal commas, accounting
  negatives, fullwidth digits) come back as the number; dates written in each supported format come back
  as the date;
- any small file ends in an import or in one of our own errors (CustlibError), never a raw duckdb,
  pandas, csv or UnicodeDecodeError exception, and a rejected file leaves the database as it was.

Seeded (``derandomize``): the same examples on every run.
"""
from __future__ import annotations

import math
import tempfile
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custlib import datasets, db
from custlib.columns import SYNONYMS, guess_mapping, normalise_header, resolve_mapping
from custlib.errors import CustlibError, ImportRejected, NeedsDecision
from custlib.io import MAX_ABS_AMOUNT, import_file
from custlib.parsing import (
    DATE_FAMILIES,
    DATE_ORDERS,
    DAY_FIRST,
    EXCEL_SERIAL_RANGE,
    MONTH_FIRST,
    amount_sql,
    blank_sql,
    detect_date_format,
    detect_decimal_style,
    flag_sql,
    kind_sql,
)

FUZZ = settings(derandomize=True, max_examples=150, deadline=None)
FEW = settings(derandomize=True, max_examples=60, deadline=None)

# Text as it comes out of real and hostile files: any character but NUL (files with NUL bytes are rejected
# before any value is read), with the characters that matter to parsers made likely.
TRICKY = list(",.;'\"()-+ \t\r\n¥￥$€£元eE0123456789,．，－（）\u00a0\u202f\u3000\u200b\ufeff") + ["nan", "inf", "1e309"]
any_text = st.one_of(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40),
    st.lists(st.sampled_from(TRICKY), max_size=12).map("".join))


@pytest.fixture(scope="module")
def duck():
    connection = duckdb.connect()
    yield connection
    connection.close()


def evaluate(duck, expression: str, value: str | None):
    """``expression`` over column ``x`` holding ``value``, as the import runs it (one row)."""
    return duck.execute(f"select {expression} from (select cast(? as varchar) as x)", [value]).fetchall()[0][0]


# --- the column mapper ------------------------------------------------------------------------

tables = st.sampled_from(list(SYNONYMS))


@FUZZ
@given(st.lists(any_text, max_size=12), tables)
def test_any_headers_map_only_to_known_fields_each_column_once(headers, table):
    mapping = guess_mapping(headers, table)
    assert set(mapping) <= set(db.TABLE_COLUMNS[table])
    assert len(set(mapping.values())) == len(mapping)
    assert all(0 <= index < len(headers) for index in mapping.values())


@FUZZ
@given(st.lists(any_text, min_size=1, max_size=8), tables,
       st.dictionaries(st.sampled_from(["customer_id", "order_date", "amount", "name", "kind", "nope", ""]),
                       st.one_of(any_text, st.integers(-3, 12), st.sampled_from(["2", " 3 ", "²", "٢", "0"])),
                       max_size=4))
def test_resolving_any_overrides_gives_a_mapping_or_our_own_error(headers, table, overrides):
    try:
        mapping = resolve_mapping(headers, table, overrides, "fuzz.csv")
    except ImportRejected as exc:
        assert str(exc).startswith("fuzz.csv: ")
        return
    assert set(db.REQUIRED_COLUMNS[table]) <= set(mapping) <= set(db.TABLE_COLUMNS[table])
    assert len(set(mapping.values())) == len(mapping)


def _normal_synonyms():
    """(table, field, word) for every synonym that is its own normal form; the field is the first one of the
    table listing the word (the mapper takes exact matches field by field, in that order)."""
    found = []
    for table, fields in SYNONYMS.items():
        for field, words in fields.items():
            for word in words:
                owner = next(f for f, ws in fields.items() if word in ws)
                if normalise_header(word) == word and owner == field:
                    found.append((table, field, word))
    return found


@st.composite
def decorated(draw, word: str) -> str:
    """The word as exports write it: case changed, separators inserted, fullwidth, a unit in brackets."""
    chars = [ch.upper() if ch.isascii() and draw(st.booleans()) else ch for ch in word]
    out = ""
    for ch in chars:
        out += draw(st.sampled_from(["", "", "", " ", "_", "-", ".", "/"])) if out else ""
        out += chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() and draw(st.booleans()) else ch
    unit = draw(st.sampled_from(["", " (元)", "（元）", "[USD]", " {x}", "（人民币）"]))
    return draw(st.sampled_from(["", " ", "\t"])) + out + unit + draw(st.sampled_from(["", " "]))


@FUZZ
@given(st.sampled_from(_normal_synonyms()).flatmap(
    lambda synonym: st.tuples(st.just(synonym), decorated(synonym[2]))))
def test_decorated_synonyms_map_back_to_their_field(drawn):
    (table, field, word), header = drawn
    assert normalise_header(header) == word, (header, unicodedata.normalize("NFKC", header))
    assert guess_mapping(["something else", header], table).get(field) == 1


# --- values through DuckDB --------------------------------------------------------------------

@FUZZ
@given(any_text, st.sampled_from(["dot", "comma"]))
def test_any_text_is_an_amount_or_null_and_the_import_flags_what_is_not_finite(duck, text, style):
    value = evaluate(duck, amount_sql("x", style), text)
    assert value is None or isinstance(value, float)
    accepted = value is not None and math.isfinite(value) and abs(value) <= MAX_ABS_AMOUNT
    flagged = evaluate(duck, f"x is not null and (({amount_sql('x', style)}) is null or not isfinite("
                             f"{amount_sql('x', style)}) or abs({amount_sql('x', style)}) > {MAX_ABS_AMOUNT})", text)
    assert accepted != bool(flagged)


@FUZZ
@given(st.lists(any_text, max_size=30))
def test_decimal_style_detection_takes_any_column(values):
    assert detect_decimal_style(values) in ("dot", "comma")


FULLWIDTH = str.maketrans("0123456789.,-()", "０１２３４５６７８９．，－（）")


@st.composite
def written_amounts(draw, style: str):
    """(number, text): an amount in cents written the way exports write money, in ``style``."""
    cents = draw(st.integers(-10**13, 10**13))
    whole, frac = divmod(abs(cents), 100)
    if style == "dot":
        body = (f"{whole:,}" if draw(st.booleans()) else str(whole)) + f".{frac:02d}"
    else:
        separator = draw(st.sampled_from(["", ".", " ", "\u00a0", "\u202f"]))  # "": 1234,50
        body = f"{whole:,}".replace(",", separator) + f",{frac:02d}"
    before, after = draw(st.sampled_from([("", ""), ("¥", ""), ("￥", ""), ("$", ""), ("€", ""), ("€ ", ""),
                                          ("£", ""), ("RMB ", ""), ("CNY", ""), ("", "元"), ("", " 元"),
                                          ("", " €")]))
    if cents < 0:
        body = draw(st.sampled_from([f"-{before}{body}{after}", f"({before}{body}{after})",
                                     f"{before}{body}{after}-"]))
    else:
        body = f"{before}{body}{after}"
    if draw(st.booleans()):
        body = body.translate(FULLWIDTH)
    return Decimal(cents) / 100, body


@FUZZ
@given(st.sampled_from(["dot", "comma"]).flatmap(
    lambda style: st.tuples(st.just(style), st.lists(written_amounts(style), min_size=1, max_size=5))))
def test_written_amounts_come_back_as_the_number(duck, drawn):
    style, amounts = drawn
    assert detect_decimal_style([text for _, text in amounts]) == style
    for number, text in amounts:
        assert evaluate(duck, amount_sql("x", style), text) == pytest.approx(float(number), rel=1e-12, abs=1e-9), text


@FEW
@given(any_text)
def test_flags_kinds_and_blanks_take_any_text(duck, text):
    assert evaluate(duck, flag_sql("x"), text) in (True, False, None)
    assert evaluate(duck, kind_sql("x"), text) in (None, "call", "visit", "email", "ticket", "complaint", "survey")
    invisible = "\t\r\n\v\f\x85\u200b\u200c\u200d\u2060\ufeff"
    assert evaluate(duck, blank_sql("x"), text) == all(
        unicodedata.category(ch).startswith("Z") or ch in invisible for ch in text)


@FUZZ
@given(st.lists(any_text, max_size=20), st.sampled_from([None, *DATE_ORDERS]), st.booleans())
def test_any_date_column_gets_a_format_or_our_own_error_and_parses_without_failing(duck, values, order, stamp):
    try:
        date_format = detect_date_format(values, "fuzz.csv, column 'when'", order)
    except (NeedsDecision, ImportRejected) as exc:
        assert str(exc).startswith("fuzz.csv, column 'when': ")
        return
    for value in values[:5]:
        parsed = evaluate(duck, date_format.sql("x", timestamp=stamp), value.strip() or None)
        assert parsed is None or isinstance(parsed, (date, datetime))


FORMATS = [(family, fmt) for family, formats in DATE_FAMILIES.items() for fmt in formats]


@FUZZ
@given(st.sampled_from(FORMATS), st.lists(st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31)),
                                          min_size=1, max_size=6))
def test_dates_written_in_each_supported_format_come_back_as_the_date(duck, family_format, moments):
    family, fmt = family_format
    written = [moment.strftime(fmt) for moment in moments]
    order = {DAY_FIRST: DAY_FIRST, MONTH_FIRST: MONTH_FIRST}.get(family)
    date_format = detect_date_format(written, "fuzz.csv, column 'when'", order)
    for moment, text in zip(moments, written):
        assert evaluate(duck, date_format.sql("x"), text) == moment.date(), (fmt, text, date_format.formats)


@FEW
@given(st.lists(st.integers(EXCEL_SERIAL_RANGE[0], EXCEL_SERIAL_RANGE[1]), min_size=1, max_size=6))
def test_excel_serial_days_come_back_as_the_date(duck, serials):
    date_format = detect_date_format([str(s) for s in serials], "fuzz.csv, column 'when'")
    for serial in serials:
        assert evaluate(duck, date_format.sql("x"), str(serial)) == date(1899, 12, 30) + timedelta(days=serial)


# --- whole files through import_file ----------------------------------------------------------

@pytest.fixture(scope="module")
def studio():
    """One database for every example, holding a dataset the fuzzed files must never disturb."""
    with tempfile.TemporaryDirectory(prefix="custlib-fuzz-") as folder:
        con = db.connect(Path(folder) / "studio.duckdb")
        good = Path(folder) / "good.csv"
        good.write_text("customer_id,order_id,order_date,amount\nc1,o1,2024-01-05,10\nc2,o2,2024-02-06,20\n")
        import_file(con, good, dataset="kept")
        yield con, Path(folder)
        con.close()


CELLS = st.one_of(any_text, st.sampled_from(["2024-01-05", "05/01/2024", "01/13/2024", "45500", "2024年1月5日",
                                             "1,234.50", "(12.50)", "1.234,50", "￥88", "c1", "", '"', '""']))
HEADERS = st.lists(st.one_of(st.sampled_from(["customer_id", "order_id", "order_date", "amount", "客户编号",
                                              "下单时间", "实付金额", "quantity", "is_promo", "name", "timestamp",
                                              "nps", "kind"]), any_text), min_size=1, max_size=6)


@st.composite
def small_files(draw) -> tuple[str, bytes]:
    """(file name, bytes): CSV-like text built from headers and cells, in several encodings, or raw bytes."""
    kind = draw(st.sampled_from(["table", "table", "table", "bytes", "zip", "parquet"]))
    if kind == "bytes":
        return draw(st.sampled_from(["f.csv", "f.txt", "f.tsv"])), draw(st.binary(max_size=300))
    if kind == "zip":
        return "f.xlsx", b"PK\x03\x04" + draw(st.binary(max_size=200))
    if kind == "parquet":
        return "f.parquet", b"PAR1" + draw(st.binary(max_size=200)) + b"PAR1"
    headers = draw(HEADERS)
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|", " "]))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(headers) + 1), max_size=6))

    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in (delimiter, '"', "\n", "\r")) \
            and draw(st.booleans()) else cell
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(delimiter.join(quote(c) for c in row) for row in [headers, *rows])
    text += draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1"]))
    return "fuzz.csv", text.encode(encoding, errors="replace")


@settings(derandomize=True, max_examples=200, deadline=None)
@given(small_files(), tables, st.booleans())
def test_any_small_file_imports_or_ends_in_our_own_error(studio, file, table, strict):
    con, folder = studio
    name, data = file
    path = folder / name
    path.write_bytes(data)
    before = datasets.dataset_info(con)
    try:
        report = import_file(con, path, dataset="fuzz", table=table, strict=strict, keep_upload=False)
    except CustlibError as exc:  # ImportRejected, NeedsDecision, ...: a message for people
        assert str(exc).strip() and "Traceback" not in str(exc)
        assert datasets.dataset_info(con) == before
        return
    assert report.accepted and 0 < report.rows_loaded <= report.rows_read
    assert report.rows_loaded + report.rows_rejected + report.rows_dropped_as_duplicates == report.rows_read
    kept = next(d for d in datasets.dataset_info(con) if d["name"] == "kept")
    assert kept == next(d for d in before if d["name"] == "kept")
