"""custlib.findings: revenue at risk, value by group, and the Overview's findings (hand-computed numbers)."""
from __future__ import annotations

import pandas as pd
import pytest

from custlib import findings


def test_revenue_at_risk_is_churn_probability_times_trailing_revenue():
    p_alive = pd.Series({"a": 0.9, "b": 0.25, "c": 0.5})
    trailing = pd.Series({"a": 100.0, "b": 200.0, "c": -40.0, "z": 999.0})   # z has no model row
    risk = findings.revenue_at_risk(p_alive, trailing)
    assert risk.to_dict() == pytest.approx({"a": 10.0, "b": 150.0, "c": 0.0})   # a return is not revenue at risk


def tables():
    groups = pd.Series({"a": "core", "b": "potential", "c": "low-value", "d": "low-value"})
    clv = pd.Series({"a": 600.0, "b": 300.0, "c": 60.0, "d": 40.0})
    risk = pd.Series({"a": 10.0, "b": 150.0, "c": 40.0})
    return findings.value_by_group(groups, clv, risk, order=("core", "potential", "low-value"))


def test_value_by_group_sums_and_shares():
    table = tables()
    assert table.index.tolist() == ["core", "potential", "low-value"]
    assert table["customers"].tolist() == [1, 1, 2]
    assert table["equity_amount"].tolist() == [600.0, 300.0, 100.0]
    assert table["equity_share"].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert table["risk_share"].tolist() == pytest.approx([0.05, 0.75, 0.2])


def test_findings_say_what_moved_and_where_the_risk_sits():
    current = {"revenue_amount": 1100.0, "active_customers": 40, "new_customers": 5, "retention_rate": 0.42,
               "nps": 35.0}
    before = {"revenue_amount": 1000.0, "active_customers": 38, "retention_rate": 0.40, "nps": 38.0}
    segments = findings.value_by_group(pd.Series({"a": "loyal", "b": "at risk", "c": "lost", "d": "lost"}),
                                       pd.Series({"a": 600.0, "b": 300.0, "c": 60.0, "d": 40.0}),
                                       pd.Series({"a": 10.0, "b": 150.0, "c": 40.0}))
    found = findings.overview_findings(current, before, tables(), segments, period="Sep", previous="Aug",
                                       horizon_months=12)
    assert [f.key for f in found] == ["revenue", "retention", "equity", "risk"]
    revenue, retention, equity, risk = found
    assert revenue.values["revenue_change"] == pytest.approx(0.10) and revenue.clauses == ("revenue_change",)
    assert revenue.values["active_count"] == 40 and revenue.values["new_count"] == 5
    assert retention.values["retention_points"] == pytest.approx(2.0)
    assert retention.values["nps_points"] == pytest.approx(-3.0)
    assert retention.clauses == ("retention_change", "nps_change")
    assert equity.values == {"equity_amount": 1000.0, "horizon": "12", "tier": "core", "tier_customer_share": 0.25,
                             "tier_equity_share": 0.6}
    assert risk.values["risk_amount"] == 200.0 and risk.values["tier"] == "potential"
    assert risk.values["tier_risk_share"] == pytest.approx(0.75)
    assert risk.values["segment"] == "at risk" and risk.values["segment_risk_amount"] == 150.0


def test_first_period_and_no_model_give_fewer_findings():
    found = findings.overview_findings({"revenue_amount": 50.0, "active_customers": 2, "new_customers": 2,
                                        "retention_rate": None}, None)
    assert [(f.key, f.clauses) for f in found] == [("revenue", ())]
