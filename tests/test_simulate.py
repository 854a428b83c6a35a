"""Promotion vs loyalty simulator (custlib/simulate/).

Numbers come from closed forms (the exponential reach curve; the BG/NBD new-customer expectation,
Fader, Hardie & Lee 2005a eq. 7, evaluated here with scipy's 2F1 directly), from properties that must
hold for any input (hypothesis), and from effects recovered on demo data generated with known truth.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special

from custlib import clv, datasets, db, demo, export, segments, simulate as sim, valuation

BG = {"r": 1.3, "alpha": 7.5, "a": 1.4, "b": 9.6}
MONTH_WEEKS = clv.DAYS_PER_MONTH / 7.0


def _snapshot(frequency, recency, T, spend, params=BG) -> valuation.ValueSnapshot:
    """A value snapshot built by hand from known BG/NBD parameters (no fitting), weeks as the unit."""
    model = clv.BetaGeoFitter.from_params(**params)
    ids = [f"C{i}" for i in range(len(frequency))]
    x, tx, T_ = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    customers = pd.DataFrame({"frequency": x, "recency": tx, "T": T_, "monetary_value": np.nan,
                              "probability_alive": model.probability_alive(x, tx, T_),
                              "expected_purchases": 0.0, "expected_spend": np.asarray(spend, dtype=float),
                              "clv": 0.0}, index=pd.Index(ids, name="customer_id"))
    return valuation.ValueSnapshot(as_of="2024-01-01", settings=valuation.ValueSettings(horizon_months=12),
                                   customers=customers, purchase_model=model, spend_model=None, sufficiency=None)


@pytest.fixture(scope="module")
def small():
    """200 synthetic customers in two segments, with known model parameters."""
    rng = np.random.default_rng(11)
    n = 200
    x = rng.poisson(3, n).astype(float)
    T = rng.integers(10, 120, n).astype(float)
    tx = np.where(x > 0, np.floor(T * rng.uniform(0.2, 1.0, n)), 0.0)
    snap = _snapshot(x, tx, T, rng.gamma(4.0, 150.0, n))
    labels = pd.Series(np.where(np.arange(n) < 80, "core", "rest"), index=snap.customers.index)
    return snap, sim.response_curves(snap, labels)


PLAIN = sim.Assumptions()


# --- closed forms ---------------------------------------------------------------------------------

def test_zero_budget_gives_zero_effect(small):
    _, curves = small
    result = sim.simulate(curves, sim.Scenario(budget_amount=0.0, promo_share=0.4), PLAIN)
    assert (result.drop("roi") == 0).all()
    assert np.isnan(result["roi"])


def test_promotion_matches_the_exponential_reach_closed_form(small):
    snap, curves = small
    c = snap.customers
    budget, n = 3000.0, len(c)
    a = replace(PLAIN, promo_take_rate=0.0, promo_new_customers_per_order=0.0, promo_pull_forward_share=0.0)
    result = sim.simulate(curves, sim.Scenario(budget_amount=budget, promo_share=1.0, margin=0.3,
                                               annual_discount_rate=0.0), a)
    quarter = np.asarray(snap.purchase_model.predict_purchases(3 * MONTH_WEEKS, c["frequency"], c["recency"], c["T"]))
    share = a.promo_uplift * (1 - np.exp(-budget / n / a.promo_saturation_amount)) * a.promo_days / (3 * clv.DAYS_PER_MONTH)
    assert result["quarter_incremental_orders"] == pytest.approx(share * quarter.sum(), rel=1e-10)
    value = share * (quarter * c["expected_spend"]).sum()
    d = a.promo_discount_share
    assert result["quarter_incremental_revenue"] == pytest.approx((1 - d) * value, rel=1e-10)
    assert result["quarter_incremental_margin"] == pytest.approx((0.3 - d) * value, rel=1e-10)
    assert result["promo_value"] == pytest.approx((0.3 - d) * value, rel=1e-10)  # no discounting at 0%
    assert result["loyalty_value"] == 0


@pytest.mark.parametrize("reduction, rtol", [(0.25, 1e-9), (0.33, 2e-3)])  # on a grid node / interpolated
def test_loyalty_on_a_new_customer_matches_bgnbd_eq7(reduction, rtol):
    # One customer just acquired (x = t_x = T = 0, so P(alive) = 1): the expected repeat purchases by t are
    # FHL (2005a) eq. 7, E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
    # Loyalty lowers the mean dropout by `reduction`: b' = (a+b)/(1-reduction) - a.
    snap = _snapshot([0.0], [0.0], [0.0], [100.0])
    curves = sim.response_curves(snap, horizon_months=3)
    a = replace(PLAIN, loyalty_max_dropout_reduction=0.5, loyalty_saturation_amount=10.0)
    spend = -10.0 * np.log(1 - reduction / 0.5)  # 0.5 (1 - exp(-s/10)) = reduction
    result = sim.simulate(curves, sim.Scenario(budget_amount=spend, promo_share=0.0, horizon_months=3, margin=0.4,
                                               annual_discount_rate=0.0), a)

    def eq7(b, t):
        r, alpha, a_ = BG["r"], BG["alpha"], BG["a"]
        return (a_ + b - 1) / (a_ - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a_ + b - 1, t / (alpha + t)))

    t = 3 * MONTH_WEEKS
    lift = eq7((BG["a"] + BG["b"]) / (1 - reduction) - BG["a"], t) - eq7(BG["b"], t)
    assert lift > 0
    assert result["quarter_incremental_orders"] == pytest.approx(lift, rel=rtol)
    assert result["loyalty_value"] == pytest.approx(0.4 * 100.0 * lift, rel=rtol)


# --- properties -------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(low=st.floats(0, 50_000), extra=st.floats(0, 50_000), share=st.floats(0, 1),
       targets=st.sampled_from([(), ("core",), ("rest",)]))
def test_more_budget_never_lowers_the_gross_effect(small, low, extra, share, targets):
    # Gross effect: extra orders (this quarter and over the horizon), discounts given, loyalty value.
    # (Value net of discounts can fall with promotion spend when the discount exceeds the margin.)
    _, curves = small
    a, b = (sim.simulate(curves, sim.Scenario(budget_amount=budget, promo_share=share, target_segments=targets), PLAIN)
            for budget in (low, low + extra))
    for metric in ("quarter_incremental_orders", "horizon_incremental_orders", "quarter_discount_amount",
                   "new_customers", "loyalty_value"):
        assert b[metric] >= a[metric] - 1e-9 * (1 + abs(a[metric])), metric


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.floats(0, 1e6).map(lambda v: round(v, 2)), share=st.floats(0, 1), weight=st.floats(0, 1),
       keep_split=st.booleans())
def test_allocation_sums_exactly_to_the_budget(small, budget, share, weight, keep_split):
    _, curves = small
    plan = sim.Scenario(budget_amount=budget, promo_share=share)
    allocation = sim.allocate(curves, plan, PLAIN, weight=weight, keep_split=keep_split, n_steps=50)
    cents = np.round(allocation[["promo_amount", "loyalty_amount"]].to_numpy() * 100).astype(np.int64)
    assert cents.sum() == round(budget * 100)
    assert allocation["total_amount"].sum() == pytest.approx(budget, abs=1e-6)
    assert (allocation[["promo_amount", "loyalty_amount"]] >= 0).all().all()
    if keep_split:
        assert cents[:, 0].sum() == round(round(budget * 100) * share)


def test_allocation_follows_marginal_return():
    # Two segments that differ only in size: equal spend per customer maximises the total, so the greedy
    # allocation is proportional to customers (to one increment).
    snap = _snapshot([2.0] * 30, [20.0] * 30, [40.0] * 30, [200.0] * 30)
    labels = pd.Series(["a"] * 10 + ["b"] * 20, index=snap.customers.index)
    curves = sim.response_curves(snap, labels)
    allocation = sim.allocate(curves, sim.Scenario(budget_amount=3000.0, promo_share=0.0), PLAIN, n_steps=300)
    assert allocation.set_index("segment")["loyalty_amount"].to_dict() == pytest.approx({"a": 1000.0, "b": 2000.0},
                                                                                         abs=10.0)


def test_frontier_marks_the_chosen_split_and_bands_are_ordered(small):
    _, curves = small
    plan = sim.Scenario(budget_amount=5000.0, promo_share=0.33)
    frame = sim.frontier(curves, plan, PLAIN, n_points=21, n_draws=200)
    assert tuple(frame.columns[:len(sim.FRONTIER_COLUMNS)]) == sim.FRONTIER_COLUMNS
    assert len(frame) == 22 and frame["is_chosen"].sum() == 1
    assert frame.loc[frame["is_chosen"], "promo_share"].item() == pytest.approx(0.33)
    chosen = sim.simulate(curves, plan, PLAIN)
    assert frame.loc[frame["is_chosen"], "npv"].item() == pytest.approx(chosen["npv"])
    assert frame.loc[frame["promo_share"] == 0, "promo_value"].item() == 0
    assert frame.loc[frame["promo_share"] == 1, "loyalty_value"].item() == 0
    assert (frame["npv_p05"] <= frame["npv_p95"]).all()


def test_best_split_beats_every_frontier_point(small):
    _, curves = small
    plan = sim.Scenario(budget_amount=8000.0, promo_share=0.5)
    for weight in (0.0, 0.5, 1.0):
        best = sim.best_split(curves, plan, PLAIN, weight)
        grid = sim.frontier(curves, plan, PLAIN, n_points=41)
        scores = weight * grid["quarter_incremental_revenue"] + (1 - weight) * grid["npv"]
        assert best.score >= scores.max() - 1e-6
        assert 0 <= best.promo_share <= 1


def test_uncertainty_is_seeded_and_ordered(small):
    _, curves = small
    plan = sim.Scenario(budget_amount=5000.0, promo_share=0.5)
    one = sim.simulate_uncertainty(curves, plan, PLAIN, n_draws=500, random_state=3)
    two = sim.simulate_uncertainty(curves, plan, PLAIN, n_draws=500, random_state=3)
    pd.testing.assert_frame_equal(one, two)
    assert tuple(one.columns) == sim.UNCERTAINTY_COLUMNS
    assert (one["p05"] <= one["p50"]).all() and (one["p50"] <= one["p95"]).all()
    # a fixed assumption (range of one point) gives no band
    fixed = sim.Assumptions(ranges={name: (getattr(PLAIN, name),) * 2 for name in sim.Assumptions.names()})
    flat = sim.simulate_uncertainty(curves, plan, fixed, n_draws=50)
    assert np.allclose(flat["p05"], flat["point"]) and np.allclose(flat["p95"], flat["point"])


def test_assumptions_table_states_value_range_and_source():
    table = sim.Assumptions().table()
    assert tuple(table.columns) == sim.ASSUMPTION_TABLE_COLUMNS
    assert set(table["name"]) == set(sim.Assumptions.names())
    assert (table["low"] <= table["value"]).all() and (table["value"] <= table["high"]).all()
    assert set(table["source"]) == {sim.ASSUMED}
    for name in sim.Assumptions.names():  # every field is documented with its default and range
        assert name in sim.Assumptions.__doc__
    with pytest.raises(ValueError, match="promo_take_rate"):
        sim.Assumptions(promo_take_rate=1.5)


# --- recovery of the demo truth ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    con = db.connect(tmp_path_factory.mktemp("sim") / "demo.duckdb")
    data = demo.load_demo(con, n_customers=6000, seed=7)
    yield con, datasets.get_dataset(con, "demo").dataset_id, data.truth
    con.close()


def test_estimates_recover_the_demo_truth(demo_db):
    con, dataset_id, truth = demo_db
    est = sim.estimate_promotion_effects(con, dataset_id, truth["end_date"])
    true_days = pd.DatetimeIndex([d for p in truth["promo"]["periods"] for d in pd.date_range(p["start_date"],
                                                                                             p["end_date"])])
    # Promotion days are found from the is_promo share alone: all of them, nothing else.
    assert est.promo_days.isin(true_days).all() and true_days.isin(est.promo_days).mean() >= 0.95
    # Retention by acquisition: BG/NBD per cohort recovers the mean dropout a/(a+b) of each group
    # (truth: organic 0.10, promo 0.22) and the gap between them (0.12) within 0.03 / 0.06 / 0.06.
    acq = est.acquisition
    assert acq.loc["organic", "dropout_mean"] == pytest.approx(truth["dropout_mean"]["organic"], abs=0.03)
    assert acq.loc["promo", "dropout_mean"] == pytest.approx(truth["dropout_mean"]["promo"], abs=0.06)
    true_gap = truth["dropout_mean"]["promo"] - truth["dropout_mean"]["organic"]
    assert est.dropout_gap == pytest.approx(true_gap, abs=0.06)
    # ... and the 12-month repeat purchases of a new promo-acquired customer against an organic one
    # (truth from the generating parameters: 0.62) within 0.1.
    weeks = sim.WEEKS_PER_12_MONTHS
    true = {k: clv.BetaGeoFitter.from_params(**v).expected_purchases_new(weeks) for k, v in truth["purchase"].items()}
    assert (acq.loc["promo", "new_customer_purchases_12m"] / acq.loc["organic", "new_customer_purchases_12m"]
            == pytest.approx(true["promo"] / true["organic"], abs=0.1))
    # A first day can hold a second (promotion) order, which flags the day: a little above the truth.
    assert est.promo_acquired_share == pytest.approx(truth["promo"]["promo_acquired_share"], abs=0.01)
    # Discount depth: the periods' depths weighted by the true daily intensity (about 0.16), within 0.01.
    intensity = truth["daily_intensity"]
    depth = pd.Series({d: p["discount"] for p in truth["promo"]["periods"]
                       for d in pd.date_range(p["start_date"], p["end_date"])})
    weights = intensity.reindex(depth.index)
    assert est.promo_discount_share == pytest.approx((weights * depth).sum() / weights.sum(), abs=0.01)
    # Uplift: the demo's nominal purchase-intensity uplift is 0.6; the repeat-order rate its data realise
    # on promotion days is lower (about 0.5 per unit of stated intensity, dropout after every purchase
    # thins the buyers), so the estimate is held to 0.15 of the nominal value. Take rate (truth 0.35)
    # inherits that bias: within 0.08. Acquisition uplift (truth 2.5) within 0.6.
    assert est.promo_uplift == pytest.approx(truth["promo"]["uplift"], abs=0.15)
    assert est.promo_take_rate == pytest.approx(truth["promo"]["base_take_rate"], abs=0.08)
    assert est.acquisition_uplift == pytest.approx(truth["promo"]["acquisition_uplift"], abs=0.6)
    # The generator has no pull-forward: the estimate's 95% interval starts at (about) zero.
    assert est.promo_pull_forward_interval[0] <= 0.02 and est.promo_pull_forward_share <= 0.25
    assumptions = sim.default_assumptions(est, average_order_amount=800.0)
    assert assumptions.source("promo_uplift") == sim.ESTIMATED
    assert assumptions.source("loyalty_max_dropout_reduction") == sim.ASSUMED
    assert assumptions.promo_saturation_amount == pytest.approx(16.0)


def test_marts_follow_their_contracts_and_docs(demo_db):
    con, dataset_id, truth = demo_db
    for name, contract in (("mart_sim_daily_orders", sim.DAILY_COLUMNS),
                           ("mart_sim_acquisition", sim.ACQUISITION_MART_COLUMNS)):
        frame = db.query(con, name, dataset_id=dataset_id, as_of=truth["end_date"])
        assert tuple(frame.columns) == contract
        text = db.sql_text(name)
        assert all(f"--   {column} " in text for column in contract), name
    daily = db.query(con, "mart_sim_daily_orders", dataset_id=dataset_id, as_of=truth["end_date"])
    assert daily["order_date"].is_unique and (daily["orders"] == daily["first_orders"] + daily["repeat_orders"]).all()
    assert pd.Timestamp(daily["order_date"].max()).date() == truth["end_date"]
    summary = clv.summary_as_of(con, dataset_id, truth["end_date"])
    assert daily["orders"].sum() == (summary["frequency"] + 1).sum()  # the CLV models' occasions


def test_simulation_on_demo_values_with_tiers(demo_db):
    con, dataset_id, truth = demo_db
    snap = valuation.value_customers(con, dataset_id, truth["end_date"])
    curves = sim.response_curves(snap, segments.value_tiers(snap.customers["clv"]))
    assert curves.segments == ("core", "low-value", "potential")
    plan = sim.Scenario(budget_amount=50_000.0, promo_share=0.5, target_segments=("core",))
    result = sim.simulate(curves, plan, sim.default_assumptions(average_order_amount=curves.average_order_amount))
    assert tuple(result.index) == sim.RESULT_COLUMNS
    assert result["npv"] == pytest.approx(result["incremental_value"] - 50_000.0)
    with pytest.raises(Exception, match="Unknown target segment"):
        sim.simulate(curves, replace(plan, target_segments=("gold",)), PLAIN)
    with pytest.raises(Exception, match="rebuild"):
        sim.simulate(curves, replace(plan, horizon_months=24), PLAIN)


# --- stored scenarios ---------------------------------------------------------------------------------

def test_scenarios_are_saved_listed_compared_and_exported(con, small):
    _, curves = small
    db.ensure_schema(con)  # idempotent: connect made the tables already
    plan_a = sim.Scenario(budget_amount=1000.0, promo_share=0.2, target_segments=("core",))
    plan_b = sim.Scenario(budget_amount=2000.0, promo_share=0.8)
    first = sim.save_scenario(con, 1, "=HYPERLINK(\"http://x\")", plan_a, PLAIN, curves=curves, as_of="2024-01-01")
    second = sim.save_scenario(con, 1, "promo heavy", plan_b, PLAIN, curves=curves)
    sim.save_scenario(con, 2, "other dataset", plan_b, PLAIN, curves=curves)
    listed = sim.list_scenarios(con, 1)
    assert tuple(listed.columns) == sim.SCENARIO_LIST_COLUMNS
    assert set(listed["scenario_id"]) == {first, second}
    name, plan, assumptions, result = sim.load_scenario(con, 1, first)
    assert plan == plan_a and assumptions == PLAIN
    pd.testing.assert_series_equal(result, sim.simulate(curves, plan_a, PLAIN), check_names=False)
    side = sim.compare_scenarios(con, 1, [first, second])
    assert side.shape[1] == 2 and side.loc["budget_amount"].tolist() == [1000.0, 2000.0]
    assert side.columns[0] == f'{first}: =HYPERLINK("http://x")'  # starts with a digit: harmless
    text = export.csv_bytes(listed).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    negative = export.csv_bytes(pd.DataFrame({"note": ["-1+2", "@cmd", "+x", "ok"], "amount": [-5.0, 1, 2, 3]}),
                             index=False).decode("utf-8-sig")
    assert negative.splitlines() == ["note,amount", "'-1+2,-5.0", "'@cmd,1.0", "'+x,2.0", "ok,3.0"]
    sim.delete_scenario(con, 1, first)
    assert list(sim.list_scenarios(con, 1)["scenario_id"]) == [second]
