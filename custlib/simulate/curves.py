"""What each segment would buy from the value snapshot, as fitted and with a lower dropout.

:func:`response_curves` turns a value snapshot into :class:`ResponseCurves`: per segment, the
expected repeat purchases and their value month by month over the horizon, the baseline a promotion
acts on, and the same with the dropout lowered, which is how loyalty works here.

How loyalty works here
----------------------
Spending ``s`` per targeted customer lowers their dropout by the share
``loyalty_max_dropout_reduction * (1 - exp(-s / loyalty_saturation_amount))`` from now on. For BG/NBD
and MBG/NBD the dropout probability p ~ Beta(a, b) of a treated customer gets the same ``a`` and a mean
lower by that share: ``b' = (a + b) / (1 - reduction) - a``; for Pareto/NBD the dropout rate
mu ~ Gamma(s, beta) gets ``beta' = beta / (1 - reduction)``. The probability that the customer is
still active today is kept from the fitted model (a programme cannot change the past); expected
purchases while active are recomputed with the new parameter (FHL 2005a eq. 10 conditional on being
alive), times the customer's expected spend (Gamma-Gamma) and the margin, discounted monthly.
The lift is assumed to last the whole horizon. To make frontiers, allocations and Monte Carlo draws
instant, the recomputation is done once on a grid of reductions (:data:`DROPOUT_GRID`) for every
segment and interpolated (monotone cubic, PCHIP) in between (:class:`custlib.simulate.levers._Levers`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import clv
from ..errors import CustlibError
from .periods import QUARTER_MONTHS

#: Dropout reductions at which the loyalty response is computed exactly (interpolated in between).
DROPOUT_GRID = np.linspace(0.0, 0.9, 19)
MAX_DROPOUT_REDUCTION = float(DROPOUT_GRID[-1])
ALL_CUSTOMERS = "all customers"


@dataclass(frozen=True)
class ResponseCurves:
    """Everything the scenario arithmetic needs from the value snapshot, per segment (made once).

    ``orders[k, g, i]`` and ``spend[k, g, i]``: expected repeat purchases of segment k's customers in
    months 1..i (cumulative), and their value at the customers' expected spend (currency), when their
    dropout is lower by ``DROPOUT_GRID[g]`` (g = 0: as fitted). ``new_orders[i]``: expected repeat
    purchases in months 1..i of a new customer of the fitted model; ``new_order_amount``: a new
    customer's expected spend per purchase. ``average_order_amount`` = baseline quarter spend / orders
    over everyone, the scale of the default saturation amounts.
    """

    segments: tuple[str, ...]
    customers: np.ndarray
    orders: np.ndarray
    spend: np.ndarray
    new_orders: np.ndarray
    new_order_amount: float
    average_order_amount: float
    horizon_months: int
    model_label: str

    def segment_index(self, labels) -> np.ndarray:
        if not labels:
            return np.arange(len(self.segments))
        unknown = [label for label in labels if label not in self.segments]
        if unknown:
            raise CustlibError(f"Unknown target segment(s) {unknown}; the segments are {list(self.segments)}.")
        return np.array([self.segments.index(label) for label in labels])


def response_curves(snapshot, segments: pd.Series | None = None, horizon_months: int | None = None) -> ResponseCurves:
    """Precompute the promotion baseline and the loyalty response of every segment from a value snapshot.

    ``snapshot`` is a :class:`custlib.valuation.ValueSnapshot`; ``segments`` a Series of labels
    (segment, tier, ...) indexed by customer_id (customers without a label are left out); None puts
    everyone in one segment, ``ALL_CUSTOMERS``. ``horizon_months`` (default the snapshot's) is the
    longest horizon a scenario may use. Vectorised: expected purchases are computed once per distinct
    (frequency, T) and grid point, then summed per segment with the customers' weights.
    """
    frame = snapshot.customers
    model = snapshot.purchase_model
    horizon = int(horizon_months or snapshot.settings.horizon_months)
    if horizon < QUARTER_MONTHS:
        raise ValueError(f"horizon_months must be at least {QUARTER_MONTHS} (one quarter).")
    unit_days = clv.UNIT_DAYS[snapshot.settings.unit]
    if segments is None:
        labels = pd.Series(ALL_CUSTOMERS, index=frame.index)
    else:
        if not segments.index.is_unique:
            raise ValueError("segments has duplicate customer ids.")
        labels = segments.reindex(frame.index)
    keep = labels.notna().to_numpy()
    codes, names = pd.factorize(labels[keep].astype(str), sort=True)
    k = len(names)
    x = frame["frequency"].to_numpy(float)[keep]
    T = frame["T"].to_numpy(float)[keep]
    alive = frame["probability_alive"].to_numpy(float)[keep]
    spend = frame["expected_spend"].to_numpy(float)[keep]
    t_grid = np.arange(1, horizon + 1) * clv.DAYS_PER_MONTH / unit_days
    # The fitted baseline on the exact (x, T); the increments of a lower dropout on T rounded to whole
    # model units (at most half a unit off, which moves an increment by well under a percent): 4x less work.
    exact_pairs, exact_inverse = _unique_pairs(x, T)
    base = _expected_if_alive(model, t_grid, *exact_pairs) @ _segment_weights(exact_inverse, codes, k, alive, spend)
    rounded_pairs, rounded_inverse = _unique_pairs(x, np.round(T))
    rounded_weights = _segment_weights(rounded_inverse, codes, k, alive, spend)
    rounded_base = _expected_if_alive(model, t_grid, *rounded_pairs) @ rounded_weights
    orders = np.empty((k, len(DROPOUT_GRID), horizon))
    spend_curve = np.empty_like(orders)
    for g, reduction in enumerate(DROPOUT_GRID):
        values = base
        if g > 0:
            treated = _with_lower_dropout(model, reduction)
            values = base + _expected_if_alive(treated, t_grid, *rounded_pairs) @ rounded_weights - rounded_base
        orders[:, g, :], spend_curve[:, g, :] = values[:, :k].T, values[:, k:].T
    new_orders = np.asarray(model.expected_purchases_new(t_grid), dtype=float)
    if snapshot.spend_model is not None:
        new_amount = float(np.asarray(snapshot.spend_model.expected_spend(0, np.nan)).ravel()[0])
    else:
        new_amount = float(frame["expected_spend"].mean())
    base_orders = orders[:, 0, QUARTER_MONTHS - 1].sum()
    average = float(spend_curve[:, 0, QUARTER_MONTHS - 1].sum() / base_orders) if base_orders > 0 else new_amount
    return ResponseCurves(segments=tuple(str(n) for n in names), customers=np.bincount(codes, minlength=k),
                          orders=orders, spend=spend_curve, new_orders=new_orders, new_order_amount=new_amount,
                          average_order_amount=average, horizon_months=horizon, model_label=snapshot.model_label)


def _segment_weights(inverse: np.ndarray, codes: np.ndarray, k: int, alive: np.ndarray,
                     spend: np.ndarray) -> np.ndarray:
    """(distinct pairs, 2k) sums per distinct (x, T) and segment: P(alive), then P(alive) x expected spend."""
    cell = inverse.astype(np.int64) * k + codes
    size = (int(inverse.max()) + 1 if len(inverse) else 0) * k
    orders = np.bincount(cell, weights=alive, minlength=size).reshape(-1, k)
    value = np.bincount(cell, weights=alive * spend, minlength=size).reshape(-1, k)
    return np.hstack([orders, value])


def _expected_if_alive(model, t_grid: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[repeat purchases in (T, T + t_i] | alive at T, x, T] for every month end t_i: shape (months, pairs).

    Through the public predictions, E[Y(t) | data] / P(alive | data); at t_x = T (just bought) the
    probability alive is far from 0 and does not otherwise enter, so the ratio is well conditioned."""
    tx = np.where(x > 0, T, 0.0)
    return (np.asarray(model.predict_purchases(t_grid[:, None], x, tx, T))
            / np.asarray(model.probability_alive(x, tx, T)))


def _unique_pairs(x: np.ndarray, T: np.ndarray):
    """Distinct (x, T) rows and the row index of each input (one 1-D unique on a combined key)."""
    T_values, T_code = np.unique(T, return_inverse=True)
    x_values, x_code = np.unique(x, return_inverse=True)
    key = x_code.astype(np.int64) * len(T_values) + T_code
    unique_key, inverse = np.unique(key, return_inverse=True)
    return (x_values[unique_key // len(T_values)], T_values[unique_key % len(T_values)]), inverse


def _with_lower_dropout(model, reduction: float):
    """The fitted purchase model with a dropout lower by the share ``reduction`` (see module docstring)."""
    params = model.params_.to_dict()
    if reduction == 0:
        return type(model).from_params(**params)
    if "b" in params:  # BG/NBD, MBG/NBD: mean of Beta(a, b) scaled by (1 - reduction), a kept
        a, b = params["a"], params["b"]
        params["b"] = (a + b) / (1.0 - reduction) - a
    elif "beta" in params:  # Pareto/NBD: mean of Gamma(s, beta) = s / beta scaled by (1 - reduction)
        params["beta"] = params["beta"] / (1.0 - reduction)
    else:  # pragma: no cover - every purchase model has a dropout parameter
        raise TypeError(f"{type(model).__name__} has no dropout parameter to lower.")
    return type(model).from_params(**params)
