"""Import round trips: every supported format, encoding, header language, date and amount style."""
import hashlib
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from custlib import datasets, db
from custlib.columns import guess_mapping
from custlib.errors import ImportRejected
from custlib.io import import_file, preview_file

REPO = Path(__file__).resolve().parents[1]


def stored(con, name, table="transactions", columns="customer_id, order_id, order_date, amount"):
    dataset_id = datasets.get_dataset(con, name).dataset_id
    return db.query_df(con, f"select {columns} from {table} where dataset_id = ? order by source_row", [dataset_id])


def test_cdnow_sample_gives_documented_counts(con, cdnow_dir):
    report = import_file(con, cdnow_dir / "CDNOW_sample.txt", dataset="cdnow", has_header=False,
                         mapping={"customer_id": 2, "order_date": 3, "quantity": 4, "amount": 5})
    assert report.delimiter == " " and report.rows_read == 6919 and report.rows_loaded == 6919
    [info] = datasets.dataset_info(con)
    # data/samples/cdnow/README.md: 2,357 customers, 6,919 rows, 1997-01-01 .. 1998-06-30
    assert (info["customers"], info["transactions"]) == (2357, 6919)
    assert (info["first_order_date"], info["last_order_date"]) == ("1997-01-01", "1998-06-30")
    # identical rows (same customer, day, CDs, dollars) are separate orders: reported, kept
    assert report.counts["identical_rows_without_order_id"] > 0
    ids = stored(con, "cdnow", columns="customer_id")["customer_id"]
    assert ids.iloc[0] == "0001"  # ids as imported, zero padding kept


def test_cli_import_and_info(tmp_path, cdnow_dir):
    database = tmp_path / "cli.duckdb"
    run = lambda *args: subprocess.run([sys.executable, "-m", "custlib", *args], capture_output=True, text=True,
                                       cwd=REPO)
    ok = run("import", str(cdnow_dir / "CDNOW_sample.txt"), "--db", str(database), "--no-header",
             "--map", "customer_id=2,order_date=3,quantity=4,amount=5", "--dataset", "cdnow")
    assert ok.returncode == 0, ok.stderr
    assert "Imported 6,919 of 6,919 rows" in ok.stdout
    bad = run("import", str(REPO / "tests/data/bad/text_in_amounts.csv"), "--db", str(database), "--strict",
              "--dataset", "cdnow")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "text_in_amounts.csv, row 3, column 'amount'" in bad.stderr
    info = run("info", "--db", str(database), "--json")
    [entry] = json.loads(info.stdout)
    assert entry["name"] == "cdnow" and entry["is_active"] and entry["transactions"] == 6919
    assert entry["total_amount"] == pytest.approx(244091.94)  # sum of column 5 of CDNOW_sample.txt
    missing = run("info", "--db", str(tmp_path / "nothing.duckdb"))
    assert missing.returncode == 1 and "No database at" in missing.stderr


CHINESE_ROWS = ("客户编号,订单号,下单时间,实付金额（元）,渠道\n"
                "K001,D1,2024/07/01 10:15:00,\"￥1,234.50\",线上\n"
                "K002,D2,2024/07/02 11:00:00,￥88,门店\n"
                "K001,D3,2024/07/03 09:30:00,-￥34.50,线上\n")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_chinese_export_in_every_encoding(con, tmp_path, encoding):
    path = tmp_path / f"订单_{encoding}.csv"
    path.write_bytes(CHINESE_ROWS.encode(encoding))
    report = import_file(con, path, dataset="cn")
    assert report.mapping == {"customer_id": "客户编号", "order_id": "订单号", "order_date": "下单时间",
                              "amount": "实付金额（元）", "channel": "渠道"}
    frame = stored(con, "cn", columns="customer_id, order_date, amount, channel")
    assert frame["amount"].tolist() == [1234.5, 88.0, -34.5]
    assert frame["order_date"].astype(str).tolist() == ["2024-07-01", "2024-07-02", "2024-07-03"]
    assert frame["channel"].tolist() == ["线上", "门店", "线上"]


