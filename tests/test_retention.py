"""Cohort retention, period rates, the sBG projection and NPS (custlib/retention.py, custlib/clv/sbg.py).

Numbers come from a hand-computed fixture (worked in the comments), from Fader & Hardie (2007),
and from parameters recovered on simulated data.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from custlib import clv, datasets, retention
from custlib.clv import ShiftedBetaGeometric

# --- the hand fixture ---------------------------------------------------------------------------
# Order lines (negative = return). Purchases (amount >= 0) make a customer active.
#   A: Jan 05 +100, Feb 10 +50, Apr 02 +30
#   B: Jan 20 +200, Jan 25 -50 (return), Mar 03 +80
#   C: Feb 14 +60, Mar 01 +40, Mar 20 -40 (return)
#   D: Mar 10 +90
#   E: Apr 10 +25
#   F: Feb 05 -20 (only a return: no cohort, never active)
# Active per month: Jan {A,B}  Feb {A,C}  Mar {B,C,D}  Apr {A,E}
# Net revenue per customer-month: Jan A 100, B 150 | Feb A 50, C 60, F -20 | Mar B 80, C 0, D 90 | Apr A 30, E 25
TX_ROWS = [
    ("A", "2024-01-05", 100.0), ("A", "2024-02-10", 50.0), ("A", "2024-04-02", 30.0),
    ("B", "2024-01-20", 200.0), ("B", "2024-01-25", -50.0), ("B", "2024-03-03", 80.0),
    ("C", "2024-02-14", 60.0), ("C", "2024-03-01", 40.0), ("C", "2024-03-20", -40.0),
    ("D", "2024-03-10", 90.0),
    ("E", "2024-04-10", 25.0),
    ("F", "2024-02-05", -20.0),
]
# Rows after 2024-04-30: a new customer, an old one buying again, a return of an old purchase.
LATER_ROWS = [("G", "2024-05-01", 500.0), ("D", "2024-05-02", 10.0), ("A", "2024-06-15", -100.0)]
AS_OF = date(2024, 4, 30)
NAN = np.nan


def _tx(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


@pytest.fixture
def shop(con):
    datasets.store_frame(con, "shop", "transactions", _tx(TX_ROWS))
    return datasets.get_dataset(con, "shop").dataset_id


# --- cohort matrices ----------------------------------------------------------------------------

def test_cohort_matrices_match_hand_computation(con, shop):
    cohorts = retention.cohort_retention(con, shop, AS_OF, grain="month")
    # Cohorts: Jan {A,B}, Feb {C}, Mar {D}, Apr {E}; F has no purchase and no cohort.
    sizes = cohorts.groupby("cohort_start")["cohort_customers"].first()
    assert sizes.to_dict() == {pd.Timestamp("2024-01-01"): 2, pd.Timestamp("2024-02-01"): 1,
                               pd.Timestamp("2024-03-01"): 1, pd.Timestamp("2024-04-01"): 1}
    # Customer retention, k = 0..3:
    #   Jan: k0 {A,B} 2/2; k1 Feb {A} 1/2; k2 Mar {B} 1/2; k3 Apr {A} 1/2
    #   Feb: k0 {C} 1/1; k1 Mar {C} 1/1; k2 Apr {} 0/1 (churned: April has ended); k3 May not reached
    #   Mar: k0 1/1; k1 Apr {} 0/1; k2, k3 not reached
    #   Apr: k0 1/1; k1..k3 not reached
    expected_share = [[1, .5, .5, .5], [1, 1, 0, NAN], [1, 0, NAN, NAN], [1, NAN, NAN, NAN]]
    np.testing.assert_allclose(retention.retention_matrix(cohorts).to_numpy(), expected_share)
    # Revenue retention = net revenue in k / net revenue in k0:
    #   Jan: k0 100 + 200 - 50 = 250; k1 50/250 = .2; k2 80/250 = .32; k3 30/250 = .12
    #   Feb: k0 60; k1 (40 - 40)/60 = 0; k2 0/60 = 0
    #   Mar: k0 90; k1 0/90 = 0.   Apr: k0 25.
    expected_revenue = [[1, .2, .32, .12], [1, 0, 0, NAN], [1, 0, NAN, NAN], [1, NAN, NAN, NAN]]
    np.testing.assert_allclose(retention.retention_matrix(cohorts, "revenue_retention").to_numpy(),
                               expected_revenue)
    np.testing.assert_allclose(retention.retention_matrix(cohorts, "active_customers").to_numpy(),
                               [[2, 1, 1, 1], [1, 1, 0, NAN], [1, 0, NAN, NAN], [1, NAN, NAN, NAN]])
    np.testing.assert_allclose(retention.retention_matrix(cohorts, "revenue_amount").to_numpy(),
                               [[250, 50, 80, 30], [60, 0, 0, NAN], [90, 0, NAN, NAN], [25, NAN, NAN, NAN]])


def test_young_cohort_cells_are_nan_not_churn(con, shop):
    # On 2024-04-15 April has not ended: the April cohort is not listed (still being acquired),
    # A's purchase on Apr 02 counts nowhere, and every cohort's April cell is NaN -- not a 0.
    cohorts = retention.cohort_retention(con, shop, date(2024, 4, 15), grain="month")
    matrix = retention.retention_matrix(cohorts)
    assert list(matrix.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    np.testing.assert_allclose(matrix.to_numpy(), [[1, .5, .5], [1, 1, NAN], [1, NAN, NAN]])
    unreached = cohorts[~cohorts["is_observed"]]
    assert (unreached["period_end"] > pd.Timestamp("2024-04-15")).all()
    assert unreached[["active_customers", "retention_share", "revenue_amount", "revenue_retention"]].isna().all().all()
    # On the last day of April, April counts: the same cells become real numbers, and D's is churn.
    later = retention.retention_matrix(retention.cohort_retention(con, shop, AS_OF))
    assert later.loc[pd.Timestamp("2024-03-01"), 1] == 0.0


def test_quarter_and_week_grains(con, shop):
    # Quarters on 2024-04-30: only Q1 has ended; one cohort of A, B, C, D with
    # net revenue 100 + 200 - 50 + 80 + 50 + 60 + 40 - 40 + 90 = 530 (F's return belongs to no cohort).
    quarters = retention.cohort_retention(con, shop, AS_OF, grain="quarter")
    assert quarters[["cohort_customers", "period_number", "revenue_amount"]].values.tolist() == [[4, 0, 530.0]]
    # Weeks (Monday start) on Tue 2024-01-30: weeks of Jan 01, 08, 15, 22 have ended.
    # A (Fri Jan 05) is the week-of-Jan-01 cohort; B (Sat Jan 20) the week-of-Jan-15 cohort, whose
    # return on Jan 25 falls in k1: revenue retention -50/200 = -0.25 while customer retention is 0.
    weeks = retention.cohort_retention(con, shop, date(2024, 1, 30), grain="week")
    b = weeks[weeks["cohort_start"] == pd.Timestamp("2024-01-15")].set_index("period_number")
    assert b.loc[1, "retention_share"] == 0.0 and b.loc[1, "revenue_retention"] == -0.25
    assert b.loc[[2, 3], "retention_share"].isna().all()
    with pytest.raises(ValueError, match="grain must be one of week, month, quarter"):
        retention.cohort_retention(con, shop, AS_OF, grain="year")


# --- period rates -------------------------------------------------------------------------------

def _rates(con, dataset_id, as_of, grain="month"):
    """The periods that have ended by ``as_of`` (what the retention page's rates are drawn from)."""
    frame = retention.period_activity(con, dataset_id, as_of, grain)
    return frame[frame["is_complete"]].reset_index(drop=True)


def test_period_rates_match_hand_computation(con, shop):
    rates = _rates(con, shop, AS_OF, grain="month").set_index("period_start")
    assert list(rates.index.month) == [1, 2, 3, 4]
    # retention: Feb {A,B} -> {A} 1/2; Mar {A,C} -> {C} 1/2; Apr {B,C,D} -> {} 0/3; Jan has no previous month
    np.testing.assert_allclose(rates["retention_rate"], [NAN, .5, .5, 0])
    np.testing.assert_allclose(rates["churn_rate"], [NAN, .5, .5, 1])
    # repeat purchase: customers with 2+ purchase days / customers so far
    #   Jan 0/2 (B's Jan 25 line is a return); Feb {A} 1/3; Mar {A,B,C} 3/4; Apr {A,B,C} 3/5
    np.testing.assert_allclose(rates["repeat_purchase_rate"], [0, 1 / 3, .75, .6])
    # returning buyers / buyers: Jan 0/2; Feb {A}/{A,C}; Mar {B,C}/{B,C,D}; Apr {A}/{A,E}
    np.testing.assert_allclose(rates["returning_buyer_share"], [0, .5, 2 / 3, .5])
    # NRR: Feb (A 50 + B 0) / (A 100 + B 150) = .2; Mar (A 0 + C 0) / (A 50 + C 60) = 0;
    #      Apr (B, C, D spend nothing) 0 / (80 + 0 + 90) = 0
    np.testing.assert_allclose(rates["net_revenue_retention"], [NAN, .2, 0, 0])
    np.testing.assert_allclose(rates["previous_revenue_amount"], [NAN, 250, 110, 170])
    # net revenue, F's return included: Jan 250; Feb 50 + 60 - 20 = 90; Mar 80 + 0 + 90 = 170; Apr 55
    np.testing.assert_allclose(rates["revenue_amount"], [250, 90, 170, 55])
    assert rates["new_customers"].tolist() == [2, 1, 1, 1]
    # On 2024-04-29 April has not ended and is not reported.
    assert len(_rates(con, shop, date(2024, 4, 29))) == 3


def test_nothing_after_as_of_leaks_in(con, shop):
    before = (retention.cohort_retention(con, shop, AS_OF), _rates(con, shop, AS_OF))
    datasets.store_frame(con, "shop", "transactions", _tx(TX_ROWS + LATER_ROWS))
    after = (retention.cohort_retention(con, shop, AS_OF), _rates(con, shop, AS_OF))
    for old, new in zip(before, after):
        pd.testing.assert_frame_equal(old, new)
    # ...and the later rows are really there: one day later, May's first rows are seen.
    assert not _rates(con, shop, date(2024, 5, 31)).equals(after[1])


def test_frames_follow_their_column_contracts_and_docs(con, shop):
    cases = [(retention.cohort_retention(con, shop, AS_OF), retention.COHORT_COLUMNS, retention.cohort_retention),
             (retention.period_activity(con, shop, AS_OF), retention.PERIOD_ACTIVITY_COLUMNS,
              retention.period_activity)]
    for frame, contract, function in cases:
        assert tuple(frame.columns) == contract
        undocumented = [c for c in contract if f"``{c}``" not in function.__doc__]
        assert not undocumented, f"{function.__name__} docstring lacks {undocumented}"
    projected = retention.project_cohorts(retention.retention_matrix(cases[0][0]), 2)
    assert tuple(projected.columns) == retention.PROJECTION_COLUMNS
    assert all(f"``{c}``" in retention.project_cohorts.__doc__ for c in retention.PROJECTION_COLUMNS)
    assert all(f"``{c}``" in retention.nps_summary.__doc__ for c in retention.NPS_COLUMNS)


# --- properties on random small transaction sets ------------------------------------------------

BASE = date(2024, 1, 1)
rows_strategy = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.integers(0, 200), st.sampled_from([-30.0, 0.0, 10.0, 25.5, 100.0])),
    min_size=1, max_size=25)


