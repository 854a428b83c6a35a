"""Retention & lifecycle page on the real demo data."""
from __future__ import annotations


PAGE = "pages/retention.py"


def test_retention_page_draws_cohorts_curves_rates_stages_and_transitions(demo, start_app, chart_specs):
    at = start_app(page=PAGE)
    assert at.title[0].value == "Retention & lifecycle"
    specs = chart_specs(at)
    assert set(specs) == {"Customer retention by cohort", "Revenue retention by cohort",
                          "Retention curves: observed and projected",
                          "Retention, churn and repeat-purchase rate per month", "Customers by lifecycle stage",
                          "Stage transitions from 2026-04-01 to 2026-09-30"}
    heat = specs["Customer retention by cohort"]["data"][0]
    text = heat["text"]                                        # the cell labels; blank where there is no value
    assert all(row[0] == "100%" for row in text)               # everybody is active in the first month
    assert text[0][-1] != "" and text[-1][-1] == ""            # the youngest cohort has not reached the last column
    assert text[-1][:2] == ["100%", ""]                        # September 2026's cohort: only its first month
    curves = specs["Retention curves: observed and projected"]["data"]
    assert any(trace["line"].get("dash") == "dash" for trace in curves)
    sankey = specs["Stage transitions from 2026-04-01 to 2026-09-30"]["data"][0]
    assert sum(sankey["link"]["value"]) == 2_500               # everybody, present before or new since


def test_quarters_change_the_cohorts(demo, start_app, chart_specs):
    at = start_app(page=PAGE)
    monthly_rows = len(chart_specs(at)["Customer retention by cohort"]["data"][0]["y"])
    at.segmented_control(key="retention_grain").set_value("quarter").run()
    assert not at.exception
    specs = chart_specs(at)
    quarterly_rows = len(specs["Customer retention by cohort"]["data"][0]["y"])
    assert monthly_rows == 36 and quarterly_rows == 12         # Oct 2023 .. Sep 2026 / 2023 Q4 .. 2026 Q3
    assert "Retention, churn and repeat-purchase rate per quarter" in specs


def test_the_earlier_date_moves_the_transitions(demo, start_app, chart_specs):
    at = start_app(page=PAGE)
    at.date_input(key="retention_from_date").set_value(__import__("datetime").date(2025, 9, 30)).run()
    assert not at.exception
    assert "Stage transitions from 2025-09-30 to 2026-09-30" in chart_specs(at)


def test_a_cohort_filter_keeps_only_that_cohort(demo, start_app, chart_specs):
    at = start_app()
    at.multiselect(key="sidebar_filter_cohort").set_value(["2024-Q1"]).run()
    at.switch_page(PAGE).run()
    heat = chart_specs(at)["Customer retention by cohort"]["data"][0]
    assert [label.split(" (")[0] for label in heat["y"]] == ["Jan 2024", "Feb 2024", "Mar 2024"]
