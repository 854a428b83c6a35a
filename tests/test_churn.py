"""Churn model: metrics by hand, the horizon rule on known gaps, reasons and actions by hand, no leakage,
and on the seeded demo company: better than chance and than BG/NBD, scores consistent with the truth."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import OrdinalEncoder

from custlib import churn, datasets, db, demo, features, messages, segments
from custlib.errors import CustlibError

AS_OF = date(2026, 9, 30)          # the demo company's last day (custlib.demo.DEFAULT_END_DATE)
DEMO_SEED = 11
DEMO_CUSTOMERS = 4000


# --- metrics by hand ----------------------------------------------------------------------------

# Ten customers, three churners, scores falling from 0.9 to 0.0.
Y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
P = np.array([.9, .8, .7, .6, .5, .4, .3, .2, .1, .0])


def test_metrics_match_hand_computation_on_ten_customers():
    m = churn.classification_metrics(Y, P)
    # Brier: squared errors .01 .04 .49 .16 .25 .16 .09 .04 .01 0 sum to 1.25 over 10 customers.
    assert m["brier"] == pytest.approx(0.125)
    # Lift: the top decile is one customer (score .9), a churner: rate 1 against 3/10 overall.
    assert m["top_decile_lift"] == pytest.approx(10 / 3)
    # ROC-AUC: of 3 x 7 churner/buyer pairs only (.6 churner, .7 buyer) is misordered: 20/21.
    assert m["roc_auc"] == pytest.approx(20 / 21)
    # PR-AUC (average precision): churners at ranks 1, 2, 4 -> (1/1 + 2/2 + 3/4) / 3.
    assert m["pr_auc"] == pytest.approx(2.75 / 3)
    assert m["n_valid"] == 10 and m["positive_rate"] == pytest.approx(0.3)


def test_top_decile_lift_shares_tied_places_fairly():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    # Two customers tie for the single top place; one churned: half a churner in the top decile, 0.5 / 0.1.
    assert churn.top_decile_lift(y, [.9, .9, .1, .1, .1, .1, .1, .1, .1, .1]) == pytest.approx(5.0)
    # Everybody tied: the top decile is the average customer.
    assert churn.top_decile_lift(y, np.full(10, .3)) == pytest.approx(1.0)
    # 25 customers: the top decile is ceil(2.5) = 3 customers, holding the only churner.
    y25 = np.zeros(25)
    y25[0] = 1
    assert churn.top_decile_lift(y25, -np.arange(25.0)) == pytest.approx((1 / 3) / (1 / 25))
    assert np.isnan(churn.top_decile_lift(np.zeros(5), np.arange(5.0)))


# --- the default horizon ------------------------------------------------------------------------

def test_horizon_rule_from_gaps():
    gaps = 2.0 * np.arange(1, 41)                     # 2, 4, ..., 80 days
    # 80th percentile: position 0.8 x 39 = 31.2 between 64 and 66 -> 64.4 days -> the 90-day step.
    assert np.quantile(gaps, 0.8) == pytest.approx(64.4)
    assert churn.horizon_from_gaps(gaps) == 90
    assert churn.horizon_from_gaps(np.r_[gaps, [np.nan, 0, -3]]) == 90     # missing and non-positive ignored
    assert churn.horizon_from_gaps(np.full(40, 7.0)) == 30                 # never below 30
    assert churn.horizon_from_gaps(np.full(40, 45.0)) == 45                # a step itself is covered
    assert churn.horizon_from_gaps(np.full(40, 800.0)) == 365              # never above 365
    assert churn.horizon_from_gaps(gaps[:29]) == churn.FALLBACK_HORIZON_DAYS  # too few repeat customers


def _store_regular_buyers(con, gaps_days, last_day=date(2024, 6, 30), purchases=4, name="gaps"):
    """Customer i buys ``purchases`` times, every gaps_days[i] days, the last time on ``last_day``."""
    rows = []
    for i, gap in enumerate(gaps_days):
        for k in range(purchases):
            rows.append((f"c{i:02d}", f"o{i:02d}-{k}", last_day - timedelta(days=int(gap) * k), 10.0 + k))
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    datasets.store_frame(con, name, "transactions", frame)
    return datasets.get_dataset(con, name).dataset_id


def test_default_horizon_on_customers_with_known_gaps(con):
    gaps = 5 * np.arange(1, 41)                       # 5, 10, ..., 200 days
    dataset_id = _store_regular_buyers(con, gaps)
    feats = features.customer_features(con, dataset_id, date(2024, 6, 30))
    np.testing.assert_array_equal(feats.sort_values("customer_id")["typical_gap_days"], gaps)
    # 80th percentile: 0.8 x 39 = 31.2 between 160 and 165 -> 161 days -> the 180-day step.
    assert churn.default_horizon_days(con, dataset_id, date(2024, 6, 30)) == 180


def test_too_little_history_is_refused_in_words(con):
    dataset_id = _store_regular_buyers(con, 5 * np.arange(1, 41))
    frames = churn.training_frames(con, dataset_id, date(2024, 6, 30), horizon_days=60)
    with pytest.raises(CustlibError, match="Too little history for a 60-day churn model.*shorter horizon"):
        churn.ChurnModel().fit(frames)


def test_estimator_contract():
    model = churn.ChurnModel(model="gbm", random_state=3)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict_churn(pd.DataFrame({"customer_id": ["a"]}))
    with pytest.raises(ValueError, match="model must be"):
        churn.ChurnModel(model="forest").fit(None)               # refused before the frames are looked at
    with pytest.raises(ValueError, match="horizon_days must be between"):
        churn.training_frames(None, 1, AS_OF, horizon_days=0)   # refused before any data is read


# --- model inputs by hand -----------------------------------------------------------------------

def _inputs_frame(regions) -> pd.DataFrame:
    """Customers with every model input: numbers 1, 2, 3, ... in each column, the given regions, one
    industry and no company size."""
    n = len(regions)
    frame = pd.DataFrame({column: np.arange(1.0, n + 1) for column in churn.NUMERIC_INPUTS
                          if column not in churn.DERIVED_INPUTS})
    frame["region"] = pd.Series(regions, dtype="str")
    frame["industry"] = pd.Series(["Retail"] * n, dtype="str")
    frame["company_size"] = pd.Series([None] * n, dtype="str")
    return frame


def test_model_inputs_code_categories_as_ordinal_encoder_does():
    train = _inputs_frame(["North"] * 5 + ["East"] * 4 + ["West"] * 2 + ["South"] + [None] * 3)
    later = _inputs_frame(["West", "Moon", None, "East"])
    inputs = churn.ModelInputs().fit(train)
    X = inputs.transform(later)
    names = list(inputs.get_feature_names_out())
    assert names[:3] == list(churn.CATEGORICAL_INPUTS) and X.shape == (4, 3 + len(churn.NUMERIC_INPUTS))
    # Sorted categories seen at fit: (unknown) 0, East 1, North 2, South 3, West 4; "Moon" was never seen.
    np.testing.assert_array_equal(X[:, 0], [4, np.nan, 0, 1])
    assert (X[:, 2] == 0).all()                                    # company size: all "(unknown)"
    # With at most 3 codes the two most frequent (North 5, East 4) keep theirs, sorted: East 0, North 1;
    # (unknown), West and South share 2, exactly as scikit-learn's OrdinalEncoder(max_categories=3) does.
    capped = churn.ModelInputs(max_categories=3).fit(train).transform(later)[:, 0]
    np.testing.assert_array_equal(capped, [2, np.nan, 2, 0])
    text = lambda f: f[["region"]].fillna(churn.UNKNOWN_CATEGORY).astype(object)
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=3)
    np.testing.assert_array_equal(encoder.fit(text(train)).transform(text(later))[:, 0], capped)
    # Numbers pass as they are; the ratios are made: overdue 1/1 (days since / gap), return share 1/1.
    assert X[1, names.index("orders_count")] == 2.0
    assert X[0, names.index("overdue_ratio")] == 1.0 and X[0, names.index("return_share")] == 1.0
    with pytest.raises(ValueError, match="missing columns"):
        inputs.transform(later.drop(columns="tenure_days"))


# --- reasons by hand ----------------------------------------------------------------------------

def _reason_frame() -> pd.DataFrame:
    """Five customers with the feature columns the reason rules read (see the expected ranks below)."""
    nan = np.nan
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "E"],
        "days_since_last_order": [140, 10, 60, 45, 5],
        "typical_gap_days": [35.0, 20.0, 30.0, nan, 10.0],
        "purchase_days": [6, 10, 3, 1, 20],
        "spend_trend_180d": [-0.6, 0.1, nan, nan, -0.35],
        "orders_last_365d": [2, 6, 1, 0, 10],
        "orders_prev_365d": [4, 6, 1, 0, 2],
        "orders_trend_365d": [-0.5, 0.0, 0.0, nan, 4.0],
        "last_nps_score": pd.array([3, 9, None, 8, 6], dtype="Int32"),
        "last_satisfaction": pd.array([None, None, None, None, None], dtype="Int32"),
        "complaints_last_90d": [2, 0, 1, 0, 0],
        "gross_sales_amount": [600.0, 1000.0, 300.0, 50.0, 2000.0],
        "returns_amount": [0.0, 0.0, 0.0, 0.0, 600.0],
        "orders_count": [6, 10, 3, 1, 20],
        "promo_order_share": [0.0, 0.1, 0.0, 0.0, 0.8],
    })


def _in_words(reasons: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The reason codes of ``reasons`` worded by custlib.messages, as the pages and the CLI word them."""
    words = reasons.copy()
    for k in (1, 2, 3):
        words[f"reason_{k}"] = messages.render_column(
            reasons[f"reason_{k}"], {"a": reasons[f"reason_{k}_a"], "b": reasons[f"reason_{k}_b"]}, lang).to_numpy()
    return words


