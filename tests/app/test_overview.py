"""Overview page and its mart: hand-computed numbers on a tiny shop, empty state, widgets that change the page."""
from __future__ import annotations

import base64
import json
import re

from datetime import date

import numpy as np

from custlib import audit, datasets, db, kpis
from ui.format import money

# Dataset "shop" (hand-computed below). Last order 2024-03-10, so March is partial and
# February is the latest complete month.
#   Jan: c1 order o1 in two lines (100 + 20), c2 order o2 (50)        -> revenue 170, orders 2, active 2, new 2
#   Feb: c1 o3 (200), c3 two identical lines without order id (80 each) = two orders,
#        c2 returns 30 of o2                                           -> revenue 330, orders 3, active 2 (c1, c3),
#                                                                         new 1 (c3), returns 30
#   Mar: c4 o5 (500) on 2024-03-10                                     -> partial month
SHOP = [
    {"customer_id": "c1", "order_id": "o1", "order_date": "2024-01-05", "amount": 100.0},
    {"customer_id": "c1", "order_id": "o1", "order_date": "2024-01-05", "amount": 20.0},
    {"customer_id": "c2", "order_id": "o2", "order_date": "2024-01-20", "amount": 50.0},
    {"customer_id": "c1", "order_id": "o3", "order_date": "2024-02-02", "amount": 200.0},
    {"customer_id": "c3", "order_id": None, "order_date": "2024-02-14", "amount": 80.0},
    {"customer_id": "c3", "order_id": None, "order_date": "2024-02-14", "amount": 80.0},
    {"customer_id": "c2", "order_id": "o2", "order_date": "2024-02-20", "amount": -30.0},
    {"customer_id": "c4", "order_id": "o5", "order_date": "2024-03-10", "amount": 500.0},
]
# Dataset "other": May 1000, June 250; the last order is on 2024-06-30, so June is complete.
OTHER = [
    {"customer_id": "c9", "order_id": "o9", "order_date": "2023-05-10", "amount": 1000.0},
    {"customer_id": "c9", "order_id": "o10", "order_date": "2023-06-30", "amount": 250.0},
]


