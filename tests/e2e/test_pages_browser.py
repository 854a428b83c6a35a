"""The analysis pages in a real browser on the demo company (its own server, ``demo_url``): every page in
English and Chinese, a filter that goes into the URL, and a shared link that opens the same view.
Screenshots go to test-output/screenshots/.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

LOAD = 60_000  # ms: a page's first run fits the models on 20,000 customers
# (nav title in English, in Chinese, screenshot name, charts on the page when it is fully drawn)
PAGES = [("Overview", "概览", "overview", 3), ("Segments", "客户分群", "segments", 2),
         ("Retention & lifecycle", "留存与生命周期", "retention", 6), ("Customer value", "客户价值", "customer_value", 3)]


def nav(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()


def drawn(page: Page, charts: int) -> None:
    """Wait until the page's charts are there and nothing is running any more."""
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(charts, timeout=LOAD)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LOAD)
    expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=LOAD)
    page.wait_for_timeout(700)  # plotly draws after the element appears


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_every_page_in_english_and_chinese(page: Page, demo_url, screenshots):
    page.set_viewport_size({"width": 1440, "height": 3000})
    page.goto(demo_url)
    expect(page.get_by_text("What the data say")).to_be_visible(timeout=LOAD)
    for english, _, name, charts in PAGES:
        nav(page, english)
        drawn(page, charts)
        page.screenshot(path=screenshots / f"page_{name}_en.png")
    choose(page, "Language", "简体中文")
    for _, chinese, name, charts in PAGES:
        nav(page, chinese)
        expect(page.get_by_role("heading", name=chinese, exact=True)).to_be_visible(timeout=LOAD)
        drawn(page, charts)
        page.screenshot(path=screenshots / f"page_{name}_zh.png")
    choose(page, "语言", "English")


def test_a_filter_goes_into_the_url_and_the_link_opens_the_same_view(page: Page, demo_url, screenshots):
    page.set_viewport_size({"width": 1440, "height": 2200})
    page.goto(demo_url + "/segments")
    drawn(page, 2)
    caption = page.get_by_text(re.compile(r"^Dataset “demo”, as of 2026-09-30\. 20,000 customers\."))
    expect(caption).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Filters", exact=True).click()
    box = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Company size").get_by_role("combobox")
    expect(box).to_be_visible()
    page.wait_for_timeout(400)  # the expander's opening animation
    box.click()
    expect(page.get_by_role("option", name="1000+").first).to_be_visible()
    page.get_by_role("option", name="1000+").first.click(force=True)  # the list animates in
    page.keyboard.press("Escape")
    expect(page.get_by_text("Filters: Company size: 1000+.")).to_be_visible(timeout=LOAD)
    drawn(page, 2)
    expect(page).to_have_url(re.compile(r"company_size=1000%2B"))
    link = page.url
    page.screenshot(path=screenshots / "segments_filtered_en.png")

    other = page.context.new_page()
    other.set_viewport_size({"width": 1440, "height": 2200})
    other.goto(link)
    expect(other.get_by_text("Filters: Company size: 1000+.")).to_be_visible(timeout=LOAD)
    expect(other.get_by_role("heading", name="Segments", exact=True)).to_be_visible()
    other.close()