@pytest.mark.parametrize(("text", "expected"), [
    ("customer_id;order_date;amount\nc1;31.07.2024;1 234,50\nc2;01.08.2024;\"2.000,00\"\n", [1234.5, 2000.0]),
    ("customer_id\torder_date\tamount\nc1\t20240731\t¥1,234.50\nc2\t20240801\t(12.00)\n", [1234.5, -12.0]),
    ("customer_id|order_date|amount\nc1|2024-07-31|$1,234.50\nc2|2024-08-01|2000\n", [1234.5, 2000.0]),
    ("customer_id,order_date,amount\nc1,45504,12.5\nc2,45505,7\n", [12.5, 7.0]),  # Excel serials
    ("customer_id,order_date,amount\nc1,2024年7月31日,12.5\nc2,2024年8月1日,7\n", [12.5, 7.0]),
    ("customer_id,order_date,amount\nc1,07/31/2024,12.5\nc2,08/01/2024,7\n", [12.5, 7.0]),  # month first
])
def test_delimiters_dates_and_amount_styles(con, tmp_path, text, expected):
    path = tmp_path / "orders.txt"
    path.write_text(text, encoding="utf-8")
    import_file(con, path, dataset="styles")
    frame = stored(con, "styles")
    assert frame["amount"].tolist() == expected
    assert frame["order_date"].astype(str).tolist() == ["2024-07-31", "2024-08-01"]


def test_xlsx_with_chinese_headers_dates_and_serials(con, tmp_path):
    path = tmp_path / "导出.xlsx"
    pd.DataFrame({"会员编号": ["M1", "M2", "M3"], "成交时间": [datetime(2024, 7, 31, 10), datetime(2024, 8, 1),
                                                          datetime(2024, 8, 2)],
                  "订单金额": [12.5, 99, 100.25], "数量": [1, 2, 3]}).to_excel(path, index=False)
    report = import_file(con, path, dataset="xl")
    assert report.file_format == "Excel workbook"
    frame = stored(con, "xl", columns="customer_id, order_date, amount, quantity, source_row")
    assert frame["customer_id"].tolist() == ["M1", "M2", "M3"]
    assert frame["order_date"].astype(str).tolist() == ["2024-07-31", "2024-08-01", "2024-08-02"]
    assert frame["source_row"].tolist() == [2, 3, 4]  # Excel's row numbers, header on row 1



