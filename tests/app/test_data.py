"""Data page: upload, map, import, the validation report, dataset management, quality, templates."""
from __future__ import annotations

import pytest

from custlib import datasets, db
from custlib import io as custio
from ui.templates import template_csv

DATA_PAGE = "pages/data.py"
SALES = (b"customer_id,order_id,order_date,amount\n"
         b"c1,o1,2024-01-05,10.50\n"
         b"c2,o2,2024-02-06,20\n"
         b"c1,o3,2024-02-07,-5\n")


def upload(at, name: str, content: bytes, mime: str = "text/csv"):
    at.file_uploader(key="data_upload").set_value((name, content, mime)).run()
    assert not at.exception
    return at


def table_with(at, column: str):
    """The dataframe on the page that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def dataset_table(at):
    return table_with(at, "Version") if any("Version" in df.value.columns for df in at.dataframe) \
        else table_with(at, "版本")


def problems_table(at):
    return table_with(at, "Message")


def test_upload_preview_map_and_import_a_csv(start_app, open_db):
    at = start_app(page=DATA_PAGE)
    assert at.title[0].value == "Data"
    assert "No datasets yet." in [c.value for c in at.caption]
    upload(at, "sales.csv", SALES)
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["Row in file", "customer_id", "order_id", "order_date", "amount"]
    assert preview["Row in file"].tolist() == [2, 3, 4]          # spreadsheet rows: the header is row 1
    assert at.selectbox(key="data_map_amount").value == "amount"
    assert at.selectbox(key="data_map_channel").value == ""    # shown as "— not in file —"
    assert at.selectbox(key="data_map_amount").label == "Amount *"
    assert at.text_input(key="data_new_name").value == "sales"  # the file's stem
    at.button(key="data_import").click().run()
    assert not at.exception
    assert at.success[0].value == 'Imported 3 of 3 rows from sales.csv into Transactions of dataset “sales”.'
    table = dataset_table(at)
    assert table["Name"].tolist() == ["sales"]
    assert table.iloc[0]["Transactions"] == "3" and table.iloc[0]["Total amount"] == "¥25.50"
    assert table.iloc[0]["Default"] == "✓"
    # importing again now goes into "sales" (replace or append), not into a second new dataset
    assert at.radio(key="data_target").value == "existing" and at.selectbox(key="data_existing").value == "sales"
    con = open_db()
    assert datasets.get_dataset(con).name == "sales"
    assert db.query_df(con, "select sum(amount) from transactions").iloc[0, 0] == pytest.approx(25.5)
    # data quality of the active dataset: 1 of 3 rows is a return, all rows have an order id
    quality = {m.label: m.value for m in at.metric}
    assert quality["Rows with negative amounts"] == "33.3%"
    assert quality["Rows without order id"] == "0.0%"
    assert quality["Last order date"] == "2024-02-07"
    assert "**Order dates:** 2024-01-05 to 2024-02-07." in [m.value for m in at.markdown]
    assert quality["Customers with transactions"] == "2"


def test_a_bad_file_in_strict_mode_names_row_and_column_and_changes_nothing(seed, start_app, open_db):
    seed("shop", "transactions", [{"customer_id": "c1", "order_id": "o1", "order_date": "2024-01-05",
                                   "amount": 99.0}])
    before = datasets.get_dataset(open_db(), "shop")
    at = start_app(page=DATA_PAGE)
    upload(at, "bad.csv", b"customer_id,order_id,order_date,amount\nc1,o1,2024-01-05,10.50\n"
                          b"c2,o2,2024-01-06,ten dollars\n")
    at.radio(key="data_target").set_value("existing").run()
    at.selectbox(key="data_existing").set_value("shop")
    at.checkbox(key="data_strict").check().run()
    at.button(key="data_import").click().run()
    assert not at.exception
    error = at.error[0].value
    assert "bad.csv, row 3, column 'amount': 'ten dollars'" in error
    assert "the database is unchanged" in error
    problems = problems_table(at)
    assert problems.iloc[0][["Row", "Column", "Value"]].tolist() == [3, "amount", "ten dollars"]
    assert problems.iloc[0]["Severity"] == "error"
    assert not at.success
    con = open_db()
    assert datasets.get_dataset(con, "shop") == before                  # same version: nothing was written
    assert db.query_df(con, "select amount from transactions").iloc[:, 0].tolist() == [99.0]


def test_a_lenient_import_skips_bad_rows_and_lists_them(start_app):
    at = start_app(page=DATA_PAGE)
    upload(at, "mixed.csv", b"customer_id,order_id,order_date,amount\nc1,o1,2024-01-05,10.50\n"
                            b"c2,o2,2024-13-45,20\n")
    at.button(key="data_import").click().run()
    assert "Imported 1 of 2 rows" in at.warning[0].value and "1 rows were skipped" in at.warning[0].value
    problems = problems_table(at)
    assert problems.iloc[0][["Row", "Column", "Value"]].tolist() == [3, "order_date", "2024-13-45"]
    counts = table_with(at, "Kind")
    assert counts.values.tolist() == [["error", "not a date", 1]]


def test_a_file_without_a_required_column_cannot_be_imported_until_mapped(start_app):
    at = start_app(page=DATA_PAGE)
    upload(at, "shop export.csv", b"client,when,Betrag\nc1,2024-01-05,10\n")
    assert at.selectbox(key="data_map_amount").value == ""
    assert at.button(key="data_import").disabled
    assert [w.value for w in at.warning] == ["Choose the column that holds Order date (required).",
                                             "Choose the column that holds Amount (required)."]
    at.selectbox(key="data_map_amount").set_value("Betrag")
    at.selectbox(key="data_map_order_date").set_value("Betrag").run()
    assert [w.value for w in at.warning] == [
        "The column “Betrag” is chosen for both Order date and Amount; a column can hold only one field."]
    at.selectbox(key="data_map_order_date").set_value("when").run()
    assert not at.button(key="data_import").disabled
    at.button(key="data_import").click().run()
    assert "Imported 1 of 1 rows" in at.success[0].value
    assert dataset_table(at)["Name"].tolist() == ["shop export"]


def test_a_gbk_file_with_chinese_headers_imports(start_app, open_db):
    content = ("客户编号,订单号,下单日期,实付金额（元）\n张三,A1,2024-01-05,100\n李四,A2,2024-01-06,200.5\n"
               .encode("gbk"))
    at = start_app(page=DATA_PAGE, language="zh")
    upload(at, "销售.csv", content)
    assert at.selectbox(key="data_map_customer_id").value == "客户编号"
    assert at.selectbox(key="data_map_amount").value == "实付金额（元）"
    at.button(key="data_import").click().run()
    assert not at.exception
    assert at.success[0].value == "已将 销售.csv 中 2 行里的 2 行导入数据集“销售”的交易表。"
    assert dataset_table(at)["名称"].tolist() == ["销售"]
    rows = db.query_df(open_db(), "select customer_id, amount from transactions order by amount")
    assert rows.values.tolist() == [["张三", 100.0], ["李四", 200.5]]


def test_ambiguous_dates_ask_for_the_date_order_then_import(start_app, open_db):
    at = start_app(page=DATA_PAGE)
    upload(at, "dates.csv", b"customer_id,order_date,amount\nc1,03/04/2024,10\nc2,05/06/2024,11\n")
    assert "data_decision_date_order" not in [radio.key for radio in at.radio]   # asked only when needed
    at.button(key="data_import").click().run()
    assert "needs a decision" in at.warning[0].value and "03/04/2024" in at.warning[0].value
    assert not at.success
    at.radio(key="data_decision_date_order").set_value("day-first").run()
    at.button(key="data_import").click().run()
    assert "Imported 2 of 2 rows" in at.success[0].value
    dates = db.query_df(open_db(), "select order_date from transactions order by order_date")
    assert [d.isoformat()[:10] for d in dates["order_date"]] == ["2024-04-03", "2024-06-05"]


def test_switch_rename_and_delete_datasets(seed, start_app, open_db):
    row = {"customer_id": "c1", "order_id": "o1", "order_date": "2024-01-05", "amount": 1.0}
    seed("first", "transactions", [row])
    seed("second", "transactions", [row, {**row, "order_id": "o2"}])
    at = start_app(page=DATA_PAGE)
    assert dataset_table(at)["Name"].tolist() == ["first", "second"]
    at.selectbox(key="data_manage_name").set_value("second").run()
    at.button(key="data_make_active").click().run()
    assert at.success[0].value == "“second” is now the default dataset: new sessions start with it."
    assert datasets.get_dataset(open_db()).name == "second"
    assert at.subheader[-2].value == "Data quality of “second”"
    at.text_input(key="data_rename_to").input("renamed").run()
    at.button(key="data_rename").click().run()
    assert dataset_table(at)["Name"].tolist() == ["first", "renamed"]
    at.selectbox(key="data_manage_name").set_value("first").run()
    assert at.button(key="data_delete").disabled                     # not without the confirmation
    at.checkbox(key="data_delete_confirm_first").check().run()
    at.button(key="data_delete").click().run()
    assert at.success[0].value == "Deleted “first”."
    assert dataset_table(at)["Name"].tolist() == ["renamed"]
    assert [d.name for d in datasets.list_datasets(open_db())] == ["renamed"]


def test_renaming_onto_an_existing_name_shows_the_reason(seed, start_app):
    row = {"customer_id": "c1", "order_date": "2024-01-05", "amount": 1.0}
    seed("first", "transactions", [row])
    seed("second", "transactions", [row])
    at = start_app(page=DATA_PAGE)
    at.text_input(key="data_rename_to").input("second").run()
    at.button(key="data_rename").click().run()
    assert at.error[0].value == "A dataset named 'second' already exists; choose another name."


def test_quality_counts_customers_without_a_customer_record(seed, start_app):
    seed("shop", "transactions", [
        {"customer_id": "c1", "order_id": None, "order_date": "2024-01-05", "amount": 10.0},
        {"customer_id": "c2", "order_id": "o2", "order_date": "2024-01-06", "amount": 10.0},
        {"customer_id": "c3", "order_id": "o3", "order_date": "2024-01-07", "amount": -4.0},
        {"customer_id": "c3", "order_id": "o4", "order_date": "2024-01-08", "amount": 4.0}])
    seed("shop", "customers", [{"customer_id": "c1"}])
    at = start_app(page=DATA_PAGE)
    quality = {m.label: m.value for m in at.metric}
    assert quality["Customers without a record"] == "2"        # c2 and c3
    assert quality["Rows without order id"] == "25.0%"         # 1 of 4
    assert quality["Rows with negative amounts"] == "25.0%"
    assert quality["Customer records"] == "1"


@pytest.mark.parametrize("table", list(db.TABLE_COLUMNS))
def test_templates_have_every_column_and_import_cleanly(table, tmp_path, open_db):
    content = template_csv(table)
    header = content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(db.TABLE_COLUMNS[table])
    path = tmp_path / f"{table}_template.csv"
    path.write_bytes(content)
    con = open_db()
    if table != "transactions":
        datasets.store_frame(con, "templates", "transactions", custlib_rows())
    report = custio.import_file(con, path, dataset="templates", table=table, strict=True)
    assert report.rows_loaded == 2 and not report.problems


def custlib_rows():
    import pandas as pd
    return pd.DataFrame({"customer_id": ["C0001"], "order_date": pd.to_datetime(["2024-03-05"]),
                         "amount": [1.0]})


def test_template_download_buttons(start_app):
    at = start_app(page=DATA_PAGE)
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Transactions template", "Customers template",
                                                "Interactions template"]


def test_an_excel_customers_file_goes_into_the_active_dataset(seed, start_app, open_db):
    import io

    import pandas as pd
    seed("shop", "transactions", [{"customer_id": "C1", "order_date": "2024-01-05", "amount": 5.0}])
    buffer = io.BytesIO()
    pd.DataFrame({"客户编号": ["C1", "C2"], "姓名": ["张三", "李四"], "地区": ["上海", "北京"]}).to_excel(buffer, index=False)
    at = start_app(page=DATA_PAGE)
    at.selectbox(key="data_table").set_value("customers").run()
    upload(at, "客户.xlsx", buffer.getvalue(),
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert at.radio(key="data_target").value == "existing"         # customers join an existing dataset
    assert at.selectbox(key="data_existing").value == "shop"
    assert at.selectbox(key="data_map_name").value == "姓名"
    at.button(key="data_import").click().run()
    assert "Imported 2 of 2 rows from 客户.xlsx into Customers of dataset “shop”." == at.success[0].value
    rows = db.query_df(open_db(), "select customer_id, name, region from customers order by customer_id")
    assert rows.values.tolist() == [["C1", "张三", "上海"], ["C2", "李四", "北京"]]
    assert {m.label: m.value for m in at.metric}["Customers without a record"] == "0"


def test_a_new_dataset_cannot_take_an_existing_name(seed, start_app, open_db):
    seed("sales", "transactions", [{"customer_id": "c9", "order_date": "2023-01-01", "amount": 7.0}])
    at = start_app(page=DATA_PAGE)
    upload(at, "sales.csv", SALES)                     # the new name defaults to "sales", which is taken
    assert at.button(key="data_import").disabled
    assert "A dataset named “sales” already exists" in at.warning[0].value
    at.text_input(key="data_new_name").input("sales 2024").run()
    at.button(key="data_import").click().run()
    assert "into Transactions of dataset “sales 2024”" in at.success[0].value
    assert "“sales 2024” is not the dataset you are looking at" in at.info[0].value
    assert db.query_df(open_db(), "select count(*) from transactions").iloc[0, 0] == 1 + 3


def waiting_copies(studio_db) -> list:
    return sorted((studio_db.parent / "incoming").glob("*/*"))


def test_an_upload_waits_beside_the_database_and_goes_when_replaced_or_cleared(start_app, studio_db):
    """The browser's file (names, phones) is written once, beside the database, never to the shared
    temporary folder; replacing or clearing the upload removes the copy."""
    at = start_app(page=DATA_PAGE)
    upload(at, "sales.csv", SALES)
    first = waiting_copies(studio_db)
    assert len(first) == 1 and first[0].read_bytes() == SALES and first[0].suffix == ".csv"
    at.button(key="data_import").click().run()
    assert not at.exception and waiting_copies(studio_db) == first   # still shown: kept while the page holds it
    upload(at, "more.csv", SALES.replace(b"c2", b"c9"))
    second = waiting_copies(studio_db)
    assert len(second) == 1 and second != first and not first[0].parent.exists()
    at.file_uploader(key="data_upload").clear().run()
    assert not at.exception
    assert waiting_copies(studio_db) == []


def test_a_chinese_analyst_reads_the_findings_in_chinese(start_app):
    """custlib says each finding as a code; the Data page words it in the page's language (issue 15, item 6)."""
    content = "客户编号,下单日期,实付金额\n张三,2024-01-05,100\n李四,2024-01-06,一百\n".encode("gbk")
    at = start_app(page=DATA_PAGE, language="zh")
    upload(at, "销售.csv", content)
    at.button(key="data_import").click().run()
    assert not at.exception
    words = " ".join(map(str, table_with(at, "说明")["说明"]))
    assert "不是金额" in words and "is not an amount" not in words
