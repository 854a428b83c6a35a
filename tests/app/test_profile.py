"""Customer profile page on the demo company (2,500 customers): search by id or name selects the customer,
and the page shows their orders, interactions, scores, stage history and next step; Chinese."""
from __future__ import annotations

import json

import pytest

from custlib import db, demo

from tests.app.helpers import metrics

PAGE = "pages/customer_profile.py"


@pytest.fixture
def demo_db(studio_db):
    con = db.connect(studio_db)
    try:
        data = demo.load_demo(con, "demo", n_customers=2_500, seed=7)
    finally:
        con.close()
    return data



def test_opens_on_the_most_valuable_customer(demo_db, start_app):
    at = start_app(PAGE)
    assert at.title[0].value == "Customer profile"
    first = at.selectbox(key="profile_customer").value
    assert at.subheader[0].value.endswith(first)
    assert set(metrics(at)) >= {"RFM segment", "Value tier", "Lifecycle stage", "P(still active)", "CLV",
                                "Churn risk"}
    assert metrics(at)["Value tier"] == "Core"
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "Orders and returns over time"


def test_search_by_id_and_by_name_selects_another_customer(demo_db, start_app):
    at = start_app(PAGE)
    first = at.selectbox(key="profile_customer").value
    customers = demo_db.customers.set_index("customer_id")
    other = next(c for c in ("C0000062", "C0001532") if c != first)
    at.text_input(key="profile_search").input(other).run()
    assert not at.exception
    assert at.selectbox(key="profile_customer").value == other
    assert at.subheader[0].value == f"{customers.loc[other, 'name']} · {other}"
    before = metrics(at)

    third = customers.index[2_000]
    name = customers.loc[third, "name"]
    at.text_input(key="profile_search").input(name).run()
    chosen = at.selectbox(key="profile_customer").value
    assert name in at.selectbox(key="profile_customer").format_func(chosen)
    assert metrics(at) != before


def test_a_search_without_match_says_so(demo_db, start_app):
    at = start_app(PAGE)
    at.text_input(key="profile_search").input("no such customer").run()
    assert at.warning[0].value == "No customer id or name contains “no such customer”."


def test_stage_history_and_interactions(demo_db, start_app):
    at = start_app(PAGE)
    at.text_input(key="profile_search").input("C0000062").run()
    assert not [f for f in at.dataframe if "Lifecycle stage" in f.value.columns]  # computed only when asked
    at.toggle(key="profile_stage_show").set_value(True).run()
    history = next(f.value for f in at.dataframe if "Lifecycle stage" in f.value.columns)
    assert history["As of"].tolist()[-1] == "2026-09-30"
    assert history["As of"].is_monotonic_increasing
    interactions = next(f.value for f in at.dataframe if "Kind" in f.value.columns)
    assert interactions["When"].is_monotonic_decreasing  # newest first
    assert "Win back" in at.info[0].value  # core, 82% churn probability on this data


def test_chinese(demo_db, start_app):
    at = start_app(PAGE, language="zh")
    assert at.title[0].value == "客户档案"
    assert "生命周期阶段" in metrics(at)