def values(array) -> list:
    """Plotly 7 sends arrays as base64 typed arrays ({"dtype", "bdata"}); plain lists pass through."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def metrics(at) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.proto.delta or None) for m in at.metric}


def chart_spec(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def monthly_activity(con, name):
    dataset_id = datasets.get_dataset(con, name).dataset_id
    return db.query(con, "mart_period_activity", dataset_id=dataset_id, as_of=db.last_order_date(con, dataset_id),
                    grain="month", customer_ids=None)


def test_period_activity_follows_its_definitions_and_hand_computed_numbers(seed, open_db):
    seed("shop", "transactions", SHOP)
    con = open_db()
    monthly = monthly_activity(con, "shop")
    header = db.sql_text("mart_period_activity").split("with params as", 1)[0]
    assert all(re.search(rf"--\s+{column}\s", header) for column in
               ("revenue_amount", "orders", "active_customers", "new_customers", "is_complete"))
    assert monthly["period_start"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]
    assert monthly["revenue_amount"].tolist() == [170.0, 330.0, 500.0]
    assert monthly["orders"].tolist() == [2, 3, 1]
    assert monthly["active_customers"].tolist() == [2, 2, 1]
    assert monthly["new_customers"].tolist() == [2, 1, 1]
    assert monthly["returns_amount"].tolist() == [0.0, 30.0, 0.0]
    assert monthly["is_complete"].tolist() == [True, True, False]


def test_period_activity_fills_months_without_orders_with_zeros(seed, open_db):
    seed("gap", "transactions", [OTHER[0], {**OTHER[1], "order_date": "2023-07-31"}])
    con = open_db()
    monthly = monthly_activity(con, "gap")
    assert monthly["revenue_amount"].tolist() == [1000.0, 0.0, 250.0]
    assert monthly["active_customers"].tolist() == [1, 0, 1]
    assert monthly["is_complete"].all()


def test_empty_state_offers_demo_data_and_the_data_page(start_app):
    at = start_app()
    assert at.title[0].value == "Overview"
    assert "There is no data yet" in at.info[0].value
    assert at.button(key="overview_load_demo").label == "Load demo data"
    links = at.get("page_link")
    assert [link.proto.label for link in links] == ["Go to the Data page to upload a file"]
    assert links[0].proto.page.endswith("data")
    assert not at.metric


def test_load_demo_button_loads_the_demo_dataset(start_app, open_db):
    # The real generator: 20,000 customers over three years ending 2026-09-30 (about a second).
    at = start_app()
    at.button(key="overview_load_demo").click().run()
    assert not at.exception
    con = open_db()
    dataset = datasets.get_dataset(con)
    assert dataset.name == "demo"
    counts = db.query_df(con, "select count(distinct customer_id) as n, max(order_date) as last "
                              "from transactions where dataset_id = ?", [dataset.dataset_id])
    assert counts["n"][0] > 15_000 and str(counts["last"][0])[:10] == "2026-09-30"
    revenue, _ = metrics(at)["Revenue"]
    assert revenue.startswith("¥") and revenue != "¥0"


def test_headline_numbers_are_the_latest_complete_month_against_the_one_before(seed, start_app):
    seed("shop", "transactions", SHOP)
    at = start_app()
    assert metrics(at) == {
        "Revenue": ("¥330", "+94.1%"),          # 330 vs 170
        "Orders": ("3", "+50.0%"),              # 3 vs 2
        "Active customers": ("2", "+0.0%"),     # 2 vs 2
        "New customers": ("1", "-50.0%"),       # 1 vs 2
        "Returns": ("¥30", None),               # 30 vs 0: no relative change
        "Retention": ("50.0%", None),           # c1 of Jan's c1, c2 bought again; January has no month before
        "NPS": ("–", None),                     # no survey answers
        # One repeat buyer among four customers: too few for a purchase model (clv.MIN_REPEAT_BUYERS_TO_FIT),
        # so the model's cards say "no number" instead of whatever an optimiser stops at on a flat likelihood.
        "Customer equity": ("–", None),
        "Revenue at risk": ("–", None),
    }
    assert at.caption[0].value == "Dataset “shop”, as of 2024-03-10. 4 customers."
    period = at.caption[1].value
    assert "Feb 2024 compared with Jan 2024" in period
    assert any(c.value.startswith("Customer value is not available: the models could not be fitted on the data "
                                  "up to 2024-03-10") for c in at.caption)
    spec = chart_spec(at)
    assert spec["layout"]["title"]["text"] == "Monthly revenue and active customers"
    assert spec["layout"]["yaxis"]["title"]["text"] == "Revenue (¥)"
    assert spec["layout"]["yaxis2"]["title"]["text"] == "Active customers (count)"
    bars = {trace["name"]: values(trace["y"]) for trace in spec["data"] if trace["type"] == "bar"}
    assert bars == {"Revenue": [170.0, 330.0], "Revenue, month to date": [500.0]}


def test_equity_and_revenue_at_risk_cards_are_the_fitted_models_kpis(demo, start_app, open_db):
    """On data with an interior maximum (the 2,500-customer demo) the value cards show the numbers the
    `custlib kpis` command computes for the same dataset, date and default settings."""
    at = start_app()
    con = open_db()
    dataset = datasets.get_dataset(con)
    expected = kpis.value_kpis(con, dataset.dataset_id, date(2026, 9, 30))
    assert expected["customer_equity"] > 0 and expected["revenue_at_risk"] > 0
    shown = metrics(at)
    assert shown["Customer equity"] == (money(expected["customer_equity"], symbol="¥", compact=True), None)
    assert shown["Revenue at risk"] == (money(expected["revenue_at_risk"], symbol="¥", compact=True), None)
    note = next(c.value for c in at.caption if c.value.startswith("Retention: share"))
    assert "as of 2026-09-30" in note and "BG/NBD + Gamma-Gamma" in note


def test_no_personal_data_on_the_overview(seed, start_app):
    seed("shop", "transactions", SHOP)
    seed("shop", "customers", [{"customer_id": "c1", "name": "Zhang San", "email": "zs@example.com"}])
    at = start_app()
    shown = " ".join(str(e.value) for e in at.main if hasattr(e, "value") and isinstance(e.value, str))
    assert "Zhang San" not in shown and "zs@example.com" not in shown
    assert "Zhang San" not in at.get("plotly_chart")[0].proto.spec


def test_switching_the_dataset_changes_this_sessions_numbers_and_no_one_elses(seed, start_app, open_db):
    """Issue 14, row 3: an executive's sidebar switch moved every other session, analysts included."""
    seed("shop", "transactions", SHOP)
    seed("other", "transactions", OTHER)
    at, colleague = start_app(), start_app()
    assert metrics(at)["Revenue"] == metrics(colleague)["Revenue"] == ("¥330", "+94.1%")
    at.selectbox(key="sidebar_dataset").set_value("other").run()
    assert not at.exception
    assert metrics(at)["Revenue"] == ("¥250", "-75.0%")   # June 250 vs May 1000
    colleague.run()
    assert metrics(colleague)["Revenue"] == ("¥330", "+94.1%")
    assert datasets.get_dataset(open_db()).name == "shop"       # the default is unchanged
    switched = audit.entries(open_db(), 1)[0]             # a view change, logged (issue 14, row 12)
    assert (switched["action"], switched["dataset_name"]) == ("switch_dataset", "other")
    newcomer = start_app()
    assert metrics(newcomer)["Revenue"] == ("¥330", "+94.1%")


