"""The studio in a real browser: empty state, upload through the file uploader, Overview numbers, Chinese.

Screenshots of every page, in both languages, go to test-output/screenshots/.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

# Feb: 150 + 60 + 90 = 300 (3 orders, 3 active, 1 new: C4).
# Mar: 300 + 250 + 100 - 30 = 620 (3 orders, 3 active, 1 new: C5, returns 30) -> +106.7% on February.
# Apr: one order on 2024-04-18, so April is partial and March is the latest complete month.
SALES_CSV = """customer_id,order_id,order_date,amount,channel
C1,O1,2024-01-03,120,online
C2,O2,2024-01-10,80,store
C3,O3,2024-01-22,200,online
C1,O4,2024-02-05,150,online
C4,O5,2024-02-14,60,store
C2,O6,2024-02-20,90,store
C1,O7,2024-03-02,300,online
C3,O8,2024-03-09,250,online
C5,O9,2024-03-15,100,store
C2,O2,2024-03-18,-30,store
C4,O10,2024-04-18,75,online
"""
LOAD = 30_000  # ms: the first run of a page, including Python imports


def metric_values(page: Page) -> dict[str, str]:
    labels = page.get_by_test_id("stMetricLabel").all_inner_texts()
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    return dict(zip((label.strip() for label in labels), (value.strip() for value in values)))


def nav(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option).click()


def test_empty_upload_overview_and_chinese(page: Page, app_url, screenshots, tmp_path):
    page.goto(app_url)
    expect(page.get_by_role("button", name="Load demo data")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text("There is no data yet")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the Data page to upload a file")).to_be_visible()
    page.screenshot(path=screenshots / "overview_empty_en.png")

    nav(page, "Data")
    expect(page).to_have_url(re.compile(re.escape(app_url + "/data") + r"(\?.*)?$"))  # the view's settings follow
    sales = tmp_path / "sales.csv"
    sales.write_text(SALES_CSV, encoding="utf-8")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(sales)
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_enabled(timeout=LOAD)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    page.screenshot(path=screenshots / "data_mapping_en.png")
    import_button.click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "Imported 11 of 11 rows from sales.csv into Transactions of dataset “sales”.", timeout=LOAD)
    expect(page.get_by_text("Data quality of “sales”")).to_be_visible()
    page.screenshot(path=screenshots / "data_imported_en.png")

    nav(page, "Overview")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=LOAD)
    headline = {"Revenue": "¥620", "Orders": "3", "Active customers": "3", "New customers": "1", "Returns": "¥30",
                "Retention": "33.3%"}  # of February's C1, C2, C4 only C1 bought again in March
    assert {label: metric_values(page)[label] for label in headline} == headline
    expect(page.get_by_text("as of 2024-04-18").first).to_be_visible()
    expect(page.get_by_test_id("stMetricDelta").first).to_contain_text("106.7%")
    page.screenshot(path=screenshots / "overview_en.png")

    choose(page, "Language", "简体中文")
    expect(page.get_by_role("heading", name="概览")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text("月度收入与活跃客户")).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stMetricLabel").first).to_have_text("收入")
    assert metric_values(page)["收入"] == "¥620"
    page.screenshot(path=screenshots / "overview_zh.png")

    nav(page, "数据")
    expect(page.get_by_role("heading", name="“sales”的数据质量")).to_be_visible(timeout=LOAD)
    page.screenshot(path=screenshots / "data_zh.png")


def test_a_rejected_file_shows_where_and_why(page: Page, app_url, screenshots, tmp_path):
    page.goto(app_url + "/data")
    bad = tmp_path / "bad amounts.csv"
    bad.write_text("customer_id,order_id,order_date,amount\nC1,O1,2024-01-05,10.50\nC2,O2,2024-01-06,ten\n",
                   encoding="utf-8")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(bad)
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_enabled(timeout=LOAD)
    page.get_by_text("Strict: reject the file on any error").click()
    import_button.click()
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("bad amounts.csv, row 3, column 'amount': 'ten'", timeout=LOAD)
    expect(error).to_contain_text("the database is unchanged")
    expect(page.get_by_text("Problems found")).to_be_visible()
    page.screenshot(path=screenshots / "data_rejected_en.png")


def test_a_shared_link_opens_its_page_inside_the_app_on_a_fresh_server(page: Page, fresh_url):
    # Streamlit would serve pages/segments.py on its own until app.py has run once (no sidebar, no
    # settings); ui.entry routes the first request through app.py with the link's query string.
    page.goto(fresh_url + "/segments?lang=zh")
    expect(page.locator("h1").first).to_have_text("客户分群", timeout=30_000)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_contain_text("概览")
    expect(nav).not_to_contain_text("app")
    expect(page).to_have_url(re.compile(r"/segments\?.*lang=zh"))
