"""What is a customer worth today: expected discounted margin over a horizon, with an interval.

:func:`customer_lifetime_value` combines a fitted purchase model and a fitted Gamma-Gamma model;
:func:`clv_with_uncertainty` adds parametric-bootstrap intervals per customer and for customer equity.
Horizons are in months (365.25/12 days each); the models' own time unit enters only via ``unit_days``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import DAYS_PER_MONTH, _check_rfm, _index_of, _unique_inverse
from .gamma_gamma import _check_spend, _gg_expected_spend


def _month_grid(horizon_months: int, annual_discount_rate: float, unit_days: float):
    """Month ends t_i = i * (365.25/12 days) in model units and the coefficients c_i = d_i - d_(i+1)
    such that sum_i (E_i - E_(i-1)) d_i = sum_i c_i E_i (summation by parts, E_0 = 0, d_(H+1) = 0),
    with the discount factor d_i = (1 + annual rate)^(-i/12)."""
    if int(horizon_months) != horizon_months or horizon_months < 1:
        raise ValueError("horizon_months must be a whole number of months >= 1.")
    if not unit_days > 0:
        raise ValueError("unit_days (the length of the model time unit in days) must be positive.")
    if not annual_discount_rate > -1:
        raise ValueError("annual_discount_rate must be greater than -100%.")
    months = np.arange(1, int(horizon_months) + 1, dtype=float)
    t_grid = months * DAYS_PER_MONTH / unit_days
    discount = (1.0 + annual_discount_rate) ** (-months / 12.0)
    coef = discount - np.append(discount[1:], 0.0)
    return t_grid, coef


def customer_lifetime_value(purchase_model, spend_model, frequency, recency, T, monetary_value,
                            horizon_months: int = 12, margin: float = 0.3, annual_discount_rate: float = 0.10,
                            unit_days: float = 7.0, spend_frequency=None):
    """Expected discounted gross margin of each customer over the next ``horizon_months`` months.

        CLV = sum_{i=1..H} (E[Y(t_i)] - E[Y(t_(i-1))]) * E[spend] * margin / (1 + annual_rate)^(i/12)

    with E[Y(t)] the purchase model's conditional expectation of repeat purchases (FHL 2005a eq. 10 or
    its MBG / Pareto counterpart), E[spend] the Gamma-Gamma conditional expected spend (Fader & Hardie
    2013 eq. 5), t_i the end of month i (a month is 365.25/12 days; in model units
    t_i = i * 30.44 / unit_days) and the monthly discount factor (1 + annual_rate)^(-1/12) (FHL 2005b
    discount at the end of each month). ``unit_days`` is the length of the model's time unit in days
    (7 for weeks) and only converts months into model units; ``recency`` and ``T`` stay in model
    units. Money is in the currency of ``monetary_value``; ``margin`` is a fraction of spend.

    ``spend_frequency`` is the number of occasions ``monetary_value`` averages (``spend_frequency``
    column of :func:`summary_as_of`); it defaults to ``frequency``. Customers without a monetary
    value get the population mean spend. Returns a Series ``clv`` (index kept from the inputs);
    customer equity is its sum.
    """
    params, spend_params, x, tx, T_, xs, m, t_grid, coef = _checked_inputs(
        purchase_model, spend_model, frequency, recency, T, monetary_value, spend_frequency, margin,
        horizon_months, annual_discount_rate, unit_days)
    purchases = purchase_model._discounted_purchases(params, t_grid, coef, x, tx, T_)
    value = purchases * _gg_expected_spend(spend_params, xs, m) * margin
    index = _index_of(frequency, recency, T, monetary_value)
    return pd.Series(value, index=index if index is not None and len(index) == len(value) else None, name="clv")


def _check_margin(margin):
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError("margin must be a fraction >= 0 of spend (e.g. 0.3 for 30%).")


def _checked_inputs(purchase_model, spend_model, frequency, recency, T, monetary_value, spend_frequency, margin,
                    horizon_months, annual_discount_rate, unit_days):
    """The checks both CLV functions run first, in this order (so both fail alike): the models are
    fitted, the summary and spend are valid, the margin is a fraction, the month grid exists. Returns
    the two parameter vectors, the checked arrays (x, tx, T, spend x, spend m) and the grid."""
    params = purchase_model._check_fitted()
    spend_params = spend_model._check_fitted()
    x, tx, T_ = _check_rfm(frequency, recency, T)
    xs, m = _check_spend(x if spend_frequency is None else spend_frequency, monetary_value, allow_missing=True)
    _check_margin(margin)
    t_grid, coef = _month_grid(horizon_months, annual_discount_rate, unit_days)
    return params, spend_params, x, tx, T_, xs, m, t_grid, coef


@dataclass(frozen=True)
class CLVEstimate:
    """Per-customer CLV with an interval, and customer equity (the sum) with its interval.

    ``customers`` has columns ``clv`` (at the fitted parameters), ``clv_lower``, ``clv_upper``.
    The equity interval comes from the sum of each draw over all customers, not from summing the
    customer bounds (parameter uncertainty moves every customer together).
    """

    customers: pd.DataFrame
    equity: float
    equity_lower: float
    equity_upper: float
    interval: float
    n_draws: int


def clv_with_uncertainty(purchase_model, spend_model, frequency, recency, T, monetary_value,
                         horizon_months: int = 12, margin: float = 0.3, annual_discount_rate: float = 0.10,
                         unit_days: float = 7.0, spend_frequency=None, n_draws: int = 200,
                         interval: float = 0.90, random_state=None) -> CLVEstimate:
    """CLV per customer and customer equity with a ``interval`` (default 90%: 5% and 95% bounds)
    parameter-uncertainty interval.

    Parametric bootstrap: ``n_draws`` parameter vectors are drawn from the asymptotic normal of each
    model's log-parameters (mean the estimate, covariance the inverse Hessian; the purchase and spend
    models independently, as they are fitted separately), CLV is recomputed for every customer for
    each draw (vectorised), and the bounds are the empirical quantiles. The interval reflects how well
    the data pin down the parameters, not the randomness of an individual customer's future.
    Seeded through ``random_state``.
    """
    if not 0 < interval < 1:
        raise ValueError("interval must be between 0 and 1, e.g. 0.9.")
    params, spend_params, x, tx, T_, xs, m, t_grid, coef = _checked_inputs(
        purchase_model, spend_model, frequency, recency, T, monetary_value, spend_frequency, margin,
        horizon_months, annual_discount_rate, unit_days)
    rng = np.random.default_rng(random_state)
    purchase_draws = purchase_model.sample_params(n_draws, rng)
    spend_draws = spend_model.sample_params(n_draws, rng)
    # a draw with q <= 1 has no finite mean spend: keep it just above 1 rather than fail the estimate
    spend_draws[:, 1] = np.maximum(spend_draws[:, 1], 1.0 + 1e-6)
    xT = _unique_inverse(x, T_)
    point = purchase_model._discounted_purchases(params, t_grid, coef, x, tx, T_, xT) \
        * _gg_expected_spend(spend_params, xs, m) * margin
    n = len(x)
    lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
    lower = np.empty(n)
    upper = np.empty(n)
    equity_draws = np.zeros(n_draws)
    chunk = max(1, 20_000_000 // max(n_draws, 1))
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        sub_xT = _unique_inverse(x[sl], T_[sl])
        draws = np.empty((n_draws, sl.stop - sl.start))
        for k in range(n_draws):
            draws[k] = purchase_model._discounted_purchases(purchase_draws[k], t_grid, coef, x[sl], tx[sl],
                                                            T_[sl], sub_xT) \
                * _gg_expected_spend(spend_draws[k], xs[sl], m[sl]) * margin
        equity_draws += draws.sum(axis=1)
        lower[sl], upper[sl] = np.quantile(draws, [lo_q, hi_q], axis=0)
    index = _index_of(frequency, recency, T, monetary_value)
    customers = pd.DataFrame({"clv": point, "clv_lower": lower, "clv_upper": upper},
                             index=index if index is not None and len(index) == n else None)
    eq_lo, eq_hi = np.quantile(equity_draws, [lo_q, hi_q])
    return CLVEstimate(customers=customers, equity=float(point.sum()), equity_lower=float(eq_lo),
                       equity_upper=float(eq_hi), interval=interval, n_draws=n_draws)