def test_the_currency_setting_changes_amounts_and_axis(seed, start_app):
    seed("shop", "transactions", SHOP)
    at = start_app()
    at.selectbox(key="sidebar_currency").set_value("$").run()
    assert metrics(at)["Revenue"][0] == "$330" and metrics(at)["Returns"][0] == "$30"
    assert chart_spec(at)["layout"]["yaxis"]["title"]["text"] == "Revenue ($)"
    at.run()  # the setting outlives runs in which the sidebar is not drawn
    assert metrics(at)["Revenue"][0] == "$330"


def test_chinese_changes_every_title(seed, start_app):
    seed("shop", "transactions", SHOP)
    at = start_app(language="zh")
    assert at.title[0].value == "概览"
    assert metrics(at)["收入"] == ("¥330", "+94.1%")
    assert "截至 2024-03-10" in at.caption[0].value and "2024年2月" in at.caption[1].value
    assert list(metrics(at)) == ["收入", "订单数", "活跃客户", "新客户", "退货", "留存率", "净推荐值", "客户资产",
                                 "风险收入"]
    spec = chart_spec(at)
    assert spec["layout"]["title"]["text"] == "月度收入与活跃客户"
    assert spec["layout"]["yaxis"]["title"]["text"] == "收入（¥）"
    assert [trace["name"] for trace in spec["data"]] == ["收入", "收入（本月至今）", "活跃客户"]


def test_a_dataset_with_less_than_a_month_shows_the_month_to_date(seed, start_app):
    seed("new", "transactions", [{"customer_id": "c1", "order_id": "o1", "order_date": "2024-05-03",
                                  "amount": 40.0}])
    at = start_app()
    assert metrics(at)["Revenue"] == ("¥40", None)
    assert "No period is complete yet" in at.warning[0].value


def test_a_dataset_without_transactions_points_to_the_data_page(seed, start_app):
    seed("crm", "customers", [{"customer_id": "c1"}])
    at = start_app()
    assert "has no transactions yet" in at.info[0].value
    assert not at.metric
