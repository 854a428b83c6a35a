"""Segmentation: quintile scores, named segments, value tiers, lifecycle stages, migration, clusters."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from custlib import datasets, segments
from custlib.segments import rfm
from custlib.segments import (NEW_LABEL, SEGMENTS, STAGES, TIERS, LifecycleThresholds, RFMClusterer, SegmentRule,
                              lifecycle_stages, migration_matrix, quintile_scores, rfm_segments, segment_from_scores,
                              value_tiers)

# Seeded and reproducible: hypothesis draws the same examples on every run.
PROPERTY = settings(derandomize=True, max_examples=60, deadline=None)

values_with_ties = st.lists(st.integers(-3, 12), min_size=1, max_size=80)
values_any = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=80)


# --- quintile scores -------------------------------------------------------------

@PROPERTY
@given(st.one_of(values_with_ties, values_any))
def test_scores_are_1_to_5_monotone_and_equal_values_share_a_score(values):
    x = np.array(values, dtype=float)
    scores = quintile_scores(x)
    assert scores.min() >= 1 and scores.max() <= 5
    order = np.argsort(x, kind="stable")
    assert (np.diff(scores[order]) >= 0).all()
    for value in np.unique(x):
        assert len(set(scores[x == value])) == 1
    if len(np.unique(x)) >= 5:
        assert set(scores) == {1, 2, 3, 4, 5}


@PROPERTY
@given(values_with_ties, st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_input_order(values, random):
    x = np.array(values, dtype=float)
    shuffled = x.copy()
    random.shuffle(shuffled)
    by_value = dict(zip(x, quintile_scores(x)))
    assert all(by_value[v] == s for v, s in zip(shuffled, quintile_scores(shuffled)))


def test_scores_are_exact_fifths_without_ties_and_reverse_when_lower_is_better():
    x = np.arange(100)
    assert np.bincount(quintile_scores(x))[1:].tolist() == [20] * 5
    assert (quintile_scores(x, higher_is_better=False) == 6 - quintile_scores(x)).all()


def test_heavy_ties_keep_equal_values_together_and_balance_the_rest():
    # 60 customers at 0, 20 at 1, then 2..21 once each (n = 100, fifths of 20).
    # 0 and 1 must be whole groups (60 and 20); the 20 distinct values left are split as evenly as
    # possible into the three remaining scores: 6, 7, 7 (sum of squared gaps to 20 is minimal).
    x = np.r_[np.zeros(60), np.ones(20), np.arange(2, 22)]
    assert np.bincount(quintile_scores(x))[1:].tolist() == [60, 20, 6, 7, 7]


def test_fewer_than_five_values_get_one_score_each_near_their_middle_rank():
    # 90 at 0 (middle rank 45% -> score 3), 10 at 1 (95% -> 5).
    assert sorted(set(quintile_scores(np.r_[np.zeros(90), np.ones(10)]))) == [3, 5]
    assert quintile_scores([7.0]).tolist() == [3]


def test_many_distinct_values_with_a_big_tie_still_balanced():
    rng = np.random.default_rng(3)
    x = np.r_[np.zeros(50_000), rng.random(50_000)]  # over 2000 distinct values: pooled search
    assert np.bincount(quintile_scores(x))[1:].tolist() == [50_000, 12_500, 12_500, 12_500, 12_500]


def test_missing_values_are_refused():
    with pytest.raises(ValueError, match="1 missing values"):
        quintile_scores([1.0, np.nan])


# --- named segments ----------------------------------------------------------------

def test_rules_table_covers_each_r_f_cell_exactly_once():
    grid = rfm._segment_grid()
    assert sorted(np.unique(grid)) == list(range(len(segments.SEGMENT_RULES)))
    assert len(SEGMENTS) == 11 and len(set(SEGMENTS)) == 11
    with pytest.raises(ValueError, match="overlaps"):
        rfm._segment_grid(segments.SEGMENT_RULES + (SegmentRule("extra", 5, 5, 5, 5, ""),))
    with pytest.raises(ValueError, match="no segment rule covers R=1, F=1"):
        rfm._segment_grid(tuple(r for r in segments.SEGMENT_RULES if r.segment != "lost"))


@pytest.mark.parametrize(("r", "f", "segment"), [
    (5, 5, "champions"), (5, 4, "champions"), (4, 5, "loyal"), (3, 4, "loyal"), (5, 2, "potential loyalists"),
    (5, 1, "new"), (4, 1, "promising"), (3, 3, "need attention"), (3, 1, "about to sleep"), (2, 3, "at risk"),
    (1, 5, "can't lose them"), (2, 2, "hibernating"), (1, 1, "lost"), (1, 2, "lost"),
])
def test_segment_of_a_cell_matches_the_docstring_table(r, f, segment):
    assert segment_from_scores([r], [f]).tolist() == [segment]
    assert f"**{segment}**" in rfm.__doc__


@PROPERTY
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=50))
def test_every_score_pair_gets_exactly_one_known_segment(pairs):
    r, f = zip(*pairs)
    result = segment_from_scores(r, f)
    assert len(result) == len(pairs) and set(result) <= set(SEGMENTS)


def _features_frame(rows) -> pd.DataFrame:
    """A frame with the feature columns the segment functions read; rows from hypothesis."""
    frame = pd.DataFrame(rows, columns=["days_since_last_order", "purchase_days", "net_spend_amount",
                                        "tenure_extra", "gap", "spend_last_180d", "spend_prev_180d"])
    frame.insert(0, "customer_id", [f"c{i:03d}" for i in range(len(frame))])
    no_purchase = frame["purchase_days"] == 0
    frame["frequency"] = (frame["purchase_days"] - 1).astype("Float64").mask(no_purchase)
    frame["days_since_last_order"] = frame["days_since_last_order"].astype("Float64").mask(no_purchase)
    frame["tenure_days"] = frame["days_since_last_order"].fillna(0) + frame["tenure_extra"]
    frame["typical_gap_days"] = frame["gap"].astype("Float64").mask(frame["purchase_days"] < 2)
    frame["avg_order_value"] = frame["net_spend_amount"] / frame["purchase_days"].replace(0, np.nan)
    for column in ("orders_last_180d", "orders_prev_180d"):
        frame[column] = (frame[column.replace("orders", "spend")] > 0).astype(int)
    return frame


feature_rows = st.lists(st.tuples(
    st.integers(0, 800), st.integers(0, 12), st.floats(-50, 5000, allow_nan=False), st.integers(0, 900),
    st.floats(1, 200), st.sampled_from([0.0, 10.0, 50.0, 200.0]), st.sampled_from([0.0, 10.0, 50.0, 200.0]),
), min_size=1, max_size=60)


@PROPERTY
@given(feature_rows, st.booleans())
def test_every_customer_gets_exactly_one_segment_and_scores_in_range(rows, use_fm):
    frame = _features_frame(rows)
    result = rfm_segments(frame, use_fm_average=use_fm)
    assert result["customer_id"].tolist() == frame["customer_id"].tolist()
    assert result["segment"].notna().all() and set(result["segment"]) <= set(SEGMENTS)
    for column in ("r_score", "f_score", "m_score", "fm_score"):
        assert result[column].between(1, 5).all()


def test_rfm_scores_on_a_small_known_frame():
    # Five customers, all distinct: R from days since (fewest = 5), F from frequency, M from net spend.
    frame = _features_frame([(10, 6, 900.0, 0, 30, 0, 0), (40, 5, 50.0, 0, 30, 0, 0), (100, 3, 500.0, 0, 30, 0, 0),
                             (300, 2, 20.0, 0, 30, 0, 0), (700, 1, 300.0, 0, 30, 0, 0)])
    result = rfm_segments(frame)
    assert result["rfm_cell"].tolist() == ["555", "442", "334", "221", "113"]
    assert result["segment"].astype(str).tolist() == ["champions", "loyal", "need attention", "hibernating",
                                                      "lost"]


# --- value tiers ---------------------------------------------------------------------

@PROPERTY
@given(st.lists(st.integers(0, 6), min_size=1, max_size=120),
       st.sampled_from([(0.2, 0.3), (0.1, 0.6), (0.5, 0.5), (0.0, 0.25)]))
def test_tier_shares_match_cut_offs_within_rounding(clvs, shares):
    clv = pd.Series(clvs, index=[f"c{i:03d}" for i in range(len(clvs))], dtype=float)
    tiers = value_tiers(clv, *shares)
    n = len(clv)
    counts = tiers.value_counts().reindex(TIERS, fill_value=0)
    assert counts["core"] == int(np.floor(n * shares[0] + 0.5))
    assert counts["core"] + counts["potential"] == int(np.floor(n * sum(shares) + 0.5))
    assert tiers.notna().all() and counts.sum() == n
    # a higher CLV never sits in a lower tier
    codes = tiers.cat.codes
    assert all(clv[a] <= clv[b] for a in clv.index for b in clv.index if codes[a] > codes[b])


def test_ties_at_the_cut_off_are_broken_by_customer_id_whatever_the_input_order():
    # 10 customers; the top 2 are core: c9 (100) and then one of the three at 50 -> the smallest id, c2.
    clv = pd.Series([1, 2, 50, 3, 50, 4, 5, 50, 6, 100], index=[f"c{i}" for i in range(10)], dtype=float)
    tiers = value_tiers(clv)
    assert sorted(tiers[tiers == "core"].index) == ["c2", "c9"]
    # next 3 potential: c4, c7 (50) and c8 (6)
    assert sorted(tiers[tiers == "potential"].index) == ["c4", "c7", "c8"]
    shuffled = clv.sample(frac=1, random_state=1)
    assert value_tiers(shuffled).reindex(clv.index).equals(tiers)


def test_tiers_refuse_missing_clv_and_bad_shares():
    with pytest.raises(ValueError, match="1 customers have no CLV"):
        value_tiers(pd.Series([1.0, np.nan], index=["a", "b"]))
    with pytest.raises(ValueError, match="add up to at most 1"):
        value_tiers(pd.Series([1.0]), 0.7, 0.5)


# --- lifecycle stages ------------------------------------------------------------------

@PROPERTY
@given(feature_rows, st.booleans())
def test_every_customer_gets_exactly_one_stage(rows, with_p_alive):
    frame = _features_frame(rows)
    p_alive = None
    if with_p_alive:  # for every other customer only: the rest use the fallback
        p_alive = pd.Series(np.linspace(0, 1, len(frame)), index=frame["customer_id"])[::2]
    result = lifecycle_stages(frame, p_alive)
    assert len(result) == len(frame) and result["stage"].notna().all()
    assert set(result["stage"]) <= set(STAGES)
    assert set(result["alive_basis"]) <= {"p_alive", "recency fallback"}


def test_each_stage_rule_on_hand_made_customers():
    # columns: days since last order, purchase days, net spend, tenure beyond last order, typical gap,
    # spend last 180 days, spend previous 180 days
    frame = _features_frame([
        (10, 1, 50.0, 20, 30, 50, 0),      # tenure 30 <= 90                         -> new
        (400, 5, 900.0, 500, 30, 0, 0),    # 400 days since / 30-day gap > 4 gaps   -> lost
        (70, 5, 900.0, 500, 30, 50, 200),  # 70 / 30 > 2 gaps                       -> decline
        (20, 5, 900.0, 500, 30, 50, 200),  # on time, spend 50 vs 200 = -75%        -> decline
        (20, 2, 900.0, 500, 30, 200, 200), # on time, 2 purchase days               -> exploration
        (20, 6, 900.0, 500, 30, 250, 200), # on time, +25%                          -> development
        (20, 6, 900.0, 500, 30, 200, 200), # on time, flat                          -> stability
        (20, 0, -10.0, 500, 30, 0, 0),     # refunds only                           -> lost
    ])
    result = lifecycle_stages(frame)
    assert result["stage"].astype(str).tolist() == ["new", "lost", "decline", "decline", "exploration",
                                                    "development", "stability", "lost"]
    assert (result["alive_basis"] == "recency fallback").all()
    # With a probability alive it replaces the gap rule (c000 and c007 have none and keep the fallback):
    # c001 0.9 -> no longer lost: stability; c002, c003 0.9 but spend -75% -> decline; c004 0.9 -> exploration;
    # c005 0.05 -> lost; c006 0.3 -> decline.
    p_alive = pd.Series([0.9, 0.9, 0.9, 0.9, 0.05, 0.3], index=[f"c00{i}" for i in range(1, 7)])
    with_p = lifecycle_stages(frame, p_alive)
    assert with_p["stage"].astype(str).tolist() == ["new", "stability", "decline", "decline", "exploration",
                                                    "lost", "decline", "lost"]
    assert with_p["alive_basis"].tolist() == ["recency fallback"] + ["p_alive"] * 6 + ["recency fallback"]


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match="trend_window_days must be one of"):
        LifecycleThresholds(trend_window_days=30)
    with pytest.raises(ValueError, match="lost_p_alive <= decline_p_alive"):
        LifecycleThresholds(lost_p_alive=0.6)


# --- migration -----------------------------------------------------------------------------

labels_st = st.sampled_from(["a", "b", "c"])


@PROPERTY
@given(st.dictionaries(st.integers(0, 40), labels_st, max_size=30),
       st.dictionaries(st.integers(0, 40), labels_st, max_size=30))
def test_migration_totals_equal_customer_counts(before, after):
    before_s, after_s = pd.Series(before, dtype=object), pd.Series(after, dtype=object)
    value = pd.Series(1.5, index=list(after))
    result = migration_matrix(before_s, after_s, value, labels=["a", "b", "c"])
    customers = set(before) | set(after)
    assert int(result.counts.to_numpy().sum()) == len(customers)
    assert result.counts.loc[NEW_LABEL].sum() == len(set(after) - set(before))
    for label in "abc":
        assert result.counts.loc[label].sum() == sum(1 for v in before.values() if v == label)
        assert result.counts[label].sum() == sum(1 for v in after.values() if v == label)
    assert result.value.to_numpy().sum() == pytest.approx(1.5 * len(after))


def test_migration_between_two_dates_from_the_database(con):
    rng = np.random.default_rng(8)
    n = 400
    tx = pd.DataFrame({
        "customer_id": np.char.add("c", rng.integers(0, 80, n).astype(str)),
        "order_date": np.datetime64("2023-01-01") + rng.integers(0, 540, n).astype("timedelta64[D]"),
        "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
    })
    datasets.store_frame(con, "m", "transactions", tx)
    dataset_id = datasets.get_dataset(con, "m").dataset_id
    early, late = date(2023, 9, 30), date(2024, 6, 30)
    first_seen = tx.groupby("customer_id")["order_date"].min()
    n_early = int((first_seen <= pd.Timestamp(early)).sum())
    n_late = int((first_seen <= pd.Timestamp(late)).sum())
    for by, labels in (("segment", SEGMENTS), ("stage", STAGES)):
        result = segments.migration(con, dataset_id, early, late, by=by)
        assert list(result.counts.columns) == list(labels)
        assert result.counts.to_numpy().sum() == n_late
        assert result.counts.loc[NEW_LABEL].sum() == n_late - n_early
        spend = tx.loc[(tx["order_date"] > pd.Timestamp(late) - pd.Timedelta(days=365))
                       & (tx["order_date"] <= pd.Timestamp(late)), "amount"].sum()
        assert result.value.to_numpy().sum() == pytest.approx(spend)
    with pytest.raises(ValueError, match="must be before"):
        segments.migration(con, dataset_id, late, early)


# --- clusters -------------------------------------------------------------------------------

def _three_groups(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # best: recent, frequent, big; middle; lapsed one-timers with small baskets (well apart on a log scale)
    parts = [(5, 20, 3000), (60, 4, 300), (600, 0, 20)]
    frames = [pd.DataFrame({
        "days_since_last_order": rng.lognormal(np.log(d + 1), 0.2, 300),
        "frequency": np.round(rng.lognormal(np.log(f + 1), 0.15, 300)) - 1,
        "monetary": rng.lognormal(np.log(m), 0.2, 300),
    }) for d, f, m in parts]
    return pd.concat(frames, ignore_index=True).clip(lower=0)


def test_clusterer_finds_the_three_groups_and_names_them():
    data = _three_groups()
    model = RFMClusterer(sample_size=500, random_state=0)
    with threadpool_limits(limits=1):  # 900 rows: OpenMP threads only add overhead (seconds on a busy machine)
        assert model.fit(data) is model
        again = clone(model).fit(data)
    assert model.n_clusters_ == 3 and model.silhouette_scores_.idxmax() == 3
    assert model.descriptions_[0] == "recent, frequent, high spend"
    assert model.descriptions_[2] == "lapsed, infrequent, low spend"
    assert (model.predict(data) == model.labels_).all()
    assert model.cluster_sizes_.tolist() == [300, 300, 300]
    # learned state ends in "_" (scikit-learn contract): the k-means label -> cluster map is a permutation
    assert sorted(model.relabel_) == [0, 1, 2] and not [name for name in vars(model) if name.startswith("_")]
    # same seed, same answer; settings survive clone (scikit-learn contract)
    assert (again.labels_ == model.labels_).all()


def test_clusterer_needs_fitting_and_the_rfm_columns():
    with pytest.raises(NotFittedError):
        RFMClusterer().predict(_three_groups())
    with pytest.raises(NotFittedError):
        check_is_fitted(RFMClusterer())  # nothing learned is set before fit
    with pytest.raises(ValueError, match="missing columns"):
        RFMClusterer().fit(pd.DataFrame({"x": [1.0, 2.0]}))


# --- everything at once --------------------------------------------------------------------------

def test_customer_segments_gives_one_row_per_customer_with_every_label(con):
    rng = np.random.default_rng(9)
    n = 300
    tx = pd.DataFrame({
        "customer_id": np.char.add("c", rng.integers(0, 50, n).astype(str)),
        "order_date": np.datetime64("2023-01-01") + rng.integers(0, 500, n).astype("timedelta64[D]"),
        "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
    })
    datasets.store_frame(con, "s", "transactions", tx)
    dataset_id = datasets.get_dataset(con, "s").dataset_id
    ids = sorted(tx["customer_id"].unique())
    clv = pd.Series(rng.gamma(2.0, 100.0, len(ids)), index=ids)
    result = segments.customer_segments(con, dataset_id, "2024-06-01", clv=clv)
    assert result["customer_id"].tolist() == ids
    assert result[["segment", "stage", "tier"]].notna().all().all()
    assert result["tier"].value_counts()["core"] == 10  # 20% of 50
