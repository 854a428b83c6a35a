"""Simulator page on the demo company (2,500 customers): the split moves the numbers, scenarios are saved,
listed and compared, the best split can be taken, targets narrow the plan, Chinese throughout."""
from __future__ import annotations

import json

import pytest

from custlib import datasets, db
from custlib import simulate as sim

from tests.app.helpers import metrics, table

PAGE = "pages/simulator.py"





def test_the_split_slider_changes_the_projected_numbers(demo_db, start_app):
    at = start_app(PAGE)
    assert at.title[0].value == "Promotion or loyalty?"
    before = metrics(at)
    assert set(before) == {"Quarter revenue", "Quarter margin", "12-month value", "NPV", "ROI"}
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert titles == ["Short-term sales against long-term value, by promotion share",
                      "The frontier: each point a promotion share"]
    at.slider(key="sim_promo_share").set_value(90).run()
    assert not at.exception
    after = metrics(at)
    # More promotion buys more sales this quarter (the promotion lever is the short-term one).
    assert after["Quarter revenue"] != before["Quarter revenue"]
    amount = lambda text: float(text.replace("¥", "").replace(",", "").replace("M", "e6"))  # noqa: E731
    assert amount(after["Quarter revenue"]) > amount(before["Quarter revenue"])
    assert after["NPV"] != before["NPV"]


def test_the_allocation_sums_to_the_budget(demo_db, start_app):
    at = start_app(PAGE)
    at.number_input(key="sim_budget").set_value(50_000).run()
    allocation = table(at, "Total (¥)")
    assert allocation["Total (¥)"].sum() == pytest.approx(50_000, abs=0.01)
    assert len(allocation) == 11  # every RFM segment present in the demo data


def test_targets_narrow_the_plan_to_a_tier(demo_db, start_app):
    at = start_app(PAGE)
    at.radio(key="sim_target_by").set_value("tier").run()
    at.multiselect(key="sim_targets_tier").set_value(["core"]).run()
    assert not at.exception
    allocation = table(at, "Total (¥)")
    assert allocation["Group"].tolist() == ["Core"]
    assert allocation["Customers"].iloc[0] == 500  # the top 20% of 2,500


def test_scenarios_are_saved_listed_and_compared(demo_db, start_app, open_db):
    at = start_app(PAGE)
    for name, share in (("Loyalty push", 20), ("Promotion push", 80)):
        at.slider(key="sim_promo_share").set_value(share).run()
        at.text_input(key="sim_scenario_name").input(name).run()
        at.button(key="sim_save").click().run()
        assert at.success[0].value.startswith(f"Saved “{name}”")
    listing = table(at, "Saved at")
    assert listing["Name"].tolist() == ["Promotion push", "Loyalty push"]
    at.multiselect(key="sim_compare").set_value([1, 2]).run()
    compared = table(at, "1: Loyalty push")
    assert list(compared.columns) == ["1: Loyalty push", "2: Promotion push"]
    assert compared.loc["Share to promotions"].tolist() == ["20.0%", "80.0%"]
    con = open_db()
    stored = sim.list_scenarios(con, datasets.get_dataset(con, "demo").dataset_id)
    assert stored["promo_share"].tolist() == [0.8, 0.2]
    con.close()
    at.selectbox(key="sim_delete_choice").set_value(1).run()
    at.button(key="sim_delete").click().run()
    assert not at.exception
    assert table(at, "Saved at")["Name"].tolist() == ["Promotion push"]
    con = open_db()
    assert sim.list_scenarios(con, datasets.get_dataset(con, "demo").dataset_id)["name"].tolist() == ["Promotion push"]
    assert db.query_df(con, "select action from audit_log order by audit_id desc limit 1")["action"][0] == "delete_plan"


def test_use_the_best_split_moves_the_slider(demo_db, start_app):
    at = start_app(PAGE)
    at.slider(key="sim_weight").set_value(100).run()  # only this quarter's sales count: all to promotions
    assert "the best split is **100% to promotions**" in at.info[0].value
    at.button(key="sim_use_best").click().run()
    assert at.slider(key="sim_promo_share").value == 100


def test_an_edited_assumption_changes_the_result_and_says_so(demo_db, start_app):
    at = start_app(PAGE)
    before = metrics(at)["12-month value"]
    at.number_input(key="sim_a_loyalty_max_dropout_reduction").set_value(50.0).run()
    assert metrics(at)["12-month value"] != before
    assumptions = table(at, "In use").set_index("Assumption")
    assert assumptions.loc["Loyalty: largest cut in dropout", "Source"] == "Set by you"
    assert assumptions.loc["Loyalty: largest cut in dropout", "In use"] == pytest.approx(50.0)


def test_chinese(demo_db, start_app):
    at = start_app(PAGE, language="zh")
    assert at.title[0].value == "促销还是忠诚度？"
    assert "季度增量收入" in metrics(at)
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert titles[0] == "短期销售与长期价值：按促销占比"