def test_reasons_are_ranked_by_how_unusual_they_are():
    codes = churn.churn_reasons(_reason_frame()).set_index("customer_id")
    reasons = _in_words(codes)
    # A fires overdue (140/35 = 4: 3 of 4 defined ratios lower -> .75), spend down (.6: 2 of 3 -> .67),
    # orders down (.5: 1 of 2 -> .5), NPS 3 (-3: 3 of 4 lower -> .75), 2 complaints (4 of 5 lower -> .8).
    # Ties (.75) go by rule order: overdue before NPS.
    assert reasons.loc["A", ["reason_1", "reason_2", "reason_3"]].tolist() == [
        "2 complaints in 90 days",
        "no order for 140 days, usually orders every 35",
        "gave NPS 3 (out of 10) in the latest survey",
    ]
    assert codes.loc["A", ["reason_1", "reason_2", "reason_3"]].tolist() == [
        "reason_complaints", "reason_overdue", "reason_low_nps"]
    assert codes.loc["A", ["reason_2_a", "reason_2_b"]].tolist() == [140, 35]  # the numbers, not a sentence
    assert _in_words(codes, "zh").loc["A", "reason_2"] == "已 140 天未下单，通常每 35 天下单一次"
    # C: one complaint (.6) before overdue at 60/30 = 2 (.5); nothing else.
    assert reasons.loc["C", "reason_1"] == "1 complaint in 90 days"
    assert reasons.loc["C", "reason_2"] == "no order for 60 days, usually orders every 30"
    assert pd.isna(reasons.loc["C", "reason_3"])
    # D bought once, 45 days ago.
    assert reasons.loc["D", "reason_1"] == "bought only once, 45 days ago" and pd.isna(reasons.loc["D", "reason_2"])
    # E: returns 600/2000 (4 of 5 lower -> .8), promotions 80% (3 of 4 -> .75), NPS 6 (.5), spend down 35% (.33).
    assert reasons.loc["E", ["reason_1", "reason_2", "reason_3"]].tolist() == [
        "returned 30% of what they bought", "80% of orders on promotion",
        "gave NPS 6 (out of 10) in the latest survey"]
    # B is a happy regular: no reason at all.
    assert reasons.loc["B", ["reason_1", "reason_2", "reason_3"]].isna().all()


