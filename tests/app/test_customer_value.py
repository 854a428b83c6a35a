"""Customer value page on the real demo data: settings change the numbers, the model is explained."""
from __future__ import annotations

import pytest


PAGE = "pages/customer_value.py"


def money(text: str) -> float:
    text = text.replace("¥", "").replace(",", "")
    return float(text[:-1]) * 1e6 if text.endswith("M") else float(text)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_value_page_explains_the_model(demo, start_app, chart_specs):
    at = start_app(page=PAGE)
    assert at.title[0].value == "Customer value"
    assert metric(at, "Customers valued") == "2,500"
    specs = chart_specs(at)
    assert set(specs) == {"Customers by CLV (12 months)", "Probability alive by frequency and recency",
                          "Predicted vs actual repeat purchases in the last 365 days"}
    calibration = specs["Predicted vs actual repeat purchases in the last 365 days"]
    assert [trace["name"] for trace in calibration["data"]] == ["Actual", "BG/NBD ✓", "MBG/NBD", "Pareto/NBD"]
    assert calibration["data"][0]["x"] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    params = next(df.value for df in at.dataframe if "Standard error" in df.value.columns)
    assert params["Parameter"].tolist() == ["r", "alpha", "a", "b", "p", "q", "v"]
    assert (params["Standard error"] > 0).all()
    assert any("Enough data for a trustworthy model" in s.value for s in at.success)


def test_doubling_the_margin_doubles_customer_equity(demo, start_app):
    at = start_app(page=PAGE)
    before = money(metric(at, "Customer equity"))
    average = money(metric(at, "Average CLV"))
    at.slider(key="value_margin").set_value(60).run()
    assert not at.exception
    assert money(metric(at, "Customer equity")) == pytest.approx(2 * before, rel=0.01)
    assert money(metric(at, "Average CLV")) == pytest.approx(2 * average, rel=0.01)
    at.switch_page("pages/overview.py").run()                 # the setting is shared by every page
    assert money(next(m.value for m in at.metric if m.label == "Customer equity")) == pytest.approx(2 * before,
                                                                                                     rel=0.01)


def test_a_longer_horizon_and_the_log_scale(demo, start_app, chart_specs):
    at = start_app(page=PAGE)
    before = money(metric(at, "Customer equity"))
    at.selectbox(key="value_horizon").set_value(24).run()
    assert money(metric(at, "Customer equity")) > before
    assert "Customers by CLV (24 months)" in chart_specs(at)
    assert chart_specs(at)["Customers by CLV (24 months)"]["layout"]["xaxis"]["type"] == "log"
    at.toggle(key="value_log_scale").set_value(False).run()
    assert chart_specs(at)["Customers by CLV (24 months)"]["layout"]["xaxis"]["type"] == "linear"


def test_best_on_holdout_says_why(demo, start_app):
    at = start_app(page=PAGE)
    at.selectbox(key="value_model").set_value("auto").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "was chosen because it predicted the holdout best" in text
    assert "asked to predict the last 365 days" in text
