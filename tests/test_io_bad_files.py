"""Every file of the bad corpus (tests/data/bad/) is rejected with a clear message and changes nothing.

The database already holds a good dataset; after each rejected import it must be
byte-for-byte the same data (same datasets, versions, counts and totals) and the
uploads folder must hold nothing new.
"""
from pathlib import Path

import pytest

from custlib import datasets, db
from custlib.errors import ImportRejected, NeedsDecision
from custlib.io import import_file

BAD = Path(__file__).parent / "data" / "bad"

# file -> (table, text the message must contain, row named or None, column named or None)
EXPECTED = {
    "empty.csv": ("transactions", "the file is empty", None, None),
    "header_only.csv": ("transactions", "header but no data rows", None, None),
    "blank_lines_only.csv": ("transactions", "only blank lines", None, None),
    "missing_amount_column.csv": ("transactions", "no column for required field(s) amount", None, None),
    "unparseable_dates.csv": ("transactions", "is not a date", 3, "order_date"),
    "text_in_amounts.csv": ("transactions", "is not an amount", 3, "amount"),
    "duplicate_order_ids.csv": ("transactions", "order o1 appears under customers 'c1' and 'c2'", 2, "order_id"),
    "binary_junk.csv": ("transactions", "not a text file", None, None),
    "wrong_delimiter.csv": ("transactions", "delimiter may be one we do not recognise", None, None),
    "mixed_encodings.csv": ("transactions", "mixes encodings", 3, None),
    "missing_customer_id.csv": ("transactions", "customer_id is required but the cell is empty", 3, "customer_id"),
    "year_9999.csv": ("transactions", "is outside 1900-01-01", 3, "order_date"),
    "amount_1e308.csv": ("transactions", "not a finite number within", 3, "amount"),
    "nan_amounts.csv": ("transactions", "not a finite number within", 2, "amount"),
    "ragged_rows.csv": ("transactions", "has 6 fields but the header has 4", 3, None),
    "unterminated_quote.csv": ("transactions", "unterminated quote", 3, None),
    "mixed_date_orders.csv": ("transactions", "mixes day-first dates ('13/01/2024') and month-first", None, None),
    "bad_promo_flag.csv": ("transactions", "is not a yes/no value", 3, "is_promo"),
    "interactions_bad_nps.csv": ("interactions", "whole number from 0 to 10", 3, "nps"),
    "interactions_bad_kind.csv": ("interactions", "is not an interaction kind", 3, "kind"),
    "old_format.xls": ("transactions", "old Excel .xls workbook", None, None),
    "text_named.xlsx": ("transactions", "not a valid .xlsx workbook", None, None),
    "truncated.xlsx": ("transactions", "not a valid .xlsx workbook", None, None),
    "empty_sheet.xlsx": ("transactions", "every sheet of the workbook is empty", None, None),
    "not_a_workbook.xlsx": ("transactions", "not an Excel .xlsx workbook", None, None),
    "corrupt.parquet": ("transactions", "not a readable Parquet file", None, None),
    "utf16_without_bom.csv": ("transactions", "UTF-16 text without a byte-order mark", None, None),
}


def test_corpus_is_complete():
    on_disk = {p.name for p in BAD.iterdir()} - {"ambiguous_dates.csv"}
    assert on_disk == set(EXPECTED), "every bad file needs an expectation (and vice versa)"
    assert len(on_disk) >= 20


@pytest.fixture
def loaded(con, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("customer_id,order_id,order_date,amount\nc1,o1,2024-01-05,10\nc2,o2,2024-02-06,20\n")
    import_file(con, good, dataset="shop")
    # interactions go to the same dataset, so it must have some first
    inter = tmp_path / "inter.csv"
    inter.write_text("customer_id,timestamp,kind,nps\nc1,2024-01-05 10:00,survey,9\n")
    import_file(con, inter, dataset="shop", table="interactions")
    return con


def _state(con):
    uploads = sorted(p.name for p in db.uploads_dir(con).glob("*"))
    return datasets.dataset_info(con), uploads


# Partially valid files load their good rows in lenient mode (test_lenient_skips_and_reports);
# every file is rejected in strict mode, and whole-file problems in both modes.
PARTLY_VALID = {"unparseable_dates.csv", "text_in_amounts.csv", "missing_customer_id.csv", "year_9999.csv",
                "amount_1e308.csv", "ragged_rows.csv", "duplicate_order_ids.csv", "bad_promo_flag.csv",
                "unterminated_quote.csv", "interactions_bad_nps.csv", "interactions_bad_kind.csv"}
CASES = [(name, True) for name in sorted(EXPECTED)] + [
    (name, False) for name in sorted(EXPECTED) if name not in PARTLY_VALID]


@pytest.mark.parametrize(("name", "strict"), CASES, ids=[f"{n}-{'strict' if s else 'lenient'}" for n, s in CASES])
def test_bad_file_is_rejected_clearly_and_changes_nothing(loaded, name, strict):
    table, text, row, column = EXPECTED[name]
    before = _state(loaded)
    with pytest.raises(ImportRejected) as caught:
        import_file(loaded, BAD / name, dataset="shop", table=table, strict=strict)
    report = caught.value.report
    messages = [str(caught.value)] + [p.describe(report.file_name) for p in report.problems]
    assert any(text in m for m in messages), messages
    assert any(name in m for m in messages)  # the file is named
    if row is not None:
        assert any(p.row == row for p in report.problems), [p.row for p in report.problems]
    if column is not None:
        assert any(p.column == column for p in report.problems)
    assert not report.accepted and "database is unchanged" in report.summary()
    assert _state(loaded) == before


def test_ambiguous_dates_ask_instead_of_guessing(loaded):
    before = _state(loaded)
    with pytest.raises(NeedsDecision) as caught:
        import_file(loaded, BAD / "ambiguous_dates.csv", dataset="shop")
    assert caught.value.option == "date_order" and "'03/04/2024'" in str(caught.value)
    assert _state(loaded) == before
    report = import_file(loaded, BAD / "ambiguous_dates.csv", dataset="shop", date_order="day-first")
    dates = db.query_df(loaded, "select order_date from transactions where dataset_id = ? order by 1",
                        [datasets.get_dataset(loaded, "shop").dataset_id])["order_date"].astype(str).tolist()
    assert dates == ["2024-04-03", "2024-06-05"] and report.accepted


@pytest.mark.parametrize("name", sorted(PARTLY_VALID - {"interactions_bad_nps.csv", "interactions_bad_kind.csv"}))
def test_lenient_skips_and_reports(loaded, name):
    table, text, row, _ = EXPECTED[name]
    report = import_file(loaded, BAD / name, dataset="shop", table=table)
    assert report.accepted and report.rows_rejected >= 1
    assert report.rows_loaded + report.rows_rejected == report.rows_read
    assert any(p.row == row and text in p.describe(name) for p in report.problems)
    stored_rows = db.query_df(loaded, "select source_row from transactions where dataset_id = ?",
                              [datasets.get_dataset(loaded, "shop").dataset_id])["source_row"].tolist()
    assert row not in stored_rows and len(stored_rows) == report.rows_loaded