# --- actions ------------------------------------------------------------------------------------

def test_action_table_covers_every_case_once_with_the_four_actions():
    grid = pd.MultiIndex.from_product([[0.2, 0.8], segments.TIERS, segments.STAGES],
                                      names=["p", "tier", "stage"]).to_frame(index=False)
    grid["action"] = churn.recommend_actions(grid["p"], grid["tier"], grid["stage"])
    expected = np.select(
        [(grid["p"] >= .5) & grid["tier"].isin(["core", "potential"]),
         (grid["p"] >= .5) & (grid["tier"] == "low-value"),
         grid["stage"].isin(["new", "exploration", "development"])],
        ["win back", "let go", "nurture"], default="keep warm")
    np.testing.assert_array_equal(grid["action"], expected)
    assert set(grid["action"]) == set(churn.ACTIONS)
    # The boundary belongs to high risk.
    assert churn.recommend_actions([0.5, 0.4999], ["core", "core"], ["stability", "stability"]).tolist() == [
        "win back", "keep warm"]
    with pytest.raises(ValueError, match="no action rule for tier 'gold'"):
        churn.recommend_actions([0.9], ["gold"], ["stability"])


# --- the demo company ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_con(tmp_path_factory):
    """A real DuckDB file with the seeded demo company (4,000 customers)."""
    connection = db.connect(tmp_path_factory.mktemp("churn") / "studio.duckdb")
    data = demo.load_demo(connection, "demo", n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    yield connection, datasets.get_dataset(connection, "demo").dataset_id, data
    connection.close()


@pytest.fixture(scope="module")
def frames(demo_con):
    con, dataset_id, _ = demo_con
    return churn.training_frames(con, dataset_id, AS_OF)


@pytest.fixture(scope="module")
def fitted(frames):
    return churn.ChurnModel(random_state=0).fit(frames)


@pytest.fixture(scope="module")
def scores(demo_con, fitted):
    con, dataset_id, _ = demo_con
    return churn.score_churn(con, dataset_id, AS_OF, model=fitted)


def test_windows_follow_the_documented_split(frames, fitted):
    n = fitted.horizon_days_
    assert n == 90                                    # 80th percentile of demo gaps is 60-90 days
    w = fitted.report_.windows
    assert (w.train_feature_date, w.valid_feature_date, w.as_of) == (AS_OF - timedelta(2 * n),
                                                                     AS_OF - timedelta(n), AS_OF)
    assert fitted.active_days_ == 365
    # The frames the model learned from carry the same split: features as of T0 and T1, labels N days on.
    assert frames.windows == w and frames.active_days == 365
    assert (frames.train.attrs["as_of"], frames.train.attrs["label_end"]) == (w.train_feature_date,
                                                                              w.valid_feature_date)
    assert (frames.valid.attrs["as_of"], frames.valid.attrs["label_end"]) == (w.valid_feature_date, AS_OF)
    assert frames.baseline_error is None and frames.valid["customer_id"].isin(frames.baseline_alive.index).all()


def test_models_beat_chance_and_bgnbd_on_demo(fitted):
    metrics = fitted.report_.metrics
    assert list(metrics.columns) == list(churn.METRIC_COLUMNS)
    assert list(metrics.index) == ["gbm", "logistic", "bgnbd"]
    # Measured on this seed: gbm ~0.78, logistic ~0.79, BG/NBD 1 - P(alive) ~0.72; chance is 0.5.
    assert metrics.loc["gbm", "roc_auc"] > 0.74
    assert metrics.loc["logistic", "roc_auc"] > 0.74
    assert metrics.loc["gbm", "roc_auc"] > metrics.loc["bgnbd", "roc_auc"] + 0.02
    # Calibrated probabilities beat guessing the churn rate for everyone (Brier p(1-p)).
    rate = metrics.loc["gbm", "positive_rate"]
    assert metrics.loc["gbm", "brier"] < rate * (1 - rate) - 0.03
    assert metrics.loc["gbm", "top_decile_lift"] > 1.4
    assert (metrics["n_valid"] == metrics.loc["gbm", "n_valid"]).all() and metrics.loc["gbm", "n_valid"] > 2000


def test_report_names_the_winner_in_words(fitted):
    report = fitted.report_
    winner = report.metrics["roc_auc"].idxmax()
    assert report.verdict.startswith(f"On this data {churn.MODEL_LABELS[winner]} tells churners from buyers best")
    assert report.chosen_model in ("gbm", "logistic") and report.chosen_model == fitted.chosen_model_
    gbm, logistic = report.metrics.loc["gbm", "roc_auc"], report.metrics.loc["logistic", "roc_auc"]
    assert report.chosen_model == ("gbm" if gbm > logistic + churn.AUTO_TIE_MARGIN else "logistic")
    assert "90 days" in report.horizon_rule


def test_reported_metrics_are_the_candidates_on_the_validation_window(demo_con, fitted):
    con, dataset_id, _ = demo_con
    valid = churn.churn_examples(con, dataset_id, fitted.windows_.valid_feature_date, fitted.horizon_days_)
    p = fitted.candidates_["gbm"].predict_proba(valid)[:, 1]
    recomputed = churn.classification_metrics(valid["is_churned"], p)
    for key in ("roc_auc", "pr_auc", "brier", "top_decile_lift"):
        assert fitted.report_.metrics.loc["gbm", key] == pytest.approx(recomputed[key])


def test_scores_are_probabilities_with_value_at_risk(demo_con, fitted, scores):
    con, dataset_id, _ = demo_con
    assert list(scores.columns) == list(churn.SCORE_COLUMNS)
    p = scores["churn_probability"]
    assert p.between(0, 1).all() and p.std() > 0.1
    np.testing.assert_allclose(scores["value_at_risk"], p * scores["clv"])
    assert scores["customer_id"].is_unique
    feats = features.customer_features(con, dataset_id, AS_OF)
    active = feats.loc[feats["days_since_last_order"] < 365, "customer_id"]
    assert set(scores["customer_id"]) == set(active)
    assert scores["value_at_risk"].is_monotonic_decreasing
    assert set(scores["action"]) == set(churn.ACTIONS)


def test_churn_probability_follows_the_true_dropouts(demo_con, scores):
    _, _, data = demo_con
    truth = data.truth["customers"].set_index("customer_id")
    gone = truth["dropout_date"].reindex(scores["customer_id"]).le(pd.Timestamp(AS_OF)).to_numpy()
    p = scores["churn_probability"].to_numpy()
    # Customers who had truly dropped out by the as-of date look far riskier than those still alive.
    assert p[gone].mean() > p[~gone].mean() + 0.2


def test_a_reason_quotes_the_customers_own_numbers(demo_con, scores):
    con, dataset_id, _ = demo_con
    overdue = _in_words(scores[scores["reason_1"] == "reason_overdue"])
    assert len(overdue) > 20
    row = overdue.iloc[0]
    feats = features.customer_features(con, dataset_id, AS_OF).set_index("customer_id").loc[row["customer_id"]]
    days, gap = int(feats["days_since_last_order"]), feats["typical_gap_days"]
    assert days > 1.5 * gap and days >= 30
    assert row["reason_1"] == f"no order for {days} days, usually orders every {int(np.rint(gap))}"


def test_the_validated_candidate_scores_in_batches_of_the_same_numbers(demo_con, fitted):
    con, dataset_id, _ = demo_con
    assert fitted.estimator_ is fitted.candidates_[fitted.chosen_model_] and fitted.report_.n_refit == 0
    valid = churn.churn_examples(con, dataset_id, fitted.windows_.valid_feature_date, fitted.horizon_days_)
    whole = fitted.estimator_.predict_proba(valid)
    np.testing.assert_allclose(churn.predict_in_batches(fitted.estimator_, valid, batch_rows=500), whole,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(fitted.predict_churn(valid).to_numpy(), whole[:, 1], rtol=0, atol=1e-12)


def test_refit_fits_the_chosen_kind_again_on_the_validation_window(demo_con, frames, fitted):
    con, dataset_id, _ = demo_con
    refitted = churn.ChurnModel(random_state=0, refit=True).fit(frames)
    valid = churn.churn_examples(con, dataset_id, fitted.windows_.valid_feature_date, fitted.horizon_days_)
    assert refitted.report_.n_refit == len(valid)
    assert refitted.estimator_ is not refitted.candidates_[refitted.chosen_model_]
    pd.testing.assert_frame_equal(refitted.report_.metrics, fitted.report_.metrics)   # same candidates
    p = refitted.predict_churn(valid)
    assert p.between(0, 1).all() and not np.allclose(p, fitted.predict_churn(valid))


def test_samples_are_seeded_and_the_report_says_how_many(demo_con, frames):
    con, dataset_id, _ = demo_con
    settings = {"max_fit_rows": 1000, "max_eval_rows": 1500, "model": "gbm"}
    first = churn.ChurnModel(random_state=0, **settings).fit(frames)
    again = churn.ChurnModel(random_state=0, **settings).fit(frames)
    other = churn.ChurnModel(random_state=1, **settings).fit(frames)
    pd.testing.assert_frame_equal(first.report_.metrics, again.report_.metrics)
    assert not first.report_.metrics.equals(other.report_.metrics)
    metrics, w = first.report_.metrics, first.windows_
    assert (metrics.loc[["gbm", "logistic"], "n_train"] == 1000).all() and (metrics["n_valid"] == 1500).all()
    n_train = len(churn.churn_examples(con, dataset_id, w.train_feature_date, first.horizon_days_))
    n_valid = len(churn.churn_examples(con, dataset_id, w.valid_feature_date, first.horizon_days_))
    assert first.report_.notes[:2] == [
        (f"Models were fitted on a random 1,000 of the {n_train:,} customers active on {w.train_feature_date} "
         f"(seed 0)."),
        (f"Metrics are measured on a random 1,500 of the {n_valid:,} customers active on {w.valid_feature_date} "
         f"(seed 0)."),
    ]


# --- no leakage ---------------------------------------------------------------------------------

def _append(con, dataset_id, transactions=(), interactions=()):
    """Insert rows straight into the stored tables (as a later import would)."""
    with db.write_transaction(con) as cur:
        for k, (customer_id, day, amount) in enumerate(transactions):
            cur.execute("insert into transactions (dataset_id, import_id, source_row, customer_id, order_id, "
                        "order_date, amount) values (?, 999, ?, ?, ?, ?, ?)",
                        [dataset_id, k + 1, customer_id, f"late-{day}-{k}", day, amount])
        for k, (customer_id, day, kind, nps) in enumerate(interactions):
            cur.execute("insert into interactions (dataset_id, import_id, source_row, customer_id, interaction_at, "
                        "kind, nps_score) values (?, 999, ?, ?, ?, ?, ?)",
                        [dataset_id, k + 1, customer_id, day, kind, nps])


def test_rows_after_a_feature_date_change_nothing_before_it(con):
    demo.load_demo(con, "demo", n_customers=3000, seed=5)
    dataset_id = datasets.get_dataset(con, "demo").dataset_id
    horizon = 90
    t0, t1 = AS_OF - timedelta(2 * horizon), AS_OF - timedelta(horizon)
    model = churn.ChurnModel().fit(churn.training_frames(con, dataset_id, AS_OF, horizon_days=horizon))
    train = churn.churn_examples(con, dataset_id, t0, horizon)
    before_scores = churn.score_churn(con, dataset_id, AS_OF, model=model)
    churned = train.loc[train["is_churned"], "customer_id"].iloc[:5].tolist()

    # 1. Rows after the scoring date: features, training set, metrics and scores all stay put.
    _append(con, dataset_id,
            transactions=[(c, AS_OF + timedelta(days=1 + i), 500.0) for i, c in enumerate(churned)]
            + [("newcomer", AS_OF + timedelta(days=3), 80.0)],
            interactions=[(c, AS_OF + timedelta(days=2), "complaint", 0) for c in churned])
    refit = churn.ChurnModel().fit(churn.training_frames(con, dataset_id, AS_OF, horizon_days=horizon))
    pd.testing.assert_frame_equal(refit.report_.metrics, model.report_.metrics)
    pd.testing.assert_frame_equal(churn.churn_examples(con, dataset_id, t0, horizon), train)
    pd.testing.assert_frame_equal(churn.score_churn(con, dataset_id, AS_OF, model=refit), before_scores)

    # 2. Rows in the validation label window (t1, as_of]: the training set (features and labels) stays put.
    _append(con, dataset_id, transactions=[(c, t1 + timedelta(days=10), 300.0) for c in churned])
    pd.testing.assert_frame_equal(churn.churn_examples(con, dataset_id, t0, horizon), train)

    # 3. Rows in the training label window (t0, t1]: the features as of t0 stay put, only the labels move,
    #    which shows the label really looks at that window.
    _append(con, dataset_id, transactions=[(c, t0 + timedelta(days=10), 300.0) for c in churned],
            interactions=[(c, t0 + timedelta(days=5), "complaint", 1) for c in churned])
    after = churn.churn_examples(con, dataset_id, t0, horizon)
    feature_columns = list(features.FEATURE_COLUMNS)
    pd.testing.assert_frame_equal(after[feature_columns], train[feature_columns])
    moved = after.set_index("customer_id").loc[churned, "is_churned"]
    assert not moved.any()
    assert (after["is_churned"] != train["is_churned"]).sum() == len(churned)


def test_score_churn_fits_its_own_model_the_same_way(demo_con, fitted, scores):
    con, dataset_id, _ = demo_con
    pd.testing.assert_frame_equal(churn.score_churn(con, dataset_id, AS_OF, random_state=0), scores)
    with pytest.raises(CustlibError, match="learned from data up to 2026-09-30, after the scoring date"):
        churn.score_churn(con, dataset_id, AS_OF - timedelta(days=30), model=fitted)
