"""The command line's `score` and the At-risk page read one per-customer table (custlib.customers): on the demo
company every customer the page lists has, in the CLI's output, the same tier, stage, CLV, churn probability,
value at risk and action (issue 15, item 3)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from ui import labels
from ui.i18n import t

from tests.app.helpers import table

PAGE = "pages/at_risk.py"
AS_OF = "2026-09-30"  # the demo's last order date: the page's default as-of date


def test_cli_scores_and_the_at_risk_page_agree_row_for_row(demo_db, start_app, tmp_path):
    out = tmp_path / "scores.csv"
    done = subprocess.run([sys.executable, "-m", "custlib", "score", "--db", str(demo_db), "--dataset", "demo",
                           "--as-of", AS_OF, "--model", "bgnbd", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")

    at = start_app(PAGE)
    page = table(at, t("risk_col_value_at_risk", currency="¥"))
    assert len(page) > 500  # every active customer of the demo is listed (no filter set)
    ids = page[t("risk_col_customer")].to_numpy()
    mine = cli.loc[ids]
    assert page[t("risk_col_tier")].tolist() == [labels.tier(v) for v in mine["tier"]]
    assert page[t("risk_col_stage")].tolist() == [labels.stage(v) for v in mine["stage"]]
    assert page[t("risk_col_action")].tolist() == [t(f"risk_action_{v}") for v in mine["action"]]
    for column, theirs in (("risk_col_churn", "churn_probability"), ("risk_col_clv", "clv"),
                           ("risk_col_value_at_risk", "value_at_risk")):
        np.testing.assert_allclose(page[t(column, currency="¥")].to_numpy(float), mine[theirs].to_numpy(float),
                                   rtol=1e-9, atol=1e-9, err_msg=column)
    # the customers the page leaves out are exactly the ones the CLI calls lapsed (not scored for churn)
    assert set(cli.index[cli["churn_probability"].notna()]) == set(ids)
