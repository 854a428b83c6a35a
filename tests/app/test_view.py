"""The shared view settings: as-of date, filters, language, and the URL that shares them."""
from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest

from custlib.filters import CustomerFilter

APP = "../../app.py"
DEMO_CUSTOMERS = 2_500



def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_as_of_defaults_to_the_last_order_date_and_moves_every_number(demo, start_app):
    at = start_app()
    assert at.date_input(key="sidebar_as_of").value == date(2026, 9, 30)
    assert "as of 2026-09-30" in at.caption[0].value
    assert "Sep 2026 compared with Aug 2026" in at.caption[1].value
    revenue = metric(at, "Revenue")
    at.date_input(key="sidebar_as_of").set_value(date(2025, 6, 30)).run()
    assert not at.exception
    assert "as of 2025-06-30" in at.caption[0].value
    assert "Jun 2025 compared with May 2025" in at.caption[1].value
    assert metric(at, "Revenue") != revenue


def test_filters_select_customers(demo, start_app):
    # AppTest keeps the entrypoint's sidebar widgets only in the first run's tree: set both, then run once.
    at = start_app()
    assert f"{DEMO_CUSTOMERS:,} customers" in at.caption[0].value
    active = int(metric(at, "Active customers").replace(",", ""))
    at.multiselect(key="sidebar_filter_channel").set_value(["store"])
    at.multiselect(key="sidebar_filter_region").set_value(["East China", "North China"]).run()
    assert not at.exception
    caption = at.caption[0].value
    assert "Filters: Region: East China, North China; Channel: store." in caption
    selected = int(caption.split(". ")[-1].split(" customers")[0].replace(",", ""))
    assert 0 < selected < DEMO_CUSTOMERS / 2
    assert int(metric(at, "Active customers").replace(",", "")) < active
    at.session_state["app_filters"] = CustomerFilter()      # what "Clear filters" does
    at.run()
    assert int(metric(at, "Active customers").replace(",", "")) == active


def test_a_shared_link_opens_the_same_view_and_the_url_follows_the_settings(demo):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": "zh", "as_of": "2025-12-31", "company_size": ["1000+", "1-10"],
                            "margin": "0.5", "nonsense": "x"})
    at.run()
    assert not at.exception
    assert at.title[0].value == "概览"
    caption = at.caption[0].value
    assert "截至 2025-12-31" in caption and "公司规模：1-10、1000+" in caption
    assert "毛利率 50%" in at.caption[2].value
    assert at.query_params == {"lang": "zh", "dataset": "demo", "as_of": "2025-12-31",        # defaults left out
                               "company_size": ["1-10", "1000+"], "margin": "0.5"}


def test_the_language_switch_changes_every_page_title(demo, start_app):
    titles = {}
    for language in ("en", "zh"):
        at = start_app(language=language)
        for page in ("pages/segments.py", "pages/retention.py", "pages/customer_value.py"):
            at.switch_page(page).run()
            assert not at.exception
            titles[(language, page)] = at.title[0].value
    assert titles[("en", "pages/segments.py")] == "Segments" and titles[("zh", "pages/segments.py")] == "客户分群"
    assert titles[("zh", "pages/retention.py")] == "留存与生命周期"
    assert titles[("zh", "pages/customer_value.py")] == "客户价值"
