"""Capacity page on the demo company (2,500 customers): saving a quota changes the over/under view and is
kept with its history; at-risk customers and the reassignment plan; the before/after evaluation; Chinese."""
from __future__ import annotations

import json


from custlib import capacity, datasets

from tests.app.helpers import metrics, table

PAGE = "pages/capacity.py"





def test_saving_a_quota_changes_the_over_under_view(demo_db, start_app, open_db):
    at = start_app(PAGE)
    assert at.title[0].value == "Retention capacity"
    holdings = table(at, "Quota")
    core = holdings[holdings["Tier"] == "Core"]
    # Until settings are saved, the quota is suggested from the data: the average core book + 10%.
    default = at.number_input(key="cap_core_max_customers_per_manager").value
    assert (core["Quota"] == default).all() and default < 40
    assert (core["Customers"].sum() / len(core)) * 1.1 <= default
    assert int(metrics(at)["Manager-tiers over quota"]) < len(holdings)
    assert "No change saved yet" in at.caption[2].value

    at.number_input(key="cap_core_max_customers_per_manager").set_value(10)
    at.text_input(key="cap_note").input("tighter core quota")
    at.button(key="cap_save").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Saved: 1 value(s) changed")
    holdings = table(at, "Quota")
    core = holdings[holdings["Tier"] == "Core"]
    assert (core["Quota"] == 10).all()
    over = core[core["Status"] == "Over quota"]
    assert len(over) == (core["Customers"] > 10).sum() > 0
    every_over = holdings[holdings["Status"] == "Over quota"]  # the other tiers keep their suggested quotas
    assert metrics(at)["Manager-tiers over quota"] == str(len(every_over))
    assert metrics(at)["Customers above quota"] == f"{int((every_over['Customers'] - every_over['Quota']).sum()):,}"
    history = table(at, "Setting")
    assert history[["Tier", "Setting", "Before", "After", "Note"]].values.tolist() == [
        ["Core", "Max customers per manager", f"{default:.1f}", "10.0", "tighter core quota"]]
    con = open_db()
    stored = capacity.get_settings(con, datasets.get_dataset(con, "demo").dataset_id).set_index("tier")
    assert stored.loc["core", "max_customers_per_manager"] == 10


def test_over_quota_owners_put_their_at_risk_customers_in_the_plan(demo_db, start_app):
    at = start_app(PAGE)
    before = len(table(at, "Why listed"))
    at.number_input(key="cap_core_max_customers_per_manager").set_value(5)
    at.button(key="cap_save").click().run()
    at_risk = table(at, "Why listed")
    assert len(at_risk) > before
    assert set(at_risk["Why listed"]) == {"No account manager", "Manager over quota"}
    assert at_risk["Value at risk (¥)"].is_monotonic_decreasing
    plan = table(at, "Decision")
    assert set(plan["Decision"]) <= {"Move", "Assign", "Stays: manager now within quota", "No manager has room"}


def test_the_risk_threshold_narrows_the_list(demo_db, start_app):
    at = start_app(PAGE)
    wide = len(table(at, "Why listed"))
    at.slider(key="cap_risk_threshold").set_value(70).run()
    narrow = table(at, "Why listed")
    assert len(narrow) < wide
    assert (narrow["Churn risk"] >= 0.7).all()


def test_before_after_evaluation_per_tier(demo_db, start_app):
    at = start_app(PAGE)
    assert len(at.get("plotly_chart")) == 1  # the evaluation is computed only when asked for
    at.toggle(key="cap_eval_show").set_value(True).run()
    evaluation = table(at, "Churn before")
    assert evaluation["Tier"].tolist() == ["Core", "Potential", "Low value"]
    assert evaluation["Churn before"].between(0, 1).all()
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert titles == ["Customers per account manager and tier, against the quota",
                      "Churn rate per tier before and after the change"]


def test_chinese(demo_db, start_app):
    at = start_app(PAGE, language="zh")
    assert at.title[0].value == "客户保有量"
    assert "超配额的经理×层级" in metrics(at)
    assert set(table(at, "配额")["层级"]) == {"核心", "潜力", "低价值"}
