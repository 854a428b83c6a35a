"""custlib.clv: published CDNOW results, the occasion rule in SQL, parameter recovery on simulated
data, hand-checked formulas (numerical integration), properties, and input checks.

Sources of the numbers:
- BG/NBD on CDNOW: Fader, Hardie & Lee (2005a) "Counting Your Customers the Easy Way", and the
  values of Hardie's BG/NBD spreadsheet (E[X(t)], E[Y(39) | 2, 30.43, 38.86] = 1.226).
- Pareto/NBD on CDNOW: Fader & Hardie (2005) "A Note on Implementing the Pareto/NBD Model in
  MATLAB" (LL -9594.98) and Hardie's Pareto/NBD spreadsheet (E[Y(52) | 26, 30.86, 31] = 25.46).
- MBG/NBD on CDNOW: BTYDplus (Platzer), as cross-checked by lifetimes' test suite.
- Gamma-Gamma on CDNOW: Fader, Hardie & Lee (2005b) "RFM and CLV: Using Iso-Value Curves".
"""
from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special, stats
from sklearn.exceptions import NotFittedError

from custlib import clv, datasets, db
from custlib.clv.pareto import _pareto_loglik

# Published CDNOW parameters (weeks), for fast tests that pin parameters instead of refitting.
BG_CDNOW = dict(r=0.2425, alpha=4.4136, a=0.7929, b=2.4259)
PARETO_CDNOW = dict(r=0.5534, alpha=10.5802, s=0.6061, beta=11.6562)
MBG_CDNOW = dict(r=0.525, alpha=6.183, a=0.891, b=1.614)
GG_CDNOW = dict(p=6.25, q=3.74, v=15.44)


# --- fixtures and simulators ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_dir) -> pd.DataFrame:
    return pd.read_csv(cdnow_dir / "cdnow_customers_summary.csv")


def cdnow_transactions(cdnow_dir) -> pd.DataFrame:
    raw = pd.read_csv(cdnow_dir / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["full_id", "sample_id", "date", "cds", "dollars"],
                      dtype={"full_id": str, "sample_id": str, "date": str})
    return pd.DataFrame({"customer_id": raw["sample_id"].astype(int).astype(str),
                         "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
                         "amount": raw["dollars"], "quantity": raw["cds"]})


@pytest.fixture
def cdnow_db(con, cdnow_dir):
    datasets.store_frame(con, "cdnow", "transactions", cdnow_transactions(cdnow_dir))
    return con, datasets.get_dataset(con, "cdnow").dataset_id


def _cohort_T(rng, n):
    """Observation windows on a day grid (1 day .. 52 weeks), in weeks, as a real cohort has."""
    return rng.integers(1, 52 * 7 + 1, n) / 7.0


def simulate_bgnbd(n, r, alpha, a, b, seed, modified=False, holdout=0.0):
    """(frequency, recency, T, holdout purchases) of BG/NBD (or MBG/NBD) customers, vectorised.

    lambda ~ Gamma(r, alpha), p ~ Beta(a, b). Repeat arrivals in (0, T] are Poisson(lambda T); the
    customer dies right after repeat purchase K ~ Geometric(p) (K >= 1; MBG: K - 1, so K = 0 means
    dead right after the first purchase). x = min(M, K) and, given M arrivals, the x-th arrival time
    is T * Beta(x, M - x + 1) (uniform order statistic). Alive at T iff K > M; the holdout count of
    an alive customer is min(Poisson(lambda t), Geometric(p)) (memoryless).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = _cohort_T(rng, n)
    K = rng.geometric(p) - (1 if modified else 0)
    M = rng.poisson(lam * T)
    x = np.minimum(M, K)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(M - x + 1, 1)), 0.0)
    hold = np.where(K > M, np.minimum(rng.poisson(lam * holdout), rng.geometric(p)), 0)
    return x.astype(float), tx, T, hold


def simulate_pareto_nbd(n, r, alpha, s, beta, seed):
    """Pareto/NBD customers: lifetime tau ~ Exp(mu), mu ~ Gamma(s, beta); purchases Poisson(lambda)
    up to min(T, tau); the last of x uniform arrivals on [0, L] is L * U^(1/x)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    mu = rng.gamma(s, 1 / beta, n)
    T = _cohort_T(rng, n)
    end = np.minimum(T, rng.exponential(1 / mu))
    x = rng.poisson(lam * end)
    tx = np.where(x > 0, end * rng.random(n) ** (1 / np.maximum(x, 1)), 0.0)
    return x.astype(float), tx, T