def test_xlsx_cells_read_as_a_csv_export_would_write_them(con, tmp_path):
    """Number ids without '.0', amounts as written, date and date-time cells, flags, empty cells; an empty
    first sheet is passed over and rows keep Excel's numbers across a blank row."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "说明"  # an empty cover sheet
    sheet = workbook.create_sheet("订单")
    sheet.append(["客户编号", "订单编号", "下单时间", "实付金额", "促销", "备注"])
    sheet.append([100234, "A-1", datetime(2024, 7, 31), 1234.5, True, None])
    sheet.append([None, None, None, None, None, None])
    sheet.append([100235, 9007199254740991, datetime(2024, 8, 1, 9, 30), 0.1, False, "第一次"])
    sheet.append([100236, "A-3", datetime(2024, 8, 2), -20, None, ""])
    path = tmp_path / "crm.xlsx"
    workbook.save(path)
    report = import_file(con, path, dataset="crm", mapping={"customer_id": "客户编号", "order_id": "订单编号",
                                                             "order_date": "下单时间", "amount": "实付金额",
                                                             "is_promo": "促销"})
    assert {(p.kind, p.row) for p in report.problems} == {("missing_value", 3)}  # the blank row
    frame = stored(con, "crm", columns="source_row, customer_id, order_id, order_date, amount, is_promo")
    assert frame["source_row"].tolist() == [2, 4, 5]
    assert frame["customer_id"].tolist() == ["100234", "100235", "100236"]
    assert frame["order_id"].tolist() == ["A-1", "9007199254740991", "A-3"]
    assert frame["order_date"].astype(str).tolist() == ["2024-07-31", "2024-08-01", "2024-08-02"]
    assert frame["amount"].tolist() == [1234.5, 0.1, -20.0]
    assert frame["is_promo"].tolist()[:2] == [True, False] and pd.isna(frame["is_promo"].tolist()[2])

def test_parquet_round_trip(con, tmp_path):
    path = tmp_path / "orders.parquet"
    pd.DataFrame({"Customer ID": ["a", "b"], "Order Date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                  "Revenue": [1.5, 2.5], "Promo": [True, False]}).to_parquet(path)
    import_file(con, path, dataset="pq")
    frame = stored(con, "pq", columns="customer_id, order_date, amount, is_promo")
    assert frame.to_dict("list") == {"customer_id": ["a", "b"], "order_date": frame["order_date"].tolist(),
                                     "amount": [1.5, 2.5], "is_promo": [True, False]}
    assert frame["order_date"].astype(str).tolist() == ["2024-01-02", "2024-01-03"]


def test_mapping_override_by_name_and_position(con, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("who,when,howmuch,value\nc1,2024-01-01,5,7\n")
    with pytest.raises(ImportRejected, match="no column for required field"):
        import_file(con, path, dataset="odd")
    import_file(con, path, dataset="odd", mapping={"customer_id": "who", "order_date": "when", "amount": 3})
    assert stored(con, "odd")["amount"].tolist() == [5.0]
    with pytest.raises(ImportRejected, match="names no column"):
        import_file(con, path, dataset="odd", mapping={"customer_id": "nobody"})


def test_identical_rows_kept_and_reported_unless_dropped(con, tmp_path):
    path = tmp_path / "dupes.csv"
    path.write_text("customer_id,order_date,amount\nc1,2024-01-01,5\nc1,2024-01-01,5\nc2,2024-01-01,5\n")
    report = import_file(con, path, dataset="d")
    assert report.rows_loaded == 3 and report.counts == {"identical_rows_without_order_id": 1}
    assert "rows 2, 3" in report.problems[0].message
    report = import_file(con, path, dataset="d", drop_duplicates=True)
    assert report.rows_loaded == 2 and report.rows_dropped_as_duplicates == 1


@pytest.mark.parametrize("lead", [0, 100_000], ids=["order lines from the start", "after 100,000 single rows"])
def test_repeats_and_order_conflicts_found_among_multi_line_orders(con, tmp_path, lead):
    # o1 has two different lines (fine) and one line exported twice; o2 is claimed by two customers;
    # rows without an order id repeat once; customers' rows in other orders are left alone.
    # With ``lead`` rows of one-line orders first, the order ids are counted before customers are compared.
    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_id,order_date,amount\n"
                    + "".join(f"s{i},single{i},2024-02-01,3\n" for i in range(lead)) +
                    "c1,o1,2024-01-01,5\n"       # 2
                    "c1,o1,2024-01-01,7\n"       # 3
                    "c1,o1,2024-01-01,5\n"       # 4: row 2 again
                    "c2,o2,2024-01-02,9\n"       # 5
                    "c3,o2,2024-01-02,9\n"       # 6: o2 under a second customer
                    "c4,,2024-01-03,1\n"         # 7
                    "c4,,2024-01-03,1\n"         # 8: identical, no order id
                    "c5,o3,2024-01-04,2\n")      # 9

    def rows_after_lead():
        rows = stored(con, "orders", columns="source_row")["source_row"]
        return [r - lead for r in rows if r > lead + 1]

    report = import_file(con, path, dataset="orders")
    assert report.counts == {"duplicate_rows": 1, "order_id_conflict": 2, "identical_rows_without_order_id": 1}
    assert {p.row - lead for p in report.problems if p.kind == "order_id_conflict"} == {5, 6}
    assert [p.row - lead for p in report.problems if p.kind == "duplicate_rows"] == [2]
    assert f"rows {2 + lead}, {4 + lead}" in next(p.message for p in report.problems if p.kind == "duplicate_rows")
    assert rows_after_lead() == [2, 3, 4, 7, 8, 9]
    report = import_file(con, path, dataset="orders", drop_duplicates=True)
    assert report.rows_dropped_as_duplicates == 2
    assert rows_after_lead() == [2, 3, 7, 9]
    assert report.rows_loaded == lead + 4


def test_row_numbers_stay_true_after_a_malformed_line(con, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("customer_id,order_date,amount\nc1,2024-01-01,5\nc2,2024-01-01,5,extra\n"
                    "c3,2024-01-01,5\nc4,2024-01-01,oops\nc5,2024-01-02,6\n")
    report = import_file(con, path, dataset="rows")
    assert {(p.kind, p.row) for p in report.problems} == {("wrong_field_count", 3), ("bad_amount", 5)}
    assert stored(con, "rows", columns="source_row")["source_row"].tolist() == [2, 4, 6]
    # rows are checked in a temp table: the user's table never holds a failed row or its check marks
    columns = db.query_df(con, "select column_name from duckdb_columns() where table_name = 'transactions'")
    assert not {"import_flags", "import_values"} & set(columns["column_name"])



def test_row_numbers_stay_true_after_runs_of_malformed_lines(con, tmp_path):
    """Gaps next to each other, at the start and at the end: each row keeps its own line's number."""
    lines = ["customer_id,order_date,amount", "x,1,2,3", "c2,2024-01-01,5", "x,1,2,3", "x,1,2,3", "x,1,2,3",
             "c6,2024-01-01,5", "c7,2024-01-01,oops", "c8,2024-01-01,5", "x,1,2,3", "x,1,2,3"]
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(con, path, dataset="runs")
    assert sorted(p.row for p in report.problems if p.kind == "wrong_field_count") == [2, 4, 5, 6, 10, 11]
    assert [p.row for p in report.problems if p.kind == "bad_amount"] == [8]
    rows = stored(con, "runs", columns="source_row, customer_id").sort_values("source_row")
    assert rows.values.tolist() == [[3, "c2"], [7, "c6"], [9, "c8"]]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_row_numbers_count_empty_lines_as_a_spreadsheet_does(con, tmp_path, newline):
    """DuckDB's reader skips empty lines; a row after them keeps the number the user sees in the file."""
    lines = ["customer_id,order_date,amount", "c1,2024-01-01,5", "", "c2,2024-01-01,oops", "", "",
             "c3,2024-01-01,x", "c4,2024-01-01,1", ""]
    path = tmp_path / "blank.csv"
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    report = import_file(con, path, dataset="blank")
    assert [(p.kind, p.row) for p in report.problems] == [("bad_amount", 4), ("bad_amount", 7)]
    assert stored(con, "blank", columns="source_row")["source_row"].tolist() == [2, 8]



