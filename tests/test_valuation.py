"""Valuing customers as of a date: model choice, the fit report (fit-clv) and leakage."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custlib import datasets, db
from custlib.io import import_file
from custlib.valuation import ValueSettings, choose_purchase_model, fit_report, value_customers

REPO = Path(__file__).resolve().parents[1]
CDNOW_MAP = {"customer_id": 2, "order_date": 3, "quantity": 4, "amount": 5}


@pytest.fixture
def cdnow(con, cdnow_dir):
    import_file(con, cdnow_dir / "CDNOW_sample.txt", dataset="cdnow", has_header=False, mapping=CDNOW_MAP)
    return datasets.get_dataset(con, "cdnow").dataset_id


def test_fit_report_on_cdnow_gives_published_parameters(con, cdnow):
    report = fit_report(con, cdnow, "1997-09-30", unit="week", model="auto")
    # Fader, Hardie & Lee (2005), Marketing Science 24(2): r, alpha, a, b, LL
    bg = report["bgnbd"]
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    # Fader, Hardie & Lee (2005), JMR 42(4): Gamma-Gamma on the 946 repeat buyers
    gg = report["gamma_gamma"]
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["v"], 2), gg["customers"]) == (6.25, 3.74, 15.44, 946)
    assert report["customers"] == 2357 and report["selected"] in ("bgnbd", "mbgnbd", "pareto_nbd")
    holdout = report["holdout"]
    # weeks 40-78 of the sample: 1,882 repeat purchases (the FHL 2005 holdout)
    assert holdout["available"] and holdout["actual_repeat_purchases"] == 1882
    assert 1500 < holdout["models"]["bgnbd"]["predicted_repeat_purchases"] < 1900


def test_model_choice_reads_nothing_after_as_of(con, cdnow):
    choice = choose_purchase_model(con, cdnow, "1997-09-30")
    assert choice.calibration_end is not None and choice.calibration_end < pd.Timestamp("1997-09-30").date()
    late = pd.DataFrame({"customer_id": ["0001"] * 50, "order_date": pd.to_datetime(["1997-10-05"] * 50),
                         "amount": np.arange(50.0)})
    datasets.store_frame(con, "cdnow", "transactions", pd.concat([
        db.query_df(con, "select customer_id, order_date, amount from transactions where dataset_id = ?", [cdnow]),
        late]))
    again = choose_purchase_model(con, cdnow, "1997-09-30")
    assert again.selected == choice.selected and again.reason == choice.reason


def test_value_customers_columns_and_ranges(con, cdnow):
    snapshot = value_customers(con, cdnow, "1997-09-30", ValueSettings(horizon_months=12, margin=0.3))
    customers = snapshot.customers
    assert len(customers) == 2357 and customers.index.name == "customer_id"
    assert customers["probability_alive"].between(0, 1).all()
    assert (customers["clv"] >= 0).all() and (customers["expected_purchases"] >= 0).all()
    assert snapshot.customer_equity == pytest.approx(customers["clv"].sum())
    doubled = value_customers(con, cdnow, "1997-09-30", ValueSettings(horizon_months=12, margin=0.6))
    assert np.allclose(doubled.customers["clv"], 2 * customers["clv"])
    longer = value_customers(con, cdnow, "1997-09-30", ValueSettings(horizon_months=24, margin=0.3))
    assert (longer.customers["clv"] >= customers["clv"] - 1e-9).all()
    assert "BG/NBD" in snapshot.model_label


def test_cli_fit_clv_json(tmp_path, cdnow_dir):
    database = tmp_path / "c.duckdb"
    run = lambda *a: subprocess.run([sys.executable, "-m", "custlib", *a], capture_output=True, text=True, cwd=REPO)
    assert run("import", str(cdnow_dir / "CDNOW_sample.txt"), "--db", str(database), "--no-header",
               "--map", "customer_id=2,order_date=3,quantity=4,amount=5", "--dataset", "cdnow").returncode == 0
    out = run("fit-clv", "--db", str(database), "--as-of", "1997-09-30", "--unit", "week", "--model", "bgnbd",
              "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report) >= {"bgnbd", "gamma_gamma", "customers", "selected", "holdout", "pareto_nbd", "mbgnbd"}
    assert report["selected"] == "bgnbd" and round(report["bgnbd"]["r"], 3) == 0.243
    assert set(report["pareto_nbd"]) >= {"r", "alpha", "s", "beta", "log_likelihood"}
    bad = run("fit-clv", "--db", str(database), "--as-of", "someday")
    assert bad.returncode == 1 and "is not a date" in bad.stderr
