"""What one plan buys: a :class:`Scenario` (budget, split, targets, horizon) turned into its outcome.

:func:`simulate` spreads the budget evenly over the targeted customers and returns this quarter's
incremental orders, revenue and margin, and the incremental customer value over the horizon with its
NPV and ROI (:data:`RESULT_COLUMNS`). :class:`_Levers` holds the per-segment response of both levers
for one scenario; frontiers, allocations and Monte Carlo bands evaluate it on many spends at once.

How a promotion works here (per targeted segment; amounts in currency, shares in 0..1)
-------------------------------------------------------------------------------------
Spending ``s`` per targeted customer reaches a share ``reach(s) = 1 - exp(-s / promo_saturation_amount)``
of them: diminishing returns, zero at zero spend. During the ``promo_days`` promotion days, reached
customers buy ``promo_uplift`` more often than they would have (the extra orders), and a share
``promo_take_rate`` of the orders they would have placed anyway take the discount too (subsidised
orders). With ``O``, ``V`` the segment's expected orders and their value at full price this quarter
(BG/NBD x Gamma-Gamma, from the value snapshot) and ``f = promo_days / 91.31`` (days per quarter)::

    extra orders       = promo_uplift * reach * f * O           (value at full price: ... * V)
    quarter revenue    = (1 - d) * extra value - d * promo_take_rate * reach * f * V
    quarter margin     = (m - d) * extra value - d * promo_take_rate * reach * f * V

with ``d`` the discount depth (``promo_discount_share`` of list price) and ``m`` the gross margin.
A share ``promo_pull_forward_share`` of the extra orders would have been placed anyway in the next
quarter: their full-price margin is lost there (months 4-6). Every extra order also brings
``promo_new_customers_per_order`` new customers (their first order is on promotion), who are worth
``promo_acquired_value_ratio`` times a new customer of the fitted purchase model (promotion-acquired
customers drop out faster). The promotion's value is the discounted sum of all of it.

Loyalty lowers the targeted customers' dropout; how, is in :mod:`custlib.simulate.curves`. Value is
discounted gross margin, the CLV convention of :func:`custlib.clv.customer_lifetime_value`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import interpolate

from ..errors import CustlibError
from .assumptions import Assumptions
from .curves import DROPOUT_GRID, MAX_DROPOUT_REDUCTION, ResponseCurves
from .periods import DAYS_PER_QUARTER, QUARTER_MONTHS


@dataclass(frozen=True)
class Scenario:
    """A plan to simulate: ``budget_amount`` (currency, spent this quarter), ``promo_share`` (0..1 of it
    to promotions, the rest to loyalty), ``target_segments`` (labels of the curves' segments; empty =
    all), ``horizon_months`` (3.. the curves' horizon), ``margin`` (gross margin, share of revenue) and
    ``annual_discount_rate`` (share per year). The budget is spread evenly over the targeted customers."""

    budget_amount: float
    promo_share: float = 0.5
    target_segments: tuple[str, ...] = ()
    horizon_months: int = 12
    margin: float = 0.30
    annual_discount_rate: float = 0.10

    def __post_init__(self):
        if not (math.isfinite(self.budget_amount) and self.budget_amount >= 0):
            raise ValueError(f"budget_amount must be an amount >= 0; got {self.budget_amount!r}.")
        if not 0 <= self.promo_share <= 1:
            raise ValueError(f"promo_share must be between 0 and 1; got {self.promo_share!r}.")
        if not 0 <= self.margin <= 1:
            raise ValueError(f"margin must be a share between 0 and 1; got {self.margin!r}.")
        if not self.annual_discount_rate > -1:
            raise ValueError("annual_discount_rate must be greater than -100%.")
        if int(self.horizon_months) != self.horizon_months or self.horizon_months < QUARTER_MONTHS:
            raise ValueError(f"horizon_months must be a whole number >= {QUARTER_MONTHS}.")
        object.__setattr__(self, "target_segments", tuple(self.target_segments))


#: Outcome metrics of :func:`simulate` (and of every row of :func:`frontier` and :func:`allocate`).
RESULT_COLUMNS = (
    "promo_amount", "loyalty_amount", "quarter_incremental_orders", "quarter_incremental_revenue",
    "quarter_incremental_margin", "quarter_discount_amount", "new_customers", "horizon_incremental_orders",
    "promo_value", "loyalty_value", "incremental_value", "npv", "roi",
)


def _coefficients(curves: ResponseCurves, scenario: Scenario) -> dict:
    if scenario.horizon_months > curves.horizon_months:
        raise CustlibError(f"The horizon of {scenario.horizon_months} months is longer than the "
                           f"{curves.horizon_months} months the response curves were built for; rebuild them "
                           f"with response_curves(..., horizon_months={scenario.horizon_months}).")
    months = np.arange(1, scenario.horizon_months + 1, dtype=float)
    discount = (1.0 + scenario.annual_discount_rate) ** (-months / 12.0)
    # sum_i (E_i - E_(i-1)) d_i = sum_i c_i E_i with c_i = d_i - d_(i+1), d_(H+1) = 0 (summation by parts)
    coef = discount - np.append(discount[1:], 0.0)
    after = (1.0 + scenario.annual_discount_rate) ** (-np.arange(4, 7) / 12.0)
    return {"coef": coef, "quarter_factor": float(discount[:3].mean()), "next_quarter_factor": float(after.mean()),
            "h": scenario.horizon_months}


class _Levers:
    """Per-segment response functions for one scenario's horizon, margin and discount rate."""

    def __init__(self, curves: ResponseCurves, scenario: Scenario, index: np.ndarray):
        c = _coefficients(curves, scenario)
        h, q = c["h"], QUARTER_MONTHS - 1
        self.margin = scenario.margin
        self.c = c
        self.n = curves.customers[index].astype(float)
        self.base_orders = curves.orders[index, 0, q]
        self.base_spend = curves.spend[index, 0, q]
        spend = curves.spend[index][:, :, :h]
        orders = curves.orders[index][:, :, :h]
        # loyalty: increments over the untreated curve, as functions of the dropout reduction
        self.loyalty_value = [interpolate.PchipInterpolator(DROPOUT_GRID, (s - s[0]) @ c["coef"]) for s in spend]
        self.loyalty_quarter_spend = [interpolate.PchipInterpolator(DROPOUT_GRID, s[:, q] - s[0, q]) for s in spend]
        self.loyalty_quarter_orders = [interpolate.PchipInterpolator(DROPOUT_GRID, o[:, q] - o[0, q]) for o in orders]
        self.loyalty_horizon_orders = [interpolate.PchipInterpolator(DROPOUT_GRID, o[:, -1] - o[0, -1])
                                       for o in orders]
        new = curves.new_orders[:h]
        self.new_value_orders = float(new @ c["coef"])  # discounted repeat purchases of a new customer
        self.new_quarter_orders = float(new[q])
        self.new_horizon_orders = float(new[-1])
        self.new_amount = curves.new_order_amount

    def evaluate(self, promo: np.ndarray, loyalty: np.ndarray, a: dict) -> dict:
        """Outcomes per segment for spend arrays of shape (D, K) and assumption arrays of shape (D, 1)
        (or scalars). Returns arrays of shape (D, K)."""
        m = self.margin
        n = np.where(self.n > 0, self.n, 1.0)
        reach = -np.expm1(-(promo / n) / a["promo_saturation_amount"]) * (self.n > 0)
        f = a["promo_days"] / DAYS_PER_QUARTER
        d = a["promo_discount_share"]
        extra_orders = a["promo_uplift"] * reach * f * self.base_orders
        extra_value = a["promo_uplift"] * reach * f * self.base_spend
        subsidised = a["promo_take_rate"] * reach * f * self.base_spend
        new = a["promo_new_customers_per_order"] * extra_orders
        ratio = a["promo_acquired_value_ratio"]
        first_value = new * self.new_amount
        new_quarter_spend = new * ratio * self.new_quarter_orders * self.new_amount
        promo_q_revenue = (1 - d) * (extra_value + first_value) - d * subsidised + new_quarter_spend
        promo_q_margin = (m - d) * (extra_value + first_value) - d * subsidised + m * new_quarter_spend
        promo_discount = d * (extra_value + first_value + subsidised)
        promo_value = (self.c["quarter_factor"] * ((m - d) * (extra_value + first_value) - d * subsidised)
                       - self.c["next_quarter_factor"] * m * a["promo_pull_forward_share"] * extra_value
                       + m * new * ratio * self.new_value_orders * self.new_amount)
        promo_orders_q = extra_orders + new * (1 + ratio * self.new_quarter_orders)
        promo_orders_h = (extra_orders * (1 - a["promo_pull_forward_share"])
                          + new * (1 + ratio * self.new_horizon_orders))

        reduction = a["loyalty_max_dropout_reduction"] * -np.expm1(-(loyalty / n) / a["loyalty_saturation_amount"])
        reduction = np.broadcast_to(np.clip(reduction, 0.0, MAX_DROPOUT_REDUCTION) * (self.n > 0), promo.shape)
        columns = lambda fns: np.column_stack([fn(reduction[:, j]) for j, fn in enumerate(fns)])  # noqa: E731
        loyalty_value = m * columns(self.loyalty_value)
        loyalty_q_revenue = columns(self.loyalty_quarter_spend)
        loyalty_orders_q = columns(self.loyalty_quarter_orders)
        loyalty_orders_h = columns(self.loyalty_horizon_orders)
        return {
            "promo_amount": promo, "loyalty_amount": loyalty,
            "quarter_incremental_orders": promo_orders_q + loyalty_orders_q,
            "quarter_incremental_revenue": promo_q_revenue + loyalty_q_revenue,
            "quarter_incremental_margin": promo_q_margin + m * loyalty_q_revenue,
            "quarter_discount_amount": promo_discount + 0 * loyalty,
            "new_customers": new + 0 * loyalty,
            "horizon_incremental_orders": promo_orders_h + loyalty_orders_h,
            "promo_value": promo_value + 0 * loyalty, "loyalty_value": loyalty_value + 0 * promo,
        }


def _totals(per_segment: dict) -> dict:
    """Sum per-segment outcomes over segments and add value, NPV and ROI."""
    out = {name: np.asarray(value).sum(axis=-1) for name, value in per_segment.items()}
    budget = out["promo_amount"] + out["loyalty_amount"]
    out["incremental_value"] = out["promo_value"] + out["loyalty_value"]
    out["npv"] = out["incremental_value"] - budget
    with np.errstate(invalid="ignore", divide="ignore"):
        out["roi"] = np.where(budget > 0, out["npv"] / np.where(budget > 0, budget, 1.0), np.nan)
    return out


def _even_split(levers: _Levers, amount) -> np.ndarray:
    """An amount (or a column of amounts) spread over the targeted segments in proportion to customers."""
    amount = np.atleast_1d(np.asarray(amount, dtype=float))[:, None]
    total = levers.n.sum()
    return amount * (levers.n / total if total > 0 else np.zeros_like(levers.n))


def _assumption_values(assumptions: Assumptions) -> dict:
    return {name: float(getattr(assumptions, name)) for name in Assumptions.names()}


def simulate(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions) -> pd.Series:
    """The outcome of one scenario, a Series over :data:`RESULT_COLUMNS` (currency unless said):

    ``promo_amount``, ``loyalty_amount``: the budget split. ``quarter_incremental_orders``,
    ``quarter_incremental_revenue``, ``quarter_incremental_margin``: this quarter's (months 1-3, not
    discounted) extra purchases, revenue net of discounts and gross margin net of discounts, before
    the budget. ``quarter_discount_amount``: discounts given on promotion orders (already netted out).
    ``new_customers``: customers the promotion acquires. ``horizon_incremental_orders``: extra
    purchases over the horizon, pull-forward deducted. ``promo_value``, ``loyalty_value``,
    ``incremental_value``: incremental customer value over the horizon (discounted gross margin),
    by lever and in total. ``npv`` = incremental_value - budget (spent now). ``roi`` = npv / budget
    (NaN for a zero budget).
    """
    levers = _Levers(curves, scenario, curves.segment_index(scenario.target_segments))
    promo = _even_split(levers, scenario.budget_amount * scenario.promo_share)
    loyalty = _even_split(levers, scenario.budget_amount * (1 - scenario.promo_share))
    totals = _totals(levers.evaluate(promo, loyalty, _assumption_values(assumptions)))
    return pd.Series({name: float(totals[name][0]) for name in RESULT_COLUMNS}, name="result")
