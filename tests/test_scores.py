"""The score table: one row per customer with every score, stored in DuckDB and written by `score`."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custlib import datasets, db, demo
from custlib.customers import SCORE_COLUMNS, ScoreSettings, customer_table as customer_scores
from custlib.scores import store_scores

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("scores") / "demo.duckdb"
    con = db.connect(path)
    demo.load_demo(con, "demo", n_customers=2500, seed=11)
    con.close()
    return path


@pytest.fixture(scope="module")
def scored(demo_db):
    con = db.connect(demo_db, read_only=True)
    dataset = datasets.get_dataset(con)
    result = customer_scores(con, dataset.dataset_id, "2026-06-30", ScoreSettings(interval_draws=50))
    con.close()
    return result


def test_every_customer_once_with_every_column(scored):
    table = scored.table
    assert list(table.columns) == list(SCORE_COLUMNS)
    assert table["customer_id"].is_unique and len(table) > 2000
    for column in ("recency_score", "frequency_score", "monetary_score"):
        assert table[column].between(1, 5).all() and table[column].nunique() == 5
    assert table["probability_alive"].between(0, 1).all()
    assert table["churn_probability"].dropna().between(0, 1).all()
    assert (table["clv_lower"] <= table["clv"] + 1e-9).all() and (table["clv"] <= table["clv_upper"] + 1e-9).all()
    scored_rows = table.dropna(subset=["churn_probability"])
    assert np.allclose(scored_rows["value_at_risk"], scored_rows["churn_probability"] * scored_rows["clv"])
    assert set(table["action"]) <= {"win back", "nurture", "keep warm", "let go"}
    assert set(table["tier"]) == {"core", "potential", "low-value"}
    assert (pd.to_datetime(table["expected_next_order_date"]) > pd.Timestamp("2026-06-30")).all()
    assert scored.equity_lower < scored.equity < scored.equity_upper


def test_scores_as_of_a_past_date_ignore_later_rows(demo_db, scored, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(demo_db).read_bytes())
    con = db.connect(copy)
    dataset = datasets.get_dataset(con)
    # a burst of late orders from the riskiest customers must not move scores as of 2026-06-30
    risky = scored.table.sort_values("churn_probability", ascending=False)["customer_id"].head(50).tolist()
    with db.write_transaction(con) as cur:
        cur.execute("delete from transactions where dataset_id = ? and order_date > date '2026-06-30'",
                    [dataset.dataset_id])
        for customer in risky:
            cur.execute("insert into transactions (dataset_id, import_id, source_row, customer_id, order_date, amount) "
                        "values (?, 0, 0, ?, date '2026-07-15', 5000)", [dataset.dataset_id, customer])
    again = customer_scores(con, dataset.dataset_id, "2026-06-30", ScoreSettings(interval_draws=50))
    con.close()
    pd.testing.assert_frame_equal(again.table, scored.table)


def test_scores_are_stored_and_replaced(demo_db, scored, tmp_path):
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(Path(demo_db).read_bytes())
    con = db.connect(copy)
    dataset_id = datasets.get_dataset(con).dataset_id
    assert store_scores(con, dataset_id, scored) == len(scored.table)
    assert store_scores(con, dataset_id, scored) == len(scored.table)  # replaced, not appended
    stored = db.query_df(con, "select * from customer_scores where dataset_id = ? order by customer_id", [dataset_id])
    assert len(stored) == len(scored.table) and str(stored["as_of"].iloc[0])[:10] == "2026-06-30"
    assert stored["clv"].sum() == pytest.approx(scored.table["clv"].sum())
    con.close()


def test_cli_score_writes_csv_and_parquet(demo_db, tmp_path):
    copy = tmp_path / "cli.duckdb"
    copy.write_bytes(Path(demo_db).read_bytes())
    run = lambda *a: subprocess.run([sys.executable, "-m", "custlib", *a], capture_output=True, text=True, cwd=REPO)
    out = run("score", "--db", str(copy), "--as-of", "2026-06-30", "--horizon", "26", "--unit", "week",
              "--model", "bgnbd", "--out", str(tmp_path / "scores.parquet"))
    assert out.returncode == 0, out.stderr
    assert "Scored" in out.stdout and "BG/NBD" in out.stdout and "Customer equity" in out.stdout
    frame = pd.read_parquet(tmp_path / "scores.parquet")
    # the file is for people: each reason in words (its numbers are in the words), the rest as the table has it
    worded = [c for c in SCORE_COLUMNS if not c.endswith(("_a", "_b"))]
    assert list(frame.columns) == worded and frame["customer_id"].iloc[0].startswith("C")
    assert frame["reason_1"].str.contains("no order for", na=False).any()
    out = run("score", "--db", str(copy), "--out", str(tmp_path / "scores.csv"), "--model", "bgnbd", "--lang", "zh")
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "scores.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].split(",")[:3] == ["customer_id", "recency_score", "frequency_score"]
    assert "天未下单，通常每" in text and "no order for" not in text  # --lang zh: the reasons in Chinese
    bad = run("score", "--db", str(copy), "--out", str(tmp_path / "scores.xlsx"))
    assert bad.returncode == 1 and "must end in .csv or .parquet" in bad.stderr
