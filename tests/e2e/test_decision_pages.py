"""The decision pages in a real browser, on a server of their own holding the demo company (2,500 customers):
Simulator, Capacity, At-risk customers and Customer profile render with their charts, a widget changes what
they show, the at-risk CSV downloads, and both languages are screenshotted to test-output/screenshots/."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect


pytestmark = pytest.mark.e2e
APP_DIR = Path(__file__).resolve().parents[2]
LOAD = 60_000  # ms: the first run of a page fits the models


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_charts(page: Page, count: int) -> None:
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(count, timeout=LOAD)
    expect(page.get_by_test_id("stPlotlyChart").last.locator(".main-svg").first).to_be_visible(timeout=LOAD)
    page.wait_for_timeout(800)  # let plotly finish drawing before the screenshot


def metric(page: Page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").filter(has_text=label))
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def open_page(page: Page, url: str, path: str) -> None:
    """Open a page by its address. The root is visited first: until app.py has run once on a fresh server,
    Streamlit serves /<page> from pages/ directly, without the entrypoint's shared state."""
    page.goto(url)
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="Promotion vs loyalty")).to_be_visible(
        timeout=LOAD)  # the entrypoint's navigation, not the pages/ folder's
    page.goto(f"{url}/{path}")


def test_simulator_split_moves_the_numbers(page: Page, demo_url, screenshots):
    open_page(page, demo_url, "simulator")
    expect(page.get_by_role("heading", name="Promotion or loyalty?")).to_be_visible(timeout=LOAD)
    wait_for_charts(page, 2)
    before = metric(page, "Quarter revenue")
    page.screenshot(path=screenshots / "simulator_en.png")
    slider = page.get_by_test_id("stSlider").filter(has_text="Share to promotions").get_by_role("slider")
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")  # 50% -> 80% in steps of 5
    expect(slider).to_have_value("80", timeout=LOAD)
    expect(page.get_by_test_id("stMetric").first.get_by_test_id("stMetricValue")).not_to_have_text(before,
                                                                                                 timeout=LOAD)


def test_capacity_page(page: Page, demo_url, screenshots):
    open_page(page, demo_url, "capacity")
    expect(page.get_by_role("heading", name="Retention capacity")).to_be_visible(timeout=LOAD)
    wait_for_charts(page, 1)
    page.get_by_text("Compare churn, satisfaction and CLV before and after a change").click()
    wait_for_charts(page, 2)
    assert metric(page, "Account managers") == "30"
    page.screenshot(path=screenshots / "capacity_en.png")


def test_at_risk_page_and_download(page: Page, demo_url, screenshots, tmp_path):
    open_page(page, demo_url, "at_risk")
    expect(page.get_by_role("heading", name="At-risk customers")).to_be_visible(timeout=LOAD)
    wait_for_charts(page, 1)
    expect(page.get_by_text("it beats the baseline")).to_be_visible()
    page.screenshot(path=screenshots / "at_risk_en.png")
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Customer,Tier,Stage,Account manager,Region,Churn probability")
    assert len(text.splitlines()) > 1000


def test_profile_page(page: Page, demo_url, screenshots):
    open_page(page, demo_url, "customer_profile")
    expect(page.get_by_role("heading", name="Customer profile")).to_be_visible(timeout=LOAD)
    wait_for_charts(page, 1)
    page.get_by_label("Search by customer id or name").fill("C0000062")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="C0000062")).to_be_visible(timeout=LOAD)
    wait_for_charts(page, 1)
    page.screenshot(path=screenshots / "customer_profile_en.png")


@pytest.mark.parametrize("path, heading, charts", [
    ("simulator", "促销还是忠诚度？", 2), ("capacity", "客户保有量", 1), ("at_risk", "流失风险客户", 1),
    ("customer_profile", "客户档案", 1)])
def test_chinese(page: Page, demo_url, screenshots, path, heading, charts):
    open_page(page, demo_url, f"{path}?lang=zh")
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=LOAD)
    wait_for_charts(page, charts)
    page.screenshot(path=screenshots / f"{path}_zh.png")