def simulate_gamma_gamma(n, p, q, v, seed):
    """x in 1..9 occasions; nu ~ Gamma(q, v); the mean of x Gamma(p, nu) spends is Gamma(p x, x nu)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, n).astype(float)
    nu = rng.gamma(q, 1 / v, n)
    return x, rng.gamma(p * x, 1 / (x * nu))


def assert_recovered(model, true: dict, n_se: float = 3.0):
    z = (model.params_ - pd.Series(true)) / model.standard_errors_
    assert np.all(np.isfinite(z)), model.summary()
    assert (z.abs() < n_se).all(), f"not recovered within {n_se} SE:\n{model.summary()}\nz = {z.to_dict()}"


# --- published results on CDNOW -----------------------------------------------------------------


def test_bgnbd_params_match_Fader_Hardie_Lee_2005(cdnow_summary):
    model = clv.BetaGeoFitter().fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    np.testing.assert_allclose(model.params_[["r", "alpha", "a", "b"]], [0.243, 4.414, 0.793, 2.426], rtol=5e-3)
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert model.n_customers_ == 2357
    assert list(model.params_.index) == ["r", "alpha", "a", "b"]
    ci = model.confidence_intervals_
    assert ((ci["lower 95% bound"] < model.params_) & (model.params_ < ci["upper 95% bound"])).all()


def test_bgnbd_conditional_expectation_matches_Hardie_spreadsheet():
    model = clv.BetaGeoFitter.from_params(**BG_CDNOW)
    assert model.predict_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)


def test_bgnbd_unconditional_expectation_matches_Hardie_spreadsheet():
    model = clv.BetaGeoFitter.from_params(**BG_CDNOW)
    times = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
    expected = np.array([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576])
    np.testing.assert_allclose(model.expected_purchases_new(times), expected, atol=6e-4)


def test_paretonbd_params_match_Fader_Hardie_2005(cdnow_summary):
    model = clv.ParetoNBDFitter().fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    np.testing.assert_allclose(model.params_[["r", "alpha", "s"]], [0.5534, 10.5802, 0.6061], rtol=2e-3)
    # beta is weakly identified on CDNOW (SE ~ 6): published 11.66, we require agreement within 0.1
    assert model.params_["beta"] == pytest.approx(11.66, abs=0.1)
    assert model.log_likelihood_ == pytest.approx(-9594.98, abs=0.05)


def test_paretonbd_conditional_expectation_matches_Hardie_spreadsheet():
    model = clv.ParetoNBDFitter.from_params(**PARETO_CDNOW)
    assert model.predict_purchases(52, 26, 30.86, 31.0)[0] == pytest.approx(25.46, abs=0.01)


def test_mbgnbd_params_match_BTYDplus(cdnow_summary):
    model = clv.ModifiedBetaGeoFitter().fit(cdnow_summary["frequency"], cdnow_summary["recency"],
                                            cdnow_summary["T"])
    np.testing.assert_allclose(model.params_[["r", "alpha", "a", "b"]], [0.525, 6.183, 0.891, 1.614], rtol=2e-3)
    assert model.log_likelihood_ > -9582.4  # one more way to die fits CDNOW slightly better


def test_summary_sql_reproduces_cdnow_csv_and_published_fits(cdnow_db, cdnow_summary):
    """Raw CDNOW transactions -> mart_clv_summary as of 1997-09-30 in weeks -> FHL 2005a/b results."""
    con, dataset_id = cdnow_db
    summary = clv.summary_as_of(con, dataset_id, "1997-09-30", unit="week")
    assert len(summary) == 2357 and summary["customer_id"].is_unique
    merged = summary.assign(ID=summary["customer_id"].astype(int)).merge(cdnow_summary, on="ID",
                                                                         suffixes=("", "_csv"))
    assert len(merged) == 2357
    assert (merged["frequency"] == merged["frequency_csv"]).all()
    assert (merged["recency"].round(2) == merged["recency_csv"]).all()
    assert (merged["T"].round(2) == merged["T_csv"]).all()

    bg = clv.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(bg.params_, [0.243, 4.414, 0.793, 2.426], rtol=5e-3)
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)

    repeat = summary[summary["spend_frequency"] > 0]
    assert len(repeat) == 946
    gg = clv.GammaGammaFitter().fit(repeat["spend_frequency"], repeat["monetary_value"])
    np.testing.assert_allclose(gg.params_[["p", "q", "v"]], [6.25, 3.74, 15.44], rtol=5e-3)
    # customer 1: repeat occasions 1997-01-18 ($29.73) and 1997-08-02 ($14.96); the 1997-12-12 one is later
    one = summary.set_index("customer_id").loc["1"]
    assert one["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)
    assert str(one["first_purchase_date"])[:10] == "1997-01-01"
    assert str(one["last_purchase_date"])[:10] == "1997-08-02"


def test_bgnbd_holdout_total_on_cdnow_is_close_to_actual(cdnow_db, cdnow_summary):
    """FHL 2005a, Figure 4: conditional expectations over weeks 40-78 follow the actual means by
    calibration frequency, under-predicting somewhat (1,882 actual; BG/NBD 1,653, MBG/NBD 1,577)."""
    con, dataset_id = cdnow_db
    holdout = clv.holdout_purchases(con, dataset_id, "1997-09-30", "1998-06-30")
    assert len(holdout) == 2357
    cal = cdnow_summary.assign(customer_id=cdnow_summary["ID"].astype(str))
    result = clv.compare_models(cal, holdout, holdout_length=39.0)
    table = result.table
    assert set(table.index) == {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    assert table.loc["BG/NBD", "actual_total"] == holdout.sum() == 1882
    for name in table.index:
        assert table.loc[name, "predicted_total"] == pytest.approx(1882, rel=0.2)
        assert np.all(np.diff(result.by_calibration_frequency[name]) > 0)
    assert table.loc["BG/NBD", "predicted_total"] == pytest.approx(1653.4, abs=0.5)
    assert result.best == table["mae"].idxmin()
    assert list(result.by_calibration_frequency.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert result.by_calibration_frequency["n_customers"].sum() == 2357


# --- the occasion rule in SQL --------------------------------------------------------------------


def test_occasion_rule_refund_only_days_zero_lines_and_net_negative_days(con):
    lines = pd.DataFrame([
        # customer, date, amount
        ("refund_only", "2024-01-05", -20.0),            # only returns before as_of: no row at all
        ("a", "2024-01-01", 50.0),                        # first occasion
        ("a", "2024-01-08", -30.0),                       # refund-only day: not an occasion
        ("a", "2024-01-15", 0.0),                         # $0 free item: an occasion with spend 0
        ("a", "2024-01-22", 10.0), ("a", "2024-01-22", -25.0),  # net -15 but has a purchase line
        ("a", "2024-01-29", 20.0), ("a", "2024-01-29", 16.0),   # two orders, one occasion, spend 36
        ("a", "2024-02-05", 99.0),                        # after as_of: ignored
        ("b", "2024-01-10", 0.0), ("b", "2024-01-10", -5.0),    # first occasion, net -5
        ("b", "2024-01-20", 12.0),
    ], columns=["customer_id", "order_date", "amount"]).assign(order_date=lambda f: pd.to_datetime(f["order_date"]))
    datasets.store_frame(con, "shop", "transactions", lines)
    dataset_id = datasets.get_dataset(con, "shop").dataset_id
    summary = clv.summary_as_of(con, dataset_id, "2024-01-31", unit="day").set_index("customer_id")
    assert set(summary.index) == {"a", "b"}
    a = summary.loc["a"]
    assert a["frequency"] == 3                       # 01-15, 01-22, 01-29 after the first
    assert a["recency"] == 28 and a["T"] == 30
    assert a["spend_frequency"] == 1                 # only 01-29 has positive net spend
    assert a["monetary_value"] == pytest.approx(36.0)
    b = summary.loc["b"]
    assert (b["frequency"], b["recency"], b["T"], b["spend_frequency"]) == (1, 10, 21, 1)
    assert b["monetary_value"] == pytest.approx(12.0)
    weeks = clv.summary_as_of(con, dataset_id, "2024-01-31", unit="week").set_index("customer_id")
    assert weeks.loc["a", "T"] == pytest.approx(30 / 7)
    months = clv.summary_as_of(con, dataset_id, "2024-01-31", unit="month").set_index("customer_id")
    assert months.loc["a", "T"] == pytest.approx(30 / (365.25 / 12))
    # a customer with only a $0 repeat occasion has no monetary value (left out of Gamma-Gamma)
    early = clv.summary_as_of(con, dataset_id, "2024-01-16", unit="day").set_index("customer_id")
    assert early.loc["a", "frequency"] == 1 and np.isnan(early.loc["a", "monetary_value"])
    holdout = clv.holdout_purchases(con, dataset_id, "2024-01-16", "2024-02-05")
    assert holdout.to_dict() == {"a": 3, "b": 1}     # a: 01-22, 01-29, 02-05; b: 01-20


# --- parameter recovery on simulated data (seeded; SEs checked calibrated over 30 replicates) ------


def test_bgnbd_recovers_simulated_parameters():
    true = dict(r=0.5, alpha=4.0, a=0.8, b=2.5)
    x, tx, T, _ = simulate_bgnbd(20_000, **true, seed=11)
    assert_recovered(clv.BetaGeoFitter().fit(x, tx, T), true)


def test_mbgnbd_recovers_simulated_parameters():
    true = dict(r=0.5, alpha=4.0, a=0.8, b=2.5)
    x, tx, T, _ = simulate_bgnbd(20_000, **true, seed=12, modified=True)
    assert_recovered(clv.ModifiedBetaGeoFitter().fit(x, tx, T), true)


def test_paretonbd_recovers_simulated_parameters():
    true = dict(r=0.6, alpha=8.0, s=0.7, beta=10.0)
    x, tx, T = simulate_pareto_nbd(20_000, **true, seed=13)
    assert_recovered(clv.ParetoNBDFitter().fit(x, tx, T), true)


def test_gamma_gamma_recovers_simulated_parameters():
    true = dict(p=6.0, q=4.0, v=15.0)
    x, m = simulate_gamma_gamma(20_000, **true, seed=14)
    assert_recovered(clv.GammaGammaFitter().fit(x, m), true)


def test_compare_models_picks_a_model_and_predicts_holdout_on_simulated_bgnbd():
    x, tx, T, hold = simulate_bgnbd(5_000, r=0.5, alpha=4.0, a=0.8, b=2.5, seed=15, holdout=26.0)
    cal = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    result = clv.compare_models(cal, hold, holdout_length=26.0)
    assert result.table.loc["BG/NBD", "predicted_total"] == pytest.approx(hold.sum(), rel=0.05)
    assert result.best in result.models
    assert set(result.by_calibration_frequency.columns) >= {"n_customers", "actual", "BG/NBD"}


# --- hand checks: closed forms against direct numerical integration ------------------------------


@pytest.mark.parametrize("params", [BG_CDNOW, dict(r=1.3, alpha=2.0, a=2.5, b=4.0), dict(r=0.4, alpha=9.0, a=1.0, b=1.5)])
@pytest.mark.parametrize("x, tx, T, t", [(0, 0.0, 30.0, 10.0), (2, 30.43, 38.86, 39.0), (40, 50.0, 52.0, 104.0)])
def test_bgnbd_conditional_expectation_matches_numerical_integration(params, x, tx, T, t):
    """E[Y(t) | data] = P(alive) * integral over p ~ Beta(a, b+x) of (1/p) E[1 - exp(-lambda p t)],
    lambda ~ Gamma(r+x, alpha+T) (posterior given alive), so E[...] = 1 - ((alpha+T)/(alpha+T+p t))^(r+x)."""
    r, alpha, a, b = params.values()
    model = clv.BetaGeoFitter.from_params(**params)

    def integrand(p):
        return (-np.expm1((r + x) * (np.log(alpha + T) - np.log(alpha + T + p * t))) / p
                * stats.beta.pdf(p, a, b + x))

    if_alive = integrate.quad(integrand, 0, 1, limit=200, epsabs=0, epsrel=1e-10)[0]
    expected = model.probability_alive(x, tx, T)[0] * if_alive
    assert model.predict_purchases(t, x, tx, T)[0] == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("x, tx, T, t", [(0, 0.0, 0.0, 26.0), (0, 0.0, 30.0, 10.0), (3, 20.0, 38.0, 39.0)])
def test_mbgnbd_expectation_matches_numerical_integration(x, tx, T, t):
    """MBG/NBD: alive customers die after each purchase with p, so E[Y | alive] as for BG/NBD but with
    p ~ Beta(a, b+x+1); at x = T = 0 this is the new-customer expectation E[(1-p)/p (1 - e^(-lambda p t))]."""
    r, alpha, a, b = MBG_CDNOW.values()
    model = clv.ModifiedBetaGeoFitter.from_params(**MBG_CDNOW)

    def integrand(p):
        return (-np.expm1((r + x) * (np.log(alpha + T) - np.log(alpha + T + p * t))) / p
                * stats.beta.pdf(p, a, b + x + 1))

    expected = model.probability_alive(x, tx, T)[0] * integrate.quad(integrand, 0, 1, limit=200, epsrel=1e-10)[0]
    assert model.predict_purchases(t, x, tx, T)[0] == pytest.approx(expected, rel=1e-7)
    if x == 0 and T == 0:
        assert model.expected_purchases_new(t) == pytest.approx(expected, rel=1e-7)


def _pareto_loglik_by_quadrature(params, x, tx, T):
    """Pareto/NBD likelihood from its definition, Fader & Hardie (2005 note), before the 2F1 step:
    L = Gamma(r+x) alpha^r beta^s / Gamma(r) [ (alpha+T)^-(r+x) (beta+T)^-s
        + s * integral_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau ]."""
    r, alpha, s, beta = params
    const = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    # integrate relative to the integrand at t_x to stay in floating-point range
    log_at_tx = -(r + x) * np.log(alpha + tx) - (s + 1) * np.log(beta + tx)
    def f(tau):
        return np.exp(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau) - log_at_tx)
    integral = integrate.quad(f, tx, T, epsabs=0, epsrel=1e-11, limit=200)[0]
    with np.errstate(divide="ignore"):
        second = np.log(s) + log_at_tx + np.log(integral)
    return const + np.logaddexp(first, second)


@pytest.mark.parametrize("params", [tuple(PARETO_CDNOW.values()), (0.55, 14.0, 0.6, 3.0), (10.465, 7.98565181e-03, 3.0516, 2.820)])
def test_paretonbd_loglik_with_2F1_matches_quadrature_on_cdnow(cdnow_summary, params):
    """The 2F1 form (both alpha >= beta and alpha < beta branches) against the integral it came from,
    on every distinct CDNOW customer plus extreme ones (lifetimes' overflow case: x = 400, 500)."""
    rows = cdnow_summary[["frequency", "recency", "T"]].drop_duplicates()
    rows = pd.concat([rows, pd.DataFrame({"frequency": [400, 500, 500, 60], "recency": [5.0, 1.0, 4.0, 38.0],
                                          "T": [6.0, 37.0, 37.0, 38.5]})])
    x, tx, T = (rows[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    ours = _pareto_loglik(np.array(params), x, tx, T)
    reference = np.array([_pareto_loglik_by_quadrature(params, *row) for row in zip(x, tx, T)])
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, reference, rtol=1e-8, atol=1e-8)


def test_median_time_to_next_purchase_halves_the_posterior_survival():
    """P(no purchase within w | active) = E[exp(-lambda w)], lambda ~ Gamma(r+x, alpha+T): 1/2 at the median."""
    model = clv.BetaGeoFitter.from_params(**BG_CDNOW)
    r, alpha = BG_CDNOW["r"], BG_CDNOW["alpha"]
    for x, tx, T in [(0, 0.0, 20.0), (5, 30.0, 38.0)]:
        w = model.median_time_to_next_purchase(x, tx, T)[0]
        survival = integrate.quad(lambda lam: np.exp(-lam * w) * stats.gamma.pdf(lam, r + x, scale=1 / (alpha + T)),
                                  0, np.inf)[0]
        assert survival == pytest.approx(0.5, abs=1e-7)


def test_analytic_gradients_match_finite_differences(cdnow_summary):
    x, tx, T = (cdnow_summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    for modified in (False, True):
        model = clv.ModifiedBetaGeoFitter() if modified else clv.BetaGeoFitter()
        data = model._prepare(x, tx, T, np.ones(len(x)))
        theta = np.log([0.3, 5.0, 0.7, 2.0])
        assert optimize.check_grad(lambda th: model._negll(th, data)[0], lambda th: model._negll(th, data)[1],
                                   theta) < 1e-6
    xs, m = simulate_gamma_gamma(500, 6.0, 4.0, 15.0, seed=3)
    gg = clv.GammaGammaFitter()
    data = gg._prepare(xs, m, np.ones(len(xs)))
    assert optimize.check_grad(lambda th: gg._negll(th, data)[0], lambda th: gg._negll(th, data)[1],
                               np.log([5.0, 3.0, 10.0])) < 1e-6


def test_gamma_gamma_expected_spend_is_the_credibility_weighted_mean():
    """Fader & Hardie (2013) eq. (5): E[Z | x, m] = w * p v/(q-1) + (1 - w) * m, w = (q-1)/(p x + q - 1)."""
    gg = clv.GammaGammaFitter.from_params(**GG_CDNOW)
    p, q, v = GG_CDNOW.values()
    population = p * v / (q - 1)
    for x, m in [(1, 20.0), (5, 50.0), (30, 10.0)]:
        weight = (q - 1) / (p * x + q - 1)
        assert gg.expected_spend(x, m)[0] == pytest.approx(weight * population + (1 - weight) * m)
    assert gg.expected_spend(0, np.nan)[0] == pytest.approx(population)


# --- customer lifetime value -------------------------------------------------------------------


def test_clv_equals_the_month_by_month_sum_written_out():
    bg = clv.BetaGeoFitter.from_params(**BG_CDNOW)
    gg = clv.GammaGammaFitter.from_params(**GG_CDNOW)
    x, tx, T, m = 3, 20.0, 38.0, 30.0
    month = 365.25 / 12 / 7  # weeks per month
    spend = gg.expected_spend(x, m)[0]
    expected = sum((bg.predict_purchases(i * month, x, tx, T)[0] - bg.predict_purchases((i - 1) * month, x, tx, T)[0])
                   * spend * 0.25 / 1.08 ** (i / 12) for i in range(1, 25))
    got = clv.customer_lifetime_value(bg, gg, [x], [tx], [T], [m], horizon_months=24, margin=0.25,
                                      annual_discount_rate=0.08, unit_days=7.0)
    assert got.iloc[0] == pytest.approx(expected, rel=1e-10)


def test_clv_does_not_depend_on_the_model_time_unit():
    """The same model in days (alpha * 7, recency and T * 7, unit_days=1) gives the same CLV."""
    weeks = clv.BetaGeoFitter.from_params(**BG_CDNOW)
    days = clv.BetaGeoFitter.from_params(**{**BG_CDNOW, "alpha": BG_CDNOW["alpha"] * 7})
    gg = clv.GammaGammaFitter.from_params(**GG_CDNOW)
    x, tx, T, m = np.array([0, 2, 7]), np.array([0.0, 30.43, 20.0]), np.array([38.86, 38.86, 25.0]), \
        np.array([np.nan, 40.0, 25.0])
    in_weeks = clv.customer_lifetime_value(weeks, gg, x, tx, T, m, unit_days=7.0)
    in_days = clv.customer_lifetime_value(days, gg, x, tx * 7, T * 7, m, unit_days=1.0)
    np.testing.assert_allclose(in_days, in_weeks, rtol=1e-10)


def test_clv_interval_brackets_estimate_and_is_reproducible(cdnow_summary):
    data = cdnow_summary.iloc[:400]
    bg = clv.BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    gg = clv.GammaGammaFitter.from_params(**GG_CDNOW)
    gg.covariance_ = pd.DataFrame(np.diag([0.02, 0.01, 0.05]), index=gg.params_.index, columns=gg.params_.index)
    m = np.where(data["frequency"] > 0, 35.0, np.nan)
    args = (bg, gg, data["frequency"], data["recency"], data["T"], m)
    first = clv.clv_with_uncertainty(*args, n_draws=100, random_state=7)
    again = clv.clv_with_uncertainty(*args, n_draws=100, random_state=7)
    pd.testing.assert_frame_equal(first.customers, again.customers)
    c = first.customers
    assert list(c.columns) == ["clv", "clv_lower", "clv_upper"] and list(c.index) == list(data.index)
    assert (c["clv_lower"] <= c["clv_upper"]).all()
    inside = ((c["clv_lower"] <= c["clv"]) & (c["clv"] <= c["clv_upper"])).mean()
    assert inside > 0.95
    assert first.equity == pytest.approx(c["clv"].sum())
    assert first.equity_lower < first.equity < first.equity_upper
    # the equity interval is narrower than the sum of customer intervals only if draws co-move: equal here
    assert first.equity_upper - first.equity_lower <= (c["clv_upper"] - c["clv_lower"]).sum() * (1 + 1e-9)
    with pytest.raises(NotFittedError, match="no parameter covariance"):
        clv.clv_with_uncertainty(clv.BetaGeoFitter.from_params(**BG_CDNOW), gg, [1], [1.0], [2.0], [10.0])


# --- properties (hypothesis) ------------------------------------------------------------------

_MODELS = [clv.BetaGeoFitter.from_params(**BG_CDNOW), clv.ModifiedBetaGeoFitter.from_params(**MBG_CDNOW),
           clv.ParetoNBDFitter.from_params(**PARETO_CDNOW)]
_GG = clv.GammaGammaFitter.from_params(**GG_CDNOW)


@st.composite
def customers(draw):
    T = draw(st.floats(0.0, 500.0))
    x = draw(st.integers(0, 300))
    tx = 0.0 if x == 0 else draw(st.floats(0.0, 1.0)) * T
    return x, tx, T


@settings(max_examples=60, deadline=None)
@given(customers(), st.sampled_from(range(3)))
def test_probability_alive_is_a_probability(customer, which):
    p = _MODELS[which].probability_alive(*customer)[0]
    assert 0.0 <= p <= 1.0


@settings(max_examples=60, deadline=None)
@given(customers(), st.sampled_from(range(3)), st.floats(0.0, 200.0), st.floats(0.01, 200.0))
def test_expected_purchases_grow_with_horizon(customer, which, t, more):
    model = _MODELS[which]
    short, long = model.predict_purchases(np.array([t, t + more]), *customer)
    assert np.isfinite(long) and 0.0 <= short <= long * (1 + 1e-9) + 1e-12
    assert model.expected_purchases_new(t) <= model.expected_purchases_new(t + more) * (1 + 1e-9) + 1e-12


@settings(max_examples=40, deadline=None)
@given(customers(), st.sampled_from(range(3)), st.floats(1.0, 1000.0), st.floats(0.0, 0.9), st.floats(0.01, 0.5))
def test_clv_is_non_negative_and_rises_with_margin(customer, which, spend, margin, extra):
    x, tx, T = customer
    values = [clv.customer_lifetime_value(_MODELS[which], _GG, [x], [tx], [T], [spend], margin=mg).iloc[0]
              for mg in (margin, margin + extra)]
    assert 0.0 <= values[0] <= values[1]
    if values[1] > 0:
        assert values[0] / values[1] == pytest.approx(margin / (margin + extra), rel=1e-9)


# --- data sufficiency ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", [clv.BetaGeoFitter, clv.ModifiedBetaGeoFitter, clv.ParetoNBDFitter])
def test_no_purchase_model_is_fitted_on_fewer_than_ten_repeat_buyers(cdnow_summary, model):
    """On a handful of customers the likelihood is flat and its maximum is usually on the boundary: whether
    a number comes out must not depend on where an optimiser stops, so below the floor none does."""
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    once = cdnow_summary[cdnow_summary["frequency"] == 0]
    thin = pd.concat([repeat.iloc[:clv.MIN_REPEAT_BUYERS_TO_FIT - 1], once.iloc[:200]])
    with pytest.raises(clv.FitFailed, match="needs at least 10 customers with a repeat purchase.*have 9"):
        model().fit(thin["frequency"], thin["recency"], thin["T"])
    rows = pd.concat([repeat.iloc[:3], once.iloc[:200]])  # 3 rows of repeat buyers, 3 customers each
    with pytest.raises(clv.FitFailed, match="have 9"):  # weights count customers, not rows
        model().fit(rows["frequency"], rows["recency"], rows["T"], weights=np.r_[[3.0] * 3, np.ones(200)])


def test_no_spend_model_is_fitted_on_fewer_than_ten_repeat_buyers():
    with pytest.raises(clv.FitFailed, match="Gamma-Gamma model needs at least 10 .* have 3"):
        clv.GammaGammaFitter().fit([1, 2, 3], [10.0, 12.0, 30.0])



def test_data_sufficiency_accepts_cdnow_and_flags_thin_data(cdnow_summary):
    ok = clv.data_sufficiency(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    assert ok.is_sufficient and ok.flags == () and ok.n_repeat_buyers == 946
    thin = clv.data_sufficiency([0] * 95 + [1] * 5, [0.0] * 95 + [3.0] * 5, [4.0] * 100)
    assert not thin.is_sufficient
    assert set(thin.flags) == {"few_repeat_buyers", "low_repeat_share", "short_history"}
    assert thin.verdict.startswith("The data are too thin") and "only 5 customers" in thin.verdict


# --- contract and input checks ------------------------------------------------------------------


def test_fit_returns_self_predictions_require_fit_and_models_pickle(cdnow_summary):
    model = clv.BetaGeoFitter()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.probability_alive(1, 1.0, 2.0)
    assert model.fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]) is model
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_series_equal(clone.params_, model.params_)
    assert model.get_params() == {"max_iter": 500, "tol": 1e-10}
    assert "fit" not in vars(model)  # methods are not rebound on the instance
    alive = model.probability_alive(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    assert isinstance(alive, pd.Series) and alive.index.equals(cdnow_summary.index)
    assert model.probability_alive(0, 0.0, 10.0)[0] == 1.0  # BG/NBD: no repeat purchase -> alive


def test_identical_rows_share_a_term_weights_equal_repetition():
    x, tx, T, _ = simulate_bgnbd(3_000, r=0.5, alpha=4.0, a=0.8, b=2.5, seed=21)
    x, tx, T = x[:300], np.round(tx[:300]), np.round(T[:300]) + 1.0
    tx = np.where(x > 0, np.minimum(tx, T), 0.0)
    repeated = clv.BetaGeoFitter().fit(np.repeat(x, 3), np.repeat(tx, 3), np.repeat(T, 3))
    weighted = clv.BetaGeoFitter().fit(x, tx, T, weights=np.full(len(x), 3.0))
    np.testing.assert_allclose(weighted.params_, repeated.params_, rtol=1e-5)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-9)
    assert weighted.n_customers_ == repeated.n_customers_ == 900


@pytest.mark.parametrize("frequency, recency, T, rule", [
    ([0, 1], [1.0, 1.0], [5.0, 5.0], "non-zero recency values when frequency is zero"),
    ([1], [6.0], [5.0], "recency values greater than T"),
    ([-1], [0.0], [5.0], "negative frequency"),
    ([1], [np.nan], [5.0], "missing or infinite recency"),
    ([1.5], [1.0], [5.0], "non-integer frequency"),
])
def test_bad_summaries_fail_loudly_naming_the_rule(frequency, recency, T, rule):
    with pytest.raises(clv.InvalidSummary, match=rule):
        clv.BetaGeoFitter().fit(frequency, recency, T)


def test_gamma_gamma_rejects_non_repeat_buyers_and_bad_spend():
    with pytest.raises(clv.InvalidSummary, match="repeat buyers only"):
        clv.GammaGammaFitter().fit([0, 2], [10.0, 12.0])
    with pytest.raises(clv.InvalidSummary, match="non-positive monetary"):
        clv.GammaGammaFitter().fit([1, 2], [0.0, 12.0])
    with pytest.raises(clv.InvalidSummary, match="missing monetary"):
        clv.GammaGammaFitter().fit([1, 2], [np.nan, 12.0])


def test_unknown_unit_is_rejected(con):
    with pytest.raises(ValueError, match="unit must be one of"):
        clv.summary_as_of(con, 1, "2024-01-01", unit="fortnight")


def test_custlib_clv_does_not_import_streamlit():
    code = "import sys, custlib.clv; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(db.SQL_DIR.parents[1]))