def _random_tx(rows) -> pd.DataFrame:
    return _tx([(c, (BASE + timedelta(days=d)).isoformat(), a) for c, d, a in rows])


def _month_index(day) -> int:
    return day.year * 12 + day.month - 1


def _reference_shares(tx: pd.DataFrame, as_of: date) -> dict:
    """Cohort retention shares by brute force: {(cohort month index, k): share} for ended months."""
    last_ended = _month_index(as_of + timedelta(days=1)) - 1
    buys = tx[(tx["order_date"].dt.date <= as_of) & (tx["amount"] >= 0)]
    months = buys.assign(m=[_month_index(d) for d in buys["order_date"].dt.date])
    cohort_of = months.groupby("customer_id")["m"].min()
    active = set(zip(months["customer_id"], months["m"]))
    shares = {}
    for cohort in set(cohort_of[cohort_of <= last_ended]):
        members = cohort_of.index[cohort_of == cohort]
        for k in range(last_ended - cohort + 1):
            shares[(cohort, k)] = sum((c, cohort + k) in active for c in members) / len(members)
    return shares


def _reference_rates(tx: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Monthly retention, returning-buyer and repeat-purchase rates by brute force over sets."""
    known = tx[tx["order_date"].dt.date <= as_of]
    buys = known[known["amount"] >= 0]
    days = {c: sorted(set(g["order_date"].dt.date)) for c, g in buys.groupby("customer_id")}
    active = {}
    for c, d in zip(buys["customer_id"], buys["order_date"].dt.date):
        active.setdefault(_month_index(d), set()).add(c)
    last = _month_index(as_of + timedelta(days=1)) - 1
    first = _month_index(known["order_date"].min().date()) if len(known) else last + 1
    rows = []
    for m in range(first, last + 1):
        start = date(m // 12, m % 12 + 1, 1)
        end = date((m + 1) // 12, (m + 1) % 12 + 1, 1) - timedelta(days=1)
        now, before = active.get(m, set()), active.get(m - 1, set())
        so_far = [c for c in days if days[c][0] <= end]
        returning = [c for c in now if days[c][0] < start]
        rows.append({
            "retention_rate": len(now & before) / len(before) if before else NAN,
            "returning_buyer_share": len(returning) / len(now) if now else NAN,
            "repeat_purchase_rate": (sum(len([d for d in days[c] if d <= end]) >= 2 for c in so_far) / len(so_far)
                                     if so_far else NAN),
        })
    return pd.DataFrame(rows, columns=["retention_rate", "returning_buyer_share", "repeat_purchase_rate"])


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, as_of_day=st.integers(0, 230), later=rows_strategy)
def test_properties_on_random_transactions(con, rows, as_of_day, later):
    as_of = BASE + timedelta(days=as_of_day)
    tx = _random_tx(rows)
    datasets.store_frame(con, "random", "transactions", tx)
    dataset_id = datasets.get_dataset(con, "random").dataset_id
    cohorts = retention.cohort_retention(con, dataset_id, as_of)
    rates = _rates(con, dataset_id, as_of)

    # Every observed cell equals the brute-force share; every other cell is NaN and not yet ended.
    expected = _reference_shares(tx, as_of)
    observed = cohorts[cohorts["is_observed"]]
    got = {(_month_index(c.date()), k): s for c, k, s in
           zip(observed["cohort_start"], observed["period_number"], observed["retention_share"])}
    assert got.keys() == expected.keys()
    assert all(np.isclose(got[key], expected[key]) for key in expected)
    unreached = cohorts[~cohorts["is_observed"]]
    assert (unreached["period_end"] > pd.Timestamp(as_of)).all()
    assert unreached[["retention_share", "revenue_retention", "active_customers"]].isna().all().all()
    assert (observed["period_end"] <= pd.Timestamp(as_of)).all()

    # The period rates equal their brute-force definitions.
    reference = _reference_rates(tx, as_of)
    pd.testing.assert_frame_equal(rates[list(reference.columns)].astype(float), reference, check_dtype=False)

    # Shares and rates lie in [0, 1]; churn = 1 - retention.
    for column in ("retention_share",):
        assert observed[column].between(0, 1).all()
    for column in ("retention_rate", "churn_rate", "repeat_purchase_rate", "returning_buyer_share"):
        values = rates[column].dropna()
        assert values.between(0, 1).all(), column
    np.testing.assert_allclose(rates["churn_rate"], 1 - rates["retention_rate"])
    assert (rates["period_end"] <= pd.Timestamp(as_of)).all()
    # Without returns, revenue retention and NRR are never negative (they may exceed 1).
    purchases_only = tx[tx["amount"] >= 0]
    if len(purchases_only) == len(tx):
        assert (observed["revenue_retention"].dropna() >= 0).all()
        assert (rates["net_revenue_retention"].dropna() >= 0).all()

    # Rows dated after as_of change nothing.
    late = _random_tx(later)
    late["order_date"] = pd.Timestamp(as_of) + pd.to_timedelta(late["order_date"].dt.day_of_year, unit="D")
    datasets.store_frame(con, "random", "transactions", pd.concat([tx, late], ignore_index=True))
    pd.testing.assert_frame_equal(cohorts, retention.cohort_retention(con, dataset_id, as_of))
    pd.testing.assert_frame_equal(rates, _rates(con, dataset_id, as_of))


# --- shifted-beta-geometric ---------------------------------------------------------------------

def test_params_out_is_close_to_Fader_Hardie_2007_regular_segment():
    # Fader & Hardie (2007), "How to Project Customer Retention", J. Interactive Marketing 21(1):
    # a cohort of 1000 "regular" customers, % still alive in years 0..7, gives alpha 0.704,
    # beta 1.182 (their Fig. 3). Note: the study brief quoted alpha = 0.688; 0.704 is the MLE on these data.
    alive = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    model = ShiftedBetaGeometric().fit(alive_counts=alive)
    assert model.params_.round(2).to_dict() == {"alpha": 0.70, "beta": 1.18}
    np.testing.assert_allclose(model.params_, [0.704, 1.182], atol=5e-4)
    # Shares give the same parameters; the log-likelihood is then per customer.
    shares = ShiftedBetaGeometric().fit(alive / 1000)
    np.testing.assert_allclose(shares.params_, model.params_, rtol=1e-5)
    np.testing.assert_allclose(shares.log_likelihood_ * 1000, model.log_likelihood_, rtol=1e-6)


def test_params_out_is_close_to_Fader_Hardie_2007_high_end_segment():
    # Same paper, "high end" segment: alpha 0.668, beta 3.806.
    model = ShiftedBetaGeometric().fit([1.0, .869, .743, .653, .593, .551, .517, .491])
    np.testing.assert_allclose(model.params_, [0.668, 3.806], atol=5e-4)


def test_sbg_recovers_parameters_from_simulated_cohort():
    rng = np.random.default_rng(2007)
    alpha, beta, n = 0.8, 2.5, 20_000
    theta = rng.beta(alpha, beta, size=n)
    lifetime = rng.geometric(theta)  # periods until churn, 1, 2, ...: the shifted geometric
    alive = np.array([(lifetime > t).sum() for t in range(13)])
    model = ShiftedBetaGeometric().fit(alive_counts=alive)
    # within 3 standard errors and 15 % of the truth
    assert np.all(np.abs(model.params_ - [alpha, beta]) < 3 * model.standard_errors_)
    np.testing.assert_allclose(model.params_, [alpha, beta], rtol=0.15)
    # the fitted curve is close to the observed one over the fitted range
    np.testing.assert_allclose(model.predict_survival(np.arange(13)), alive / n, atol=0.01)


def test_sbg_predictions_are_consistent_and_checked():
    with pytest.raises(NotFittedError, match="not fitted"):
        ShiftedBetaGeometric().predict_survival([1, 2])
    model = ShiftedBetaGeometric().fit([1.0, .6, .45, .38])
    t = np.arange(1, 20)
    np.testing.assert_allclose(model.predict_retention_rate(t),
                               model.predict_survival(t) / model.predict_survival(t - 1))
    assert model.predict_survival(0) == 1.0
    assert np.all(np.diff(model.predict_retention_rate(t)) > 0)  # sBG retention rates rise with tenure
    with pytest.raises(ValueError, match="must never increase: period 2 is 0.5 after 0.4"):
        ShiftedBetaGeometric().fit([1.0, .4, .5])
    with pytest.raises(ValueError, match="must start at 1"):
        ShiftedBetaGeometric().fit([0.9, .4, .3])
    with pytest.raises(ValueError, match="exactly one"):
        ShiftedBetaGeometric().fit([1.0, .4, .3], alive_counts=[10, 4, 3])


def test_sbg_follows_the_fitter_contract():
    model = ShiftedBetaGeometric()
    alive = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    assert model.fit(alive_counts=alive) is model and model.get_params() == {"initial_params": (1.0, 1.0),
                                                                             "max_iter": 1000}
    assert "fit" not in vars(model)
    table = model.summary()  # estimates, standard errors and 95% intervals, as for the CLV fitters
    assert (table["lower 95% bound"] < table["estimate"]).all() and (table["estimate"] < table["upper 95% bound"]).all()
    assert ShiftedBetaGeometric().fit(alive / 1000).standard_errors_.isna().all()  # shares: no sample size
    with pytest.raises(clv.FitFailed, match="the sBG fit did not converge"):
        ShiftedBetaGeometric(max_iter=1).fit(alive_counts=alive)


def test_project_cohorts_extends_fitted_curves_and_explains_gaps():
    truth = ShiftedBetaGeometric.from_params(alpha=0.7, beta=1.2)
    exact = truth.predict_survival(np.arange(8))
    matrix = pd.DataFrame([exact, np.r_[1.0, .4, .45, .3, [NAN] * 4], np.r_[1.0, .5, [NAN] * 6]],
                          index=["old", "bumpy", "young"], columns=range(8))
    out = retention.project_cohorts(matrix, periods_ahead=4)
    old = out[out["cohort"] == "old"]
    assert old["period_number"].tolist() == list(range(12)) and old["is_projected"].sum() == 4
    np.testing.assert_allclose(old[["alpha", "beta"]].iloc[0], [0.7, 1.2], rtol=1e-3)
    np.testing.assert_allclose(old["survival_share"], truth.predict_survival(np.arange(12)), rtol=1e-3)
    bumpy = out[out["cohort"] == "bumpy"]
    # the rise from .4 to .45 (customers back after a gap) is flattened by the running minimum
    np.testing.assert_allclose(bumpy["survival_share"].iloc[:4], [1, .4, .4, .3])
    assert bumpy["survival_share"].iloc[4:].is_monotonic_decreasing and bumpy["note"].isna().all()
    young = out[out["cohort"] == "young"]
    assert len(young) == 2 and not young["is_projected"].any() and young["alpha"].isna().all()
    assert young["note"].iloc[0] == "only 2 observed periods; at least 3 are needed to project"
    with pytest.raises(ValueError, match="period 0 is 250"):
        retention.project_cohorts(matrix * 250, 2)


# --- NPS ----------------------------------------------------------------------------------------
# Answers (nps 0-10, satisfaction 1-5), customers' regions A North, B North, C South, D North:
#   A: Jan 10 nps 10 sat 5; Mar 05 nps -, sat 3; Mar 28 nps 6 sat -
#   B: Feb 01 nps 9 sat 4
#   C: Feb 15 nps 7 sat 2; Feb 20 nps 3 sat -  (latest NPS in Feb: 3; latest satisfaction: 2)
#   D: Mar 10 a call, no scores; Apr 01 nps 11 (off the scale: ignored)
#   E: May 03 nps 0 (after as_of)
NPS_ROWS = [
    ("A", "2024-01-10 09:00", 10, 5), ("A", "2024-03-05 10:00", None, 3), ("A", "2024-03-28 16:00", 6, None),
    ("B", "2024-02-01 12:00", 9, 4),
    ("C", "2024-02-15 08:00", 7, 2), ("C", "2024-02-20 08:00", 3, None),
    ("D", "2024-03-10 11:00", None, None), ("D", "2024-04-01 11:00", 11, None),
    ("E", "2024-05-03 11:00", 0, None),
]


@pytest.fixture
def surveyed(con, shop):
    frame = pd.DataFrame(NPS_ROWS, columns=["customer_id", "interaction_at", "nps_score", "satisfaction"])
    frame["interaction_at"] = pd.to_datetime(frame["interaction_at"])
    frame["nps_score"] = frame["nps_score"].astype("Int64")
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    datasets.store_frame(con, "shop", "interactions", frame.assign(kind="survey"))
    datasets.store_frame(con, "shop", "customers", pd.DataFrame({"customer_id": list("ABCD"),
                                                           "region": ["North", "North", "South", "North"]}))
    return shop


def test_nps_overall_and_by_region_match_hand_computation(con, surveyed):
    # Latest answers on 2024-04-30: NPS A 6 (detractor), B 9 (promoter), C 3 (detractor); E is later.
    # NPS = 100 * (1 - 2) / 3 = -33.3. Satisfaction latest: A 3, B 4, C 2 -> mean 3.0 over 3.
    overall = retention.nps_summary(con, surveyed, AS_OF).iloc[0]
    assert overall[["nps_responses", "promoters", "passives", "detractors"]].tolist() == [3, 1, 0, 2]
    assert overall["nps"] == pytest.approx(-100 / 3)
    assert overall["satisfaction_responses"] == 3 and overall["satisfaction_mean"] == pytest.approx(3.0)
    # North {A 6, B 9}: NPS 0, satisfaction (3 + 4) / 2 = 3.5.  South {C 3}: NPS -100, satisfaction 2.
    by_region = retention.nps_summary(con, surveyed, AS_OF, by="region").set_index("group")
    assert by_region.loc["North", "nps"] == 0 and by_region.loc["North", "satisfaction_mean"] == 3.5
    assert by_region.loc["South", "nps"] == -100 and by_region.loc["South", "nps_responses"] == 1
    # The same grouping from a frame; customers missing from it form the NA group.
    groups = pd.DataFrame({"customer_id": ["A", "B"], "group": ["key", "key"]})
    by_frame = retention.nps_summary(con, surveyed, AS_OF, groups=groups)
    assert by_frame["group"].isna().sum() == 1
    assert by_frame.set_index("group").loc["key", "nps"] == 0
    with pytest.raises(ValueError, match="by must be one of region, industry"):
        retention.nps_summary(con, surveyed, AS_OF, by="email")
    with pytest.raises(ValueError, match="customer_id 'A' appears more than once"):
        retention.nps_summary(con, surveyed, AS_OF, groups=pd.concat([groups, groups]))


def test_nps_by_month_uses_each_customers_latest_answer_in_the_month(con, surveyed):
    monthly = retention.nps_over_time(con, surveyed, AS_OF, grain="month").set_index("period_start")
    # Jan: A 10 -> +100.  Feb: B 9, C 3 (latest) -> 0, satisfaction B 4, C 2 -> 3.0.
    # Mar: A 6 -> -100, satisfaction A 3.  Apr: D's 11 is off the scale -> no responses, NaN.
    np.testing.assert_allclose(monthly["nps"], [100, 0, -100, NAN])
    assert monthly["nps_responses"].tolist() == [1, 2, 1, 0]
    np.testing.assert_allclose(monthly["satisfaction_mean"], [5, 3, 3, NAN])
    assert monthly["satisfaction_responses"].tolist() == [1, 2, 1, 0]
    # Since mid-February, only C's Feb 20 answer (3), B's earlier answer falls out.
    since = retention.nps_summary(con, surveyed, date(2024, 2, 29), since=date(2024, 2, 16)).iloc[0]
    assert since["nps_responses"] == 1 and since["nps"] == -100
