"""Period KPIs on a hand-computed fixture, period parsing, leakage, and the CLI."""
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from custlib import datasets
from custlib.errors import CustlibError
from custlib.kpis import activity_kpis, parse_period, period_kpis

REPO = Path(__file__).resolve().parents[1]

# June and July 2024. Customer a: June + July; b: June only; c: new in July, with a return;
# d: first bought in May, returns only in July. Rows without order id count one order each.
ROWS = [
    ("a", "o1", "2024-05-10", 50.0),
    ("d", "o2", "2024-05-20", 30.0),
    ("a", "o3", "2024-06-02", 100.0),
    ("b", "o4", "2024-06-15", 40.0),
    ("b", "o4", "2024-06-15", 10.0),   # second line of the same order
    ("a", None, "2024-07-01", 60.0),
    ("a", None, "2024-07-01", 60.0),   # identical line, no order id: a second order
    ("c", "o6", "2024-07-10", 80.0),
    ("c", "o7", "2024-07-20", -20.0),  # return
    ("d", "o8", "2024-07-25", -30.0),  # return only: d is not active in July
    ("a", "o9", "2024-08-05", 999.0),  # after the period: must not count
]


@pytest.fixture
def shop(con):
    frame = pd.DataFrame(ROWS, columns=["customer_id", "order_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    datasets.store_frame(con, "shop", "transactions", frame)
    interactions = pd.DataFrame({"customer_id": ["a", "b", "c", "a"],
                                 "interaction_at": pd.to_datetime(["2024-07-02", "2024-07-03", "2024-07-04",
                                                                   "2024-07-30"]),
                                 "kind": ["survey"] * 4, "nps_score": [6, 9, 10, 10], "satisfaction": [3, 5, 4, 5]})
    datasets.store_frame(con, "shop", "interactions", interactions)
    return datasets.get_dataset(con, "shop").dataset_id


def test_period_parsing():
    assert parse_period("2024-07").start == date(2024, 7, 1) and parse_period("2024-07").end == date(2024, 7, 31)
    assert parse_period("2024-Q3").end == date(2024, 9, 30) and parse_period("2024q1").label == "2024-Q1"
    assert parse_period("2024").previous().label == "2023"
    assert parse_period("2024-01").previous().label == "2023-12"
    assert parse_period("2024-Q1").previous().label == "2023-Q4"
    with pytest.raises(CustlibError, match="not a period"):
        parse_period("July")


def test_july_by_hand(con, shop):
    k = activity_kpis(con, shop, parse_period("2024-07"))
    # revenue: 60 + 60 + 80 - 20 - 30 = 150; orders: two id-less lines + o6 = 3
    assert k["revenue_amount"] == pytest.approx(150.0) and k["orders"] == 3
    assert k["average_order_value"] == pytest.approx(50.0)
    assert k["returns_amount"] == pytest.approx(50.0)
    # active: a, c (d only returned); new: c; previous (June) active: a, b; retained: a
    assert (k["active_customers"], k["new_customers"], k["returning_customers"]) == (2, 1, 1)
    assert (k["previous_active_customers"], k["retained_customers"]) == (2, 1)
    assert k["retention_rate"] == pytest.approx(0.5) and k["churn_rate"] == pytest.approx(0.5)
    # customers to date a, b, c, d; with 2+ purchase days: a (May, June, July) only
    assert k["repeat_purchase_rate"] == pytest.approx(0.25)
    # latest answer per customer in July: a=10 (promoter), b=9 (promoter), c=10 -> NPS 100
    assert k["nps"] == pytest.approx(100.0) and k["nps_responses"] == 3
    assert k["satisfaction_mean"] == pytest.approx((5 + 5 + 4) / 3)


def test_period_kpis_compares_with_the_period_before(con, shop):
    result = period_kpis(con, shop, "2024-07", with_value=False)
    assert result["previous"]["label"] == "2024-06"
    # June: a 100 + b 50 = 150, orders o3, o4 = 2
    assert result["before"]["revenue_amount"] == pytest.approx(150.0) and result["before"]["orders"] == 2


def test_later_rows_change_nothing(con, shop):
    before = activity_kpis(con, shop, parse_period("2024-07"))
    extra = pd.DataFrame({"customer_id": ["z"], "order_id": ["late"], "order_date": pd.to_datetime(["2025-01-01"]),
                          "amount": [5000.0]})
    frame = pd.concat([pd.DataFrame(ROWS, columns=extra.columns).assign(order_date=lambda f: pd.to_datetime(
        f["order_date"])), extra])
    datasets.store_frame(con, "shop", "transactions", frame)
    assert activity_kpis(con, shop, parse_period("2024-07")) == before


def test_value_kpis_say_when_data_are_too_thin(con, shop):
    result = period_kpis(con, shop, "2024-07")
    current = result["current"]
    # four customers cannot support a lifetime value model: either no numbers or a plain warning
    assert current["customer_equity"] is None or "too thin" in (current["value_note"] or "")


def test_cli_kpis_json(tmp_path):
    database = tmp_path / "demo.duckdb"
    subprocess.run([sys.executable, "-m", "custlib", "demo", "--db", str(database), "--customers", "2000"],
                   check=True, cwd=REPO, capture_output=True)
    out = subprocess.run([sys.executable, "-m", "custlib", "kpis", "--db", str(database), "--period", "2026-Q2",
                          "--json"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["period"]["label"] == "2026-Q2" and result["previous"]["label"] == "2026-Q1"
    for side in ("current", "before"):
        values = result[side]
        assert values["revenue_amount"] > 0 and values["orders"] > 0 and values["active_customers"] > 0
        assert 0 <= values["retention_rate"] <= 1 and 0 <= values["repeat_purchase_rate"] <= 1
        assert values["customer_equity"] > 0 and "BG/NBD" in values["value_model"]
    bad = subprocess.run([sys.executable, "-m", "custlib", "kpis", "--db", str(database), "--period", "soon"],
                         cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 1 and "not a period" in bad.stderr and "Traceback" not in bad.stderr