def test_preview_numbers_rows_as_the_import_does(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("customer_id,order_date,amount\nc1,2024-01-01,5\n\nc2,2024-01-01,5,extra\nc3,2024-01-01,6\n")
    frame, _, _ = preview_file(path)
    assert frame["row"].tolist() == [2, 5] and frame["customer_id"].tolist() == ["c1", "c3"]

def test_a_quoted_cell_with_line_breaks_is_one_row(con, tmp_path):
    """Line breaks (even an empty line) inside quotes belong to the cell: the record is one row."""
    path = tmp_path / "notes.csv"
    path.write_text('customer_id,order_date,amount,note\nc1,2024-01-01,5,"first\n\nsecond"\n\n'
                    'c2,2024-01-01,5,"say ""hi""\nthere",extra\nc3,2024-01-01,oops,x\nc4,2024-01-01,6,\n')
    report = import_file(con, path, dataset="notes", mapping={"customer_id": "customer_id",
                                                              "order_date": "order_date", "amount": "amount"})
    assert [(p.kind, p.row) for p in report.problems] == [("wrong_field_count", 4), ("bad_amount", 5)]
    assert stored(con, "notes", columns="source_row")["source_row"].tolist() == [2, 6]

def test_upload_kept_with_checksum_and_deleted_with_dataset(con, tmp_path):
    path = tmp_path / "keep.csv"
    path.write_text("customer_id,order_date,amount\nc1,2024-01-01,5\n")
    report = import_file(con, path, dataset="keep")
    kept = Path(report.stored_path)
    assert kept.parent == db.uploads_dir(con) == tmp_path / "studio.duckdb.uploads" and kept.read_bytes() == path.read_bytes()
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    row = db.query_df(con, "select sha256, file_name from imports where stored_path = ?", [str(kept)])
    assert row["sha256"][0] == report.sha256
    datasets.delete_dataset(con, "keep")
    assert not kept.exists()


def test_append_adds_and_replace_replaces(con, tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("customer_id,order_date,amount\nc1,2024-01-01,5\n")
    two.write_text("customer_id,order_date,amount\nc2,2024-01-02,6\n")
    import_file(con, one, dataset="x")
    import_file(con, two, dataset="x", append=True)
    assert stored(con, "x")["customer_id"].tolist() == ["c1", "c2"]
    version = datasets.get_dataset(con, "x").version
    import_file(con, two, dataset="x")
    assert stored(con, "x")["customer_id"].tolist() == ["c2"]
    assert datasets.get_dataset(con, "x").version == version + 1


def test_customers_and_interactions_go_to_the_active_dataset(con, tmp_path):
    tx = tmp_path / "tx.csv"
    tx.write_text("customer_id,order_date,amount\nc1,2024-01-01,5\n")
    import_file(con, tx, dataset="shop")
    customers = tmp_path / "customers.csv"
    customers.write_text("客户编号,客户名称,邮箱,手机,注册日期,行业,客户经理\n"
                         "c1,甲公司,a@x.cn,13800000000,2023-05-01,制造,王芳\n"
                         "c1,甲公司(新),a@x.cn,13800000000,2023-05-01,制造,李雷\n")
    report = import_file(con, customers, table="customers")
    assert report.dataset == "shop" and report.counts == {"repeated_customer": 1}
    frame = stored(con, "shop", "customers", "customer_id, name, signup_date, account_manager")
    assert frame["account_manager"].tolist() == ["李雷"]  # the later row wins, and the report says so
    interactions = tmp_path / "interactions.csv"
    interactions.write_text("customer_id,时间,类型,NPS,满意度,备注\nc1,2024-02-01 10:00,投诉,3,2,slow delivery\n")
    import_file(con, interactions, table="interactions")
    frame = stored(con, "shop", "interactions", "kind, nps_score, satisfaction, interaction_at")
    assert frame.iloc[0][["kind", "nps_score", "satisfaction"]].tolist() == ["complaint", 3, 2]


def test_guess_mapping_reads_common_headers():
    headers = ["Customer ID", "Invoice No", "Invoice Date", "Net Amount", "Qty"]
    assert guess_mapping(headers, "transactions") == {"customer_id": 0, "order_id": 1, "order_date": 2,
                                                      "amount": 3, "quantity": 4}
    assert guess_mapping(["客户ID", "订单编号", "订单日期", "订单金额"], "transactions") == {
        "customer_id": 0, "order_id": 1, "order_date": 2, "amount": 3}


def test_preview_shows_first_rows_and_guess(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(CHINESE_ROWS, encoding="utf-8")
    frame, guess, headers = preview_file(path)
    assert list(frame.columns) == ["row"] + headers and frame["row"].tolist() == [2, 3, 4]
    assert guess["amount"] == "实付金额（元）"


def test_row_numbers_hold_in_a_file_read_in_parallel(con, tmp_path):
    # ~12 MB: DuckDB reads it with several threads; row numbers must still be the file's
    path = tmp_path / "big.csv"
    lines = ["customer_id,order_id,order_date,amount"]
    for i in range(400_000):
        if i == 200_000:
            lines.append(f"c{i},o{i},2024-01-01,5,extra")
        elif i == 300_000:
            lines.append(f"c{i},o{i},2024-01-01,oops")
        else:
            lines.append(f"c{i},o{i},2024-01-{1 + i % 28:02d},{i % 97}.5")
    path.write_text("\n".join(lines) + "\n")
    report = import_file(con, path, dataset="big")
    # data row i sits on line i + 2 (the header is line 1)
    assert {(p.kind, p.row) for p in report.problems} == {("wrong_field_count", 200_002), ("bad_amount", 300_002)}
    rows = db.query_df(con, "select source_row, order_id from transactions where order_id in "
                            "('o0', 'o199999', 'o200001', 'o399999') order by source_row")
    assert rows.values.tolist() == [[2, "o0"], [200_001, "o199999"], [200_003, "o200001"], [400_001, "o399999"]]
