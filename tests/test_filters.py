"""custlib.filters and the page marts that take a customer list: who matches, and agreement with custlib.

With no filter, mart_period_activity must equal kpis.activity_kpis of each period and
the cohort mart restricted to a customer list counts only them: the pages' numbers are custlib's numbers.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from custlib import datasets, db, demo, export, filters, kpis, retention
from custlib.filters import CustomerFilter

AS_OF = date(2026, 9, 30)
# Tiny shop (hand-checked): c1 buys online in East (customers table) and returns; c2 buys in store and online
# in North (no customers row: region from its transactions); c3 only returns (no cohort, not listed).
LINES = [
    {"customer_id": "c1", "order_id": "o1", "order_date": "2024-01-05", "amount": 100.0, "channel": "online",
     "region": "South"},
    {"customer_id": "c1", "order_id": "o1", "order_date": "2024-02-01", "amount": -20.0, "channel": "store",
     "region": "South"},
    {"customer_id": "c2", "order_id": "o2", "order_date": "2024-04-02", "amount": 50.0, "channel": "store",
     "region": "North"},
    {"customer_id": "c2", "order_id": "o3", "order_date": "2024-05-02", "amount": 70.0, "channel": "online",
     "region": "North"},
    {"customer_id": "c3", "order_id": "o4", "order_date": "2024-05-03", "amount": -5.0, "channel": "online",
     "region": "North"},
]


@pytest.fixture
def shop(con):
    frame = pd.DataFrame(LINES).assign(order_date=lambda f: pd.to_datetime(f["order_date"]))
    datasets.store_frame(con, "shop", "transactions", frame)
    datasets.store_frame(con, "shop", "customers", pd.DataFrame([{"customer_id": "c1", "region": "East",
                                                            "industry": "Retail", "company_size": "1-10"}]))
    return datasets.get_dataset(con, "shop").dataset_id


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    demo.load_demo(con, "demo", n_customers=2_000, seed=11)
    yield con, datasets.get_dataset(con, "demo").dataset_id
    con.close()


def test_attributes_follow_the_documented_rules(con, shop):
    attributes = filters.customer_attributes(con, shop, date(2024, 6, 30)).set_index("customer_id")
    assert list(attributes.index) == ["c1", "c2"]                       # c3 has only a return
    assert attributes.loc["c1", "region"] == "East"                     # the customers table wins
    assert attributes.loc["c2", "region"] == "North"                    # else the transactions' region
    assert list(attributes.loc["c1", "channels"]) == ["online"]         # a return in store is not a purchase
    assert list(attributes.loc["c2", "channels"]) == ["online", "store"]
    assert attributes["cohort"].tolist() == ["2024-Q1", "2024-Q2"]
    assert filters.customer_attributes(con, shop, date(2024, 3, 1))["customer_id"].tolist() == ["c1"]


def test_matching_is_or_within_a_filter_and_and_across_filters(con, shop):
    attributes = filters.customer_attributes(con, shop, date(2024, 6, 30))
    assert filters.matching_customers(attributes, CustomerFilter()) is None
    assert filters.matching_customers(attributes, CustomerFilter(channel=("store",))).tolist() == ["c2"]
    assert filters.matching_customers(attributes, CustomerFilter(region=("East", "North"))).tolist() == ["c1", "c2"]
    both = CustomerFilter(region=("East", "North"), channel=("store",))
    assert filters.matching_customers(attributes, both).tolist() == ["c2"]
    assert filters.matching_customers(attributes, CustomerFilter(industry=("Retail",), cohort=("2024-Q2",))).size == 0
    assert filters.filter_options(attributes)["channel"] == ["online", "store"]


def test_a_filter_is_hashable_sorted_and_forgets_values_no_longer_offered():
    chosen = CustomerFilter(region=["b", "a", "a"], channel="online")
    assert chosen.region == ("a", "b") and chosen.channel == ("online",)
    assert hash(chosen) == hash(CustomerFilter(region=("a", "b"), channel=("online",)))
    assert chosen.active() == {"region": ("a", "b"), "channel": ("online",)}
    assert chosen.restricted_to({"region": ["a"], "channel": []}) == CustomerFilter(region=("a",))


@pytest.mark.parametrize("cell, safe", [("=SUM(A1:A2)", "'=SUM(A1:A2)"), ("+86 10 1234", "'+86 10 1234"),
                                        ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\t=1", "'\t=1"),
                                        ("Zhang San", "Zhang San"), ("张三", "张三"), (-5.0, -5.0), (None, None)])
def test_cells_a_spreadsheet_would_run_are_neutralised(cell, safe):
    assert export.neutralise_cell(cell) == safe


def test_campaign_csv_is_utf8_with_bom_and_safe():
    frame = pd.DataFrame({"customer_id": ["c1", "c2"], "name": ["=HYPERLINK(\"x\")", "李四"], "clv": [-1.5, 2.0]})
    text = export.csv_bytes(frame).decode("utf-8")
    assert text.startswith("\ufeffcustomer_id,name,clv\n")
    assert "'=HYPERLINK" in text and "李四" in text and "c1,\"'=HYPERLINK(\"\"x\"\")\",-1.5" in text


def test_period_activity_without_a_filter_equals_custlib_kpis(demo_db):
    con, dataset_id = demo_db
    monthly = db.query(con, "mart_period_activity", dataset_id=dataset_id, as_of=AS_OF, grain="month",
                       customer_ids=None).set_index("period_start")
    for label in ("2026-08", "2025-12"):
        period = kpis.parse_period(label)
        expected = kpis.activity_kpis(con, dataset_id, period)
        row = monthly.loc[pd.Timestamp(period.start)]
        for column in ("revenue_amount", "gross_sales_amount", "returns_amount", "orders", "active_customers",
                       "new_customers", "previous_active_customers", "retained_customers", "retention_rate",
                       "customers_to_date", "repeat_customers_to_date", "repeat_purchase_rate"):
            assert row[column] == pytest.approx(expected[column]), (label, column)


def test_a_customer_list_restricts_the_page_marts(demo_db):
    con, dataset_id = demo_db
    attributes = filters.customer_attributes(con, dataset_id, AS_OF)
    chosen = filters.matching_customers(attributes, CustomerFilter(cohort=("2024-Q1",))).tolist()
    cohorts = retention.cohort_retention(con, dataset_id, AS_OF, "quarter", customer_ids=chosen)
    assert cohorts["cohort_start"].unique().tolist() == [pd.Timestamp("2024-01-01")]
    assert cohorts["cohort_customers"].iloc[0] == len(chosen)
    activity = db.query(con, "mart_period_activity", dataset_id=dataset_id, as_of=AS_OF, grain="year",
                        customer_ids=chosen).set_index("period_start")
    assert activity.loc[pd.Timestamp("2024-01-01"), "new_customers"] == len(chosen)
    everyone = db.query(con, "mart_period_activity", dataset_id=dataset_id, as_of=AS_OF, grain="year",
                        customer_ids=None).set_index("period_start")
    assert (activity["revenue_amount"] < everyone.loc[activity.index, "revenue_amount"]).all()
