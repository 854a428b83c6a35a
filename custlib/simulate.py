"""Promotion or loyalty? What a budget buys this quarter (sales) against what it adds to customer value.

Given a budget (currency), the share of it spent on promotions (the rest goes to a loyalty or retention
programme), the customers it targets (segments or tiers), a horizon in months, a gross margin and an
annual discount rate, the simulator answers:

* this quarter's incremental orders, revenue and margin (months 1-3, undiscounted);
* the incremental customer value over the horizon (discounted gross margin, the CLV convention of
  :func:`custlib.clv.customer_lifetime_value`), its net present value after the budget, and ROI;
* the frontier of short-term revenue against long-term value over splits from 0% to 100% promotion,
  the best split for a weight between the two, an allocation across segments by marginal return, and
  Monte Carlo bands over the assumption ranges.

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
segment and interpolated (monotone cubic, PCHIP) in between.

Estimated from data vs assumed
------------------------------
:func:`estimate_promotion_effects` reads the history: the promotion uplift and take rate from daily
repeat orders on promotion days against the same month's other days (Poisson regression with month
and weekday effects), the discount depth of promotion orders, pull-forward from the dip after
promotions, new customers per extra order, and the retention of promotion-acquired against organic
customers from BG/NBD fits by acquisition cohort. Reach saturation and everything about loyalty cannot
be read from a history without a programme: they are assumptions with stated ranges
(:class:`Assumptions`, :meth:`Assumptions.table`), shown beside results.

Scenarios are stored in DuckDB (table ``sim_scenarios``), listed, compared and exported as CSV.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date

import numpy as np
import pandas as pd
from scipy import interpolate

from . import audit, clv, db
from .errors import CustlibError

__all__ = [
    "Assumptions", "PromotionEstimates", "ResponseCurves", "Scenario", "BestSplit",
    "estimate_promotion_effects", "default_assumptions", "response_curves", "simulate", "frontier",
    "best_split", "allocate", "simulate_uncertainty", "save_scenario", "list_scenarios",
    "load_scenario", "delete_scenario", "compare_scenarios", "RESULT_COLUMNS",
]

ESTIMATED = "estimated from data"
ASSUMED = "assumption"
DAYS_PER_QUARTER = 3 * clv.DAYS_PER_MONTH
QUARTER_MONTHS = 3
#: Dropout reductions at which the loyalty response is computed exactly (interpolated in between).
DROPOUT_GRID = np.linspace(0.0, 0.9, 19)
MAX_DROPOUT_REDUCTION = float(DROPOUT_GRID[-1])
ALL_CUSTOMERS = "all customers"


# --- assumptions ----------------------------------------------------------------------------------


def _assumption(default: float, low: float, high: float, unit: str, text: str):
    return field(default=default, metadata={"low": low, "high": high, "unit": unit, "text": text})


@dataclass(frozen=True)
class Assumptions:
    """The simulator's parameters. Defaults in brackets, plausible range after them; ``sources`` says
    for each whether it was estimated from data or assumed, ``ranges`` holds the range used for the
    Monte Carlo bands (default: the one below). Build it with :func:`default_assumptions` to get the
    data's estimates and currency amounts scaled to the data; edit with ``dataclasses.replace``.

    promo_uplift [0.30; 0.05-1.0], share: extra orders per order that would have been placed, on
        promotion days, among reached customers. Estimated: repeat-order rate on promotion days over
        the rate on the same month's other days, minus 1 (historical promotions taken as full reach).
    promo_days [14; 3-30], days: promotion days this quarter. Estimated: promotion days per quarter
        in the history.
    promo_saturation_amount [20; 5-80], currency per targeted customer: promotion spend at which 63%
        (1 - 1/e) of the targeted customers are reached. Assumption (default 2% of the average order
        value, range 0.5%-8%).
    promo_take_rate [0.30; 0.10-0.60], share: of the orders reached customers would have placed anyway
        on promotion days, the share that takes the discount. Estimated: promotion share of repeat
        orders on promotion days s, take rate = s (1 + uplift) - uplift.
    promo_discount_share [0.15; 0.05-0.30], share of list price: discount depth of promotion orders.
        Estimated: discount / (paid + discount) over promotion sale lines.
    promo_pull_forward_share [0.20; 0-0.50], share: extra orders that would have been placed in the
        next quarter anyway. Estimated: orders missing in the days after promotions / extra orders.
    promo_new_customers_per_order [0.05; 0-0.30], customers per extra order: new customers a promotion
        brings. Estimated: extra first orders on promotion days / extra repeat orders. Set it to 0 for
        a promotion only existing customers can see.
    promo_acquired_value_ratio [0.60; 0.30-1.0], ratio: expected repeat purchases over the next 12
        months of a promotion-acquired new customer against a new customer of the fitted model.
        Estimated: BG/NBD fitted on promotion-acquired customers against BG/NBD on all customers.
    loyalty_max_dropout_reduction [0.25; 0.05-0.50], share: how much lower the dropout of fully reached
        customers is (at most 0.9). Assumption.
    loyalty_saturation_amount [50; 10-200], currency per targeted customer: loyalty spend at which 63% of
        the maximum reduction is reached. Assumption (default 6% of the average order value, range
        1%-25%).
    """

    promo_uplift: float = _assumption(0.30, 0.05, 1.0, "share", "extra orders per usual order on promotion days")
    promo_days: float = _assumption(14.0, 3.0, 30.0, "days", "promotion days this quarter")
    promo_saturation_amount: float = _assumption(
        20.0, 5.0, 80.0, "currency per customer", "promotion spend per customer reaching 63% of them")
    promo_take_rate: float = _assumption(
        0.30, 0.10, 0.60, "share", "usual orders on promotion days that take the discount")
    promo_discount_share: float = _assumption(0.15, 0.05, 0.30, "share", "discount depth of promotion orders")
    promo_pull_forward_share: float = _assumption(
        0.20, 0.0, 0.50, "share", "extra orders that would have come next quarter anyway")
    promo_new_customers_per_order: float = _assumption(
        0.05, 0.0, 0.30, "customers per order", "new customers per extra promotion order")
    promo_acquired_value_ratio: float = _assumption(
        0.60, 0.30, 1.0, "ratio", "repeat purchases of a promotion-acquired new customer vs a typical new one")
    loyalty_max_dropout_reduction: float = _assumption(
        0.25, 0.05, 0.50, "share", "dropout reduction of fully reached customers")
    loyalty_saturation_amount: float = _assumption(
        50.0, 10.0, 200.0, "currency per customer", "loyalty spend per customer reaching 63% of the reduction")
    ranges: dict = field(default_factory=dict, compare=False)
    sources: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for name in self.names():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"Assumption {name} must be a number >= 0; got {value!r}.")
            low, high = self.range(name)
            if not low <= high:
                raise ValueError(f"The range of {name} must have low <= high; got ({low}, {high}).")
        for name in ("promo_take_rate", "promo_discount_share", "promo_pull_forward_share"):
            if getattr(self, name) > 1 or self.range(name)[1] > 1:
                raise ValueError(f"{name} is a share of at most 1; got {getattr(self, name)}.")
        if self.promo_days > DAYS_PER_QUARTER or self.range("promo_days")[1] > DAYS_PER_QUARTER:
            raise ValueError(f"promo_days cannot exceed the {DAYS_PER_QUARTER:.0f} days of a quarter.")
        for name in ("promo_saturation_amount", "loyalty_saturation_amount"):
            if getattr(self, name) <= 0 or self.range(name)[0] <= 0:
                raise ValueError(f"{name} must be a positive amount of currency per customer.")
        if (self.loyalty_max_dropout_reduction > MAX_DROPOUT_REDUCTION
                or self.range("loyalty_max_dropout_reduction")[1] > MAX_DROPOUT_REDUCTION):
            raise ValueError(f"loyalty_max_dropout_reduction can be at most {MAX_DROPOUT_REDUCTION}.")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.metadata)

    def range(self, name: str) -> tuple[float, float]:
        """The plausible (low, high) of assumption ``name``: given in ``ranges`` or the documented one."""
        if name in self.ranges:
            low, high = self.ranges[name]
            return float(low), float(high)
        meta = _FIELD_META[name]
        return float(meta["low"]), float(meta["high"])

    def source(self, name: str) -> str:
        return self.sources.get(name, ASSUMED)

    def table(self) -> pd.DataFrame:
        """One row per assumption, to show beside results: ``name``, ``value``, ``low``, ``high``,
        ``unit``, ``source`` ("estimated from data" or "assumption"), ``description``."""
        rows = [{"name": name, "value": float(getattr(self, name)), "low": self.range(name)[0],
                 "high": self.range(name)[1], "unit": _FIELD_META[name]["unit"], "source": self.source(name),
                 "description": _FIELD_META[name]["text"]} for name in self.names()]
        return pd.DataFrame(rows, columns=ASSUMPTION_TABLE_COLUMNS)

    def to_dict(self) -> dict:
        return {"values": {name: float(getattr(self, name)) for name in self.names()},
                "ranges": {name: list(self.range(name)) for name in self.names()},
                "sources": {name: self.source(name) for name in self.names()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Assumptions":
        return cls(**data["values"], ranges={k: tuple(v) for k, v in data.get("ranges", {}).items()},
                   sources=dict(data.get("sources", {})))


_FIELD_META = {f.name: f.metadata for f in fields(Assumptions) if f.metadata}
ASSUMPTION_TABLE_COLUMNS = ("name", "value", "low", "high", "unit", "source", "description")
# Saturation defaults as shares of the average order value (value, low, high).
_SATURATION_SHARES = {"promo_saturation_amount": (0.02, 0.005, 0.08),
                      "loyalty_saturation_amount": (0.06, 0.01, 0.25)}


# --- estimates from the history ---------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionEstimates:
    """What the history says about promotions; ``None`` where it cannot tell (``notes`` say why).

    Shares in 0..1, amounts in currency, rates per week. ``promo_days`` is the set of detected
    promotion days; ``acquisition`` has one row per acquisition group ("organic", "promo") with
    ``customers``, ``repeat_share`` (share with a repeat purchase by as_of),
    ``repeat_within_180d_share`` (among customers acquired at least 180 days before as_of),
    ``r``, ``alpha``, ``a``, ``b`` (BG/NBD, weeks), ``dropout_mean`` (a / (a + b): the mean
    probability of dropping out after a purchase), ``purchase_rate_mean`` (r / alpha, purchases per
    week while active) and ``new_customer_purchases_12m`` (expected repeat purchases in the first 12
    months of a new customer). ``*_interval`` are 95% intervals (low, high).
    """

    as_of: date
    n_promo_days: int
    promo_days_per_quarter: float | None
    promo_uplift: float | None
    promo_uplift_interval: tuple[float, float] | None
    promo_take_rate: float | None
    promo_discount_share: float | None
    promo_pull_forward_share: float | None
    promo_pull_forward_interval: tuple[float, float] | None
    acquisition_uplift: float | None
    new_customers_per_extra_order: float | None
    promo_acquired_value_ratio: float | None
    promo_acquired_share: float | None
    acquisition: pd.DataFrame
    promo_days: pd.DatetimeIndex
    notes: tuple[str, ...] = ()

    @property
    def dropout_gap(self) -> float | None:
        """Mean dropout probability of promotion-acquired minus organic customers (BG/NBD a / (a+b))."""
        if {"promo", "organic"} <= set(self.acquisition.index):
            gap = self.acquisition.loc["promo", "dropout_mean"] - self.acquisition.loc["organic", "dropout_mean"]
            return None if pd.isna(gap) else float(gap)
        return None


ACQUISITION_COLUMNS = ("customers", "repeat_share", "repeat_within_180d_share", "r", "alpha", "a", "b",
                       "dropout_mean", "purchase_rate_mean", "new_customer_purchases_12m")
DAILY_COLUMNS = ("order_date", "orders", "first_orders", "repeat_orders", "promo_orders", "promo_first_orders",
                 "promo_repeat_orders", "promo_list_amount", "promo_discount_amount")
ACQUISITION_MART_COLUMNS = ("customer_id", "first_purchase_date", "second_purchase_date", "is_promo_acquired",
                            "first_order_amount", "first_discount_amount")
MIN_PROMO_DAYS = 3
MIN_GROUP_CUSTOMERS = 100
WEEKS_PER_12_MONTHS = 12 * clv.DAYS_PER_MONTH / 7.0


def estimate_promotion_effects(con, dataset_id: int, as_of, promo_day_share: float = 0.30,
                               min_promo_orders: int = 3, post_promo_days: int = 14) -> PromotionEstimates:
    """Estimate the promotion response and the retention of promotion-acquired customers up to ``as_of``.

    Promotion days are days on which at least ``promo_day_share`` of the purchase occasions, and at
    least ``min_promo_orders`` of them, are promotion occasions (``is_promo``; the daily counts come
    from ``sql/mart_sim_daily_orders.sql``). On the daily repeat orders a Poisson regression with one
    effect per calendar month, one per weekday, a promotion-day effect and a post-promotion effect
    (the ``post_promo_days`` days after a promotion that are not promotion days themselves) gives:

    * ``promo_uplift`` = exp(promotion effect) - 1, with a 95% interval from its standard error;
    * ``promo_pull_forward_share`` = orders missing after promotions (fitted rate without the
      post-promotion effect minus with it, summed over post days) / extra orders on promotion days,
      clipped to 0..1;
    * ``promo_take_rate`` = s (1 + uplift) - uplift, s the promotion share of repeat orders on
      promotion days (the demo generator's rule, and any rule where extra orders are all on promotion);
    * ``acquisition_uplift`` (same regression on first orders) and ``new_customers_per_extra_order``
      = extra first orders / extra repeat orders on promotion days.

    ``promo_discount_share`` is discount / list amount over promotion sale lines on promotion days.
    Promotion-acquired customers (first occasion on promotion, ``sql/mart_sim_acquisition.sql``) and
    organic ones each get a BG/NBD fit on their own summary (weeks); ``promo_acquired_value_ratio`` is
    the promotion group's expected repeat purchases of a new customer over 12 months against the
    same from a BG/NBD fit on everyone. Seasonality enters only through the month and weekday effects.
    """
    as_of = pd.Timestamp(as_of).date()
    notes: list[str] = []
    daily = _checked(db.query(con, "mart_sim_daily_orders", dataset_id=int(dataset_id), as_of=as_of),
                     DAILY_COLUMNS, "mart_sim_daily_orders")
    daily["order_date"] = pd.to_datetime(daily["order_date"])
    share = daily["promo_orders"] / daily["orders"].where(daily["orders"] > 0)
    is_promo = ((share >= promo_day_share) & (daily["promo_orders"] >= min_promo_orders)).to_numpy()
    promo_days = pd.DatetimeIndex(daily.loc[is_promo, "order_date"])
    n_days = len(daily)
    uplift = uplift_ci = take = discount = pull = pull_ci = acq_uplift = per_order = days_per_quarter = None
    if is_promo.sum() < MIN_PROMO_DAYS:
        notes.append(f"Only {int(is_promo.sum())} promotion days were found (a day counts when at least "
                     f"{promo_day_share:.0%} of its orders are promotion orders): the promotion response is "
                     f"an assumption, not an estimate.")
    else:
        days_per_quarter = float(is_promo.sum() / max(n_days, 1) * DAYS_PER_QUARTER)
        post = _post_days(is_promo, post_promo_days)
        fit = _poisson_daily(daily, is_promo, post, "repeat_orders")
        if fit is None:
            notes.append("The daily repeat orders could not be fitted: the promotion response is assumed.")
        else:
            coef, se, mu = fit["promo"], fit["promo_se"], fit["mu"]
            uplift = float(np.expm1(coef))
            uplift_ci = (float(np.expm1(coef - 1.96 * se)), float(np.expm1(coef + 1.96 * se)))
            extra = float(np.sum(mu[is_promo] * -np.expm1(-coef)))
            promo_repeat = daily.loc[is_promo, "promo_repeat_orders"].sum()
            repeat = daily.loc[is_promo, "repeat_orders"].sum()
            s = promo_repeat / repeat if repeat else np.nan
            take = float(np.clip(s * (1 + uplift) - uplift, 0.0, 1.0)) if uplift > 0 else None
            if "post" in fit and extra > 0:
                gamma, gamma_se = fit["post"], fit["post_se"]
                without = mu[post] * np.exp(-gamma)
                missing = lambda g: float(np.sum(without * -np.expm1(g)))  # noqa: E731
                pull = float(np.clip(missing(gamma) / extra, 0.0, 1.0))
                pull_ci = tuple(sorted(float(np.clip(missing(g) / extra, 0.0, 1.0))
                                       for g in (gamma - 1.96 * gamma_se, gamma + 1.96 * gamma_se)))
            else:
                notes.append("No days after promotions to compare: pull-forward is an assumption.")
            first = _poisson_daily(daily, is_promo, None, "first_orders")
            if first is not None and extra > 0:
                acq_uplift = float(np.expm1(first["promo"]))
                extra_first = float(np.sum(first["mu"][is_promo] * -np.expm1(-first["promo"])))
                per_order = max(extra_first, 0.0) / extra
        listed = daily.loc[is_promo, "promo_list_amount"].sum()
        if listed > 0:
            discount = float(daily.loc[is_promo, "promo_discount_amount"].sum() / listed)
    acquisition, ratio, promo_share = _acquisition_retention(con, dataset_id, as_of, notes)
    return PromotionEstimates(
        as_of=as_of, n_promo_days=int(is_promo.sum()), promo_days_per_quarter=days_per_quarter,
        promo_uplift=uplift, promo_uplift_interval=uplift_ci, promo_take_rate=take, promo_discount_share=discount,
        promo_pull_forward_share=pull, promo_pull_forward_interval=pull_ci, acquisition_uplift=acq_uplift,
        new_customers_per_extra_order=per_order, promo_acquired_value_ratio=ratio,
        promo_acquired_share=promo_share, acquisition=acquisition, promo_days=promo_days, notes=tuple(notes))


def _post_days(is_promo: np.ndarray, length: int) -> np.ndarray:
    """Days within ``length`` days after the end of a run of promotion days, not promotion days themselves."""
    post = np.zeros_like(is_promo)
    ends = np.flatnonzero(is_promo & ~np.append(is_promo[1:], False))
    for end in ends:
        post[end + 1:end + 1 + length] = True
    return post & ~is_promo


def _poisson_daily(daily: pd.DataFrame, is_promo: np.ndarray, post: np.ndarray | None, column: str) -> dict | None:
    """Poisson regression of a daily count on month and weekday effects plus promotion (and post-promotion)
    indicators, by iteratively reweighted least squares. Months without any count are left out."""
    y = daily[column].to_numpy(float)
    month = daily["order_date"].dt.to_period("M").astype(str).to_numpy()
    keep = pd.Series(y).groupby(month).transform("sum").to_numpy() > 0
    months = np.unique(month[keep])
    if len(months) == 0 or y[keep & is_promo].sum() == 0:
        return None
    weekday = daily["order_date"].dt.day_of_week.to_numpy()
    columns = [(month == m).astype(float) for m in months]
    columns += [(weekday == k).astype(float) for k in range(1, 7)]
    names = ["promo"]
    columns.append(is_promo.astype(float))
    if post is not None and (post & keep).sum() >= 7:
        columns.append(post.astype(float))
        names.append("post")
    X = np.column_stack(columns)[keep]
    yk = y[keep]
    mu = np.maximum(yk, 0.5)
    eta = np.log(mu)
    for _ in range(100):
        z = eta + (yk - mu) / mu
        xtw = X.T * mu
        info = xtw @ X
        try:
            beta = np.linalg.solve(info, xtw @ z)
        except np.linalg.LinAlgError:
            return None
        new_eta = X @ beta
        converged = np.max(np.abs(new_eta - eta)) < 1e-10
        eta, mu = new_eta, np.exp(new_eta)
        if converged:
            break
    cov = np.linalg.pinv((X.T * mu) @ X)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    full_mu = np.zeros(len(y))
    full_mu[keep] = mu
    out = {"mu": full_mu}
    for offset, name in enumerate(names):
        index = len(months) + 6 + offset
        out[name], out[name + "_se"] = float(beta[index]), float(se[index])
    return out


def _acquisition_retention(con, dataset_id: int, as_of: date, notes: list[str]):
    """The acquisition table of :class:`PromotionEstimates`, the value ratio and the promo-acquired share."""
    acquired = _checked(db.query(con, "mart_sim_acquisition", dataset_id=int(dataset_id), as_of=as_of),
                        ACQUISITION_MART_COLUMNS, "mart_sim_acquisition")
    summary = clv.summary_as_of(con, dataset_id, as_of, unit="week").merge(
        acquired[["customer_id", "second_purchase_date", "is_promo_acquired"]], on="customer_id", how="left")
    summary["group"] = np.where(summary["is_promo_acquired"].fillna(False).astype(bool), "promo", "organic")
    first = pd.to_datetime(summary["first_purchase_date"])
    second = pd.to_datetime(summary["second_purchase_date"])
    eligible = first <= pd.Timestamp(as_of) - pd.Timedelta(days=180)
    back_180 = (second - first).dt.days <= 180
    rows = {}
    models = {}
    for group, part in summary.groupby("group"):
        row = dict.fromkeys(ACQUISITION_COLUMNS, np.nan)
        row["customers"] = len(part)
        row["repeat_share"] = float((part["frequency"] > 0).mean())
        mask = eligible.loc[part.index]
        if mask.any():
            row["repeat_within_180d_share"] = float(back_180.loc[part.index][mask].mean())
        model = _fit_bgnbd(part, f"{group} customers", notes)
        if model is not None:
            models[group] = model
            r, alpha, a, b = model.params_.to_numpy()
            row.update(r=r, alpha=alpha, a=a, b=b, dropout_mean=a / (a + b), purchase_rate_mean=r / alpha,
                       new_customer_purchases_12m=float(model.expected_purchases_new(WEEKS_PER_12_MONTHS)))
        rows[group] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(ACQUISITION_COLUMNS))
    table.index.name = "acquisition"
    table["customers"] = table["customers"].astype("int64")
    ratio = None
    pooled = _fit_bgnbd(summary, "all customers", notes) if "promo" in models else None
    if pooled is not None:
        ratio = float(models["promo"].expected_purchases_new(WEEKS_PER_12_MONTHS)
                      / pooled.expected_purchases_new(WEEKS_PER_12_MONTHS))
    share = float((summary["group"] == "promo").mean()) if len(summary) else None
    return table, ratio, share


def _fit_bgnbd(summary: pd.DataFrame, label: str, notes: list[str]):
    if len(summary) < MIN_GROUP_CUSTOMERS or (summary["frequency"] > 0).sum() < MIN_GROUP_CUSTOMERS // 2:
        notes.append(f"Too few {label} ({len(summary)}) for a BG/NBD fit of their retention.")
        return None
    try:
        return clv.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    except (clv.FitFailed, clv.InvalidSummary) as exc:
        notes.append(f"BG/NBD could not be fitted on {label}: {exc}")
        return None


def default_assumptions(estimates: PromotionEstimates | None = None,
                        average_order_amount: float | None = None) -> Assumptions:
    """The :class:`Assumptions` to start from: the history's estimates where it can tell, the
    documented defaults elsewhere; saturation amounts scaled to ``average_order_amount`` (currency,
    e.g. :attr:`ResponseCurves.average_order_amount`). An estimate's range is its 95% interval when
    there is one, else the documented range widened to contain the estimate."""
    values, ranges, sources = {}, {}, {}
    if average_order_amount is not None and average_order_amount > 0:
        for name, (share, low, high) in _SATURATION_SHARES.items():
            values[name] = share * average_order_amount
            ranges[name] = (low * average_order_amount, high * average_order_amount)
    if estimates is not None:
        found = {
            "promo_uplift": (estimates.promo_uplift, estimates.promo_uplift_interval),
            "promo_days": (estimates.promo_days_per_quarter, None),
            "promo_take_rate": (estimates.promo_take_rate, None),
            "promo_discount_share": (estimates.promo_discount_share, None),
            "promo_pull_forward_share": (estimates.promo_pull_forward_share, estimates.promo_pull_forward_interval),
            "promo_new_customers_per_order": (estimates.new_customers_per_extra_order, None),
            "promo_acquired_value_ratio": (estimates.promo_acquired_value_ratio, None),
        }
        for name, (value, interval) in found.items():
            if value is None or not np.isfinite(value):
                continue
            meta = _FIELD_META[name]
            value = float(np.clip(value, 0.0, 1.0 if meta["unit"] == "share" and name != "promo_uplift" else np.inf))
            if name == "promo_days":
                value = float(np.clip(value, 1.0, DAYS_PER_QUARTER))
            low, high = interval if interval is not None else (min(meta["low"], value), max(meta["high"], value))
            low, high = max(0.0, min(low, value)), max(high, value)
            if name in ("promo_take_rate", "promo_discount_share", "promo_pull_forward_share"):
                high = min(high, 1.0)
            if name == "promo_days":
                high = min(high, DAYS_PER_QUARTER)
            values[name], ranges[name], sources[name] = value, (low, high), ESTIMATED
    return Assumptions(**values, ranges=ranges, sources=sources)


# --- response curves -------------------------------------------------------------------------------


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


# --- scenarios ---------------------------------------------------------------------------------------


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


FRONTIER_COLUMNS = ("promo_share",) + RESULT_COLUMNS + ("is_chosen",)


def frontier(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions, n_points: int = 21,
             n_draws: int = 0, random_state=0) -> pd.DataFrame:
    """Short-term against long-term outcome over promotion shares 0, 1/(n-1), ..., 1 of the same budget.

    One row per share (the scenario's own share added when it is not on the grid), columns
    ``promo_share``, :data:`RESULT_COLUMNS` and ``is_chosen`` (the scenario's share). Plot
    ``quarter_incremental_revenue`` (short term) against ``npv`` (long term). With ``n_draws`` > 0,
    columns ``<metric>_p05`` and ``<metric>_p95`` are added for quarter_incremental_revenue,
    quarter_incremental_margin, incremental_value and npv: Monte Carlo bands as in
    :func:`simulate_uncertainty`, with the same draws at every share.
    """
    if n_points < 2:
        raise ValueError("n_points must be at least 2.")
    shares = np.unique(np.append(np.linspace(0.0, 1.0, n_points), scenario.promo_share))
    levers = _Levers(curves, scenario, curves.segment_index(scenario.target_segments))
    budget = scenario.budget_amount
    totals = _totals(levers.evaluate(_even_split(levers, budget * shares), _even_split(levers, budget * (1 - shares)),
                                     _assumption_values(assumptions)))
    frame = pd.DataFrame({"promo_share": shares, **{name: totals[name] for name in RESULT_COLUMNS}})
    frame["is_chosen"] = np.isclose(shares, scenario.promo_share, rtol=0, atol=1e-12)
    if n_draws > 0:
        draws = _draw_assumptions(assumptions, n_draws, random_state)
        promo = np.repeat(_even_split(levers, budget * shares), n_draws, axis=0)
        loyalty = np.repeat(_even_split(levers, budget * (1 - shares)), n_draws, axis=0)
        tiled = {name: np.tile(value, (len(shares), 1)) for name, value in draws.items()}
        banded = _totals(levers.evaluate(promo, loyalty, tiled))
        for name in BAND_METRICS:
            values = banded[name].reshape(len(shares), n_draws)
            frame[f"{name}_p05"], frame[f"{name}_p95"] = np.quantile(values, [0.05, 0.95], axis=1)
    return frame


@dataclass(frozen=True)
class BestSplit:
    """The promotion share that maximises ``weight * quarter_incremental_revenue + (1 - weight) * npv``
    (``weight`` 1 = only this quarter's sales count, 0 = only long-term value), its ``score`` and the
    scenario result there (``result``, as :func:`simulate`)."""

    promo_share: float
    weight: float
    score: float
    result: pd.Series


def best_split(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions, weight: float,
               n_points: int = 201) -> BestSplit:
    """The best promotion share for ``weight`` between short and long term, on a grid of ``n_points``
    shares refined by a bounded scalar search around the best grid point (both in currency)."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must be between 0 and 1; got {weight!r}.")
    from scipy import optimize

    grid = frontier(curves, replace(scenario, promo_share=0.0), assumptions, n_points=n_points)
    score = weight * grid["quarter_incremental_revenue"] + (1 - weight) * grid["npv"]
    best = int(np.argmax(score.to_numpy()))
    share, value = float(grid["promo_share"].iloc[best]), float(score.iloc[best])
    lo, hi = grid["promo_share"].iloc[max(best - 1, 0)], grid["promo_share"].iloc[min(best + 1, len(grid) - 1)]

    def negative(s):
        r = simulate(curves, replace(scenario, promo_share=float(s)), assumptions)
        return -(weight * r["quarter_incremental_revenue"] + (1 - weight) * r["npv"])

    if hi > lo:
        found = optimize.minimize_scalar(negative, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
        if -found.fun > value:
            share, value = float(found.x), float(-found.fun)
    result = simulate(curves, replace(scenario, promo_share=share), assumptions)
    return BestSplit(promo_share=share, weight=weight, score=value, result=result)


ALLOCATION_COLUMNS = ("segment", "customers", "promo_amount", "loyalty_amount", "total_amount", "budget_share",
                     "quarter_incremental_revenue", "incremental_value", "npv", "marginal_return")


def allocate(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions, weight: float = 0.0,
             n_steps: int = 400, keep_split: bool = True) -> pd.DataFrame:
    """Allocate the budget across the targeted segments (and levers) by marginal return.

    Greedy in ``n_steps`` equal increments of the budget: each increment goes to the (segment, lever)
    whose score ``weight * quarter_incremental_revenue + (1 - weight) * incremental_value`` it raises
    most. With ``keep_split`` the promotion part (promo_share of the budget) and the loyalty part are
    allocated separately, else the levers compete too. Every response here is concave in spend for the
    promotion lever (1 - exp(-s/S)); for loyalty it is concave over the usual ranges, where greedy
    increments are optimal up to one increment. The amounts sum exactly to the budget (in cents; the
    last cent of rounding goes to the largest allocation).

    Returns one row per targeted segment: ``segment``, ``customers``, ``promo_amount``,
    ``loyalty_amount``, ``total_amount`` (currency), ``budget_share``, ``quarter_incremental_revenue``,
    ``incremental_value``, ``npv`` (= incremental_value - total_amount) and ``marginal_return``
    (score gained per currency unit by the segment's last increment; NaN without one).
    """
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must be between 0 and 1; got {weight!r}.")
    index = curves.segment_index(scenario.target_segments)
    levers = _Levers(curves, scenario, index)
    k = len(index)
    budget_cents = int(round(scenario.budget_amount * 100))
    parts = ([("promo", int(round(budget_cents * scenario.promo_share))),
              ("loyalty", budget_cents - int(round(budget_cents * scenario.promo_share)))]
             if keep_split else [("both", budget_cents)])
    a = _assumption_values(assumptions)
    cents = {"promo": np.zeros(k, dtype=np.int64), "loyalty": np.zeros(k, dtype=np.int64)}
    last_gain = {"promo": np.full(k, np.nan), "loyalty": np.full(k, np.nan)}
    for part, total in parts:
        if total <= 0:
            continue
        steps = max(1, min(n_steps, total))
        step_cents = np.full(steps, total // steps)
        step_cents[: total - step_cents.sum()] += 1  # whole cents that add up to the part exactly
        levers_here = ("promo", "loyalty") if part == "both" else (part,)
        grid = np.concatenate([[0], np.cumsum(step_cents)]) / 100.0  # amounts after j steps
        scores = {lever: _lever_scores(levers, lever, grid, a, weight) for lever in levers_here}
        taken = {lever: np.zeros(k, dtype=np.int64) for lever in levers_here}
        for step in range(steps):
            best_gain, best = -np.inf, None
            for lever in levers_here:
                j = taken[lever]
                # the amount a lever holds after j steps is grid[j]; the gain of one more is the difference
                gain = (scores[lever][j + 1, np.arange(k)] - scores[lever][j, np.arange(k)])
                choice = int(np.argmax(gain))
                if gain[choice] > best_gain:
                    best_gain, best = gain[choice], (lever, choice)
            lever, choice = best
            taken[lever][choice] += 1
            last_gain[lever][choice] = best_gain / (step_cents[step] / 100.0)
        for lever in levers_here:
            cents[lever] += np.round(grid[taken[lever]] * 100).astype(np.int64)
    # the grid is shared by segments, so a lever's segments hold grid[j] each; fix the rounding drift
    for lever, total in ((p, t) for p, t in parts if p != "both"):
        cents[lever][np.argmax(cents[lever])] += total - cents[lever].sum()
    if not keep_split:
        drift = budget_cents - cents["promo"].sum() - cents["loyalty"].sum()
        target = "promo" if cents["promo"].max() >= cents["loyalty"].max() else "loyalty"
        cents[target][np.argmax(cents[target])] += drift
    promo, loyalty = cents["promo"] / 100.0, cents["loyalty"] / 100.0
    per = levers.evaluate(promo[None, :], loyalty[None, :], a)
    total = promo + loyalty
    value = (per["promo_value"] + per["loyalty_value"])[0]
    with np.errstate(invalid="ignore"):
        marginal = np.fmax(last_gain["promo"], last_gain["loyalty"])
    return pd.DataFrame({
        "segment": [curves.segments[i] for i in index], "customers": levers.n.astype(np.int64),
        "promo_amount": promo, "loyalty_amount": loyalty, "total_amount": total,
        "budget_share": total / scenario.budget_amount if scenario.budget_amount > 0 else np.zeros(k),
        "quarter_incremental_revenue": per["quarter_incremental_revenue"][0], "incremental_value": value,
        "npv": value - total, "marginal_return": marginal,
    }, columns=list(ALLOCATION_COLUMNS))


def _lever_scores(levers: _Levers, lever: str, grid: np.ndarray, a: dict, weight: float) -> np.ndarray:
    """Score of each segment when one lever holds ``grid[j]`` (rows j) and the other nothing."""
    amounts = np.repeat(grid[:, None], len(levers.n), axis=1)
    zero = np.zeros_like(amounts)
    per = levers.evaluate(amounts, zero, a) if lever == "promo" else levers.evaluate(zero, amounts, a)
    value = per["promo_value"] if lever == "promo" else per["loyalty_value"]
    return weight * per["quarter_incremental_revenue"] + (1 - weight) * value


BAND_METRICS = ("quarter_incremental_revenue", "quarter_incremental_margin", "incremental_value", "npv")
UNCERTAINTY_COLUMNS = ("point", "p05", "p50", "p95")


def _draw_assumptions(assumptions: Assumptions, n_draws: int, random_state) -> dict:
    """Independent triangular draws for every assumption: (low, mode = the value, high), shape (n, 1)."""
    rng = np.random.default_rng(random_state)
    out = {}
    for name in Assumptions.names():
        value = float(getattr(assumptions, name))
        low, high = assumptions.range(name)
        low, high = min(low, value), max(high, value)
        draws = np.full(n_draws, value) if high <= low else rng.triangular(low, value, high, n_draws)
        out[name] = draws[:, None]
    return out


def simulate_uncertainty(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions,
                         n_draws: int = 500, random_state=0) -> pd.DataFrame:
    """Monte Carlo bands of a scenario over the assumption ranges.

    Each assumption is drawn independently from a triangular distribution on its range with the mode
    at its value (``n_draws`` draws, seeded by ``random_state``; all draws at once, vectorised). Rows
    are :data:`RESULT_COLUMNS` except the amounts; columns ``point`` (at the assumptions' values),
    ``p05``, ``p50``, ``p95`` (quantiles over draws). The bands cover the assumptions only, not the
    fitted models' parameter uncertainty (see :func:`custlib.clv.clv_with_uncertainty`).
    """
    levers = _Levers(curves, scenario, curves.segment_index(scenario.target_segments))
    draws = _draw_assumptions(assumptions, n_draws, random_state)
    promo = np.repeat(_even_split(levers, scenario.budget_amount * scenario.promo_share), n_draws, axis=0)
    loyalty = np.repeat(_even_split(levers, scenario.budget_amount * (1 - scenario.promo_share)), n_draws, axis=0)
    totals = _totals(levers.evaluate(promo, loyalty, draws))
    point = simulate(curves, scenario, assumptions)
    metrics = [name for name in RESULT_COLUMNS if name not in ("promo_amount", "loyalty_amount")]
    rows = {}
    for name in metrics:
        values = totals[name]
        if np.all(np.isnan(values)):
            rows[name] = [point[name], np.nan, np.nan, np.nan]
        else:
            rows[name] = [point[name], *np.nanquantile(values, [0.05, 0.5, 0.95])]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(UNCERTAINTY_COLUMNS))


# --- stored scenarios ------------------------------------------------------------------------------

SCENARIO_LIST_COLUMNS = ("scenario_id", "name", "created_at", "as_of", "budget_amount", "promo_share",
                         "target_segments", "horizon_months", "quarter_incremental_revenue", "incremental_value",
                         "npv", "roi")


def save_scenario(con, dataset_id: int, name: str, scenario: Scenario, assumptions: Assumptions,
                  result: pd.Series | None = None, as_of=None, curves: ResponseCurves | None = None,
                  actor=None) -> int:
    """Store a scenario with its assumptions and result (computed from ``curves`` when ``result`` is
    None) for dataset ``dataset_id``; returns its ``scenario_id``. ``as_of`` is the snapshot date.

    ``actor`` (a custlib.audit.Actor; None: this process's user) needs ``can_save_plans``; it is stored as
    the scenario's author (``saved_by``, with ``created_at``) and the save is in the audit log."""
    actor = actor or audit.Actor.this_process()
    audit.authorize(con, actor, "can_save_plans", "save a simulator scenario")
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 200:
        raise CustlibError("A scenario name must be 1 to 200 characters.")
    if result is None:
        if curves is None:
            raise ValueError("save_scenario needs the result or the curves to compute it.")
        result = simulate(curves, scenario, assumptions)
    payload = {name: (None if pd.isna(value) else float(value)) for name, value in result.items()}
    with db.write_transaction(con) as cur:
        row = cur.execute(
            "insert into sim_scenarios (dataset_id, name, as_of, scenario, assumptions, result, saved_by) "
            "values (?, ?, ?, ?, ?, ?, ?) returning scenario_id",
            [int(dataset_id), cleaned, None if as_of is None else pd.Timestamp(as_of).date(),
             json.dumps(asdict(scenario)), json.dumps(assumptions.to_dict()), json.dumps(payload),
             actor.user]).fetchall()
        audit.record(cur, actor, "save_plan", dataset_id=int(dataset_id),
                     detail={"plan": "scenario", "scenario_id": int(row[0][0]), "name": cleaned})
    return int(row[0][0])


def list_scenarios(con, dataset_id: int) -> pd.DataFrame:
    """Stored scenarios of a dataset, newest first: :data:`SCENARIO_LIST_COLUMNS` (``target_segments``
    joined by ", ", empty meaning all customers)."""
    raw = db.query_df(con, "select scenario_id, name, created_at, as_of, scenario, result from sim_scenarios "
                           "where dataset_id = ? order by created_at desc, scenario_id desc", [int(dataset_id)])
    rows = []
    for record in raw.itertuples(index=False):
        scenario, result = json.loads(record.scenario), json.loads(record.result)
        rows.append({"scenario_id": int(record.scenario_id), "name": record.name, "created_at": record.created_at,
                     "as_of": record.as_of, "budget_amount": scenario["budget_amount"],
                     "promo_share": scenario["promo_share"],
                     "target_segments": ", ".join(scenario["target_segments"]),
                     "horizon_months": scenario["horizon_months"],
                     **{k: result.get(k) for k in ("quarter_incremental_revenue", "incremental_value", "npv", "roi")}})
    return pd.DataFrame(rows, columns=list(SCENARIO_LIST_COLUMNS))


def load_scenario(con, dataset_id: int, scenario_id: int) -> tuple[str, Scenario, Assumptions, pd.Series]:
    """(name, scenario, assumptions, result) of a stored scenario."""
    rows = db.query_df(con, "select name, scenario, assumptions, result from sim_scenarios "
                            "where dataset_id = ? and scenario_id = ?", [int(dataset_id), int(scenario_id)])
    if rows.empty:
        raise CustlibError(f"There is no saved scenario {scenario_id} for this dataset.")
    record = rows.iloc[0]
    scenario = json.loads(record["scenario"])
    scenario["target_segments"] = tuple(scenario["target_segments"])
    result = pd.Series({k: (np.nan if v is None else v) for k, v in json.loads(record["result"]).items()},
                       name="result", dtype=float)
    return (record["name"], Scenario(**scenario), Assumptions.from_dict(json.loads(record["assumptions"])), result)


def delete_scenario(con, dataset_id: int, scenario_id: int, actor=None) -> None:
    """Delete a stored scenario (``actor`` needs ``can_save_plans``; the deletion is in the audit log)."""
    audit.authorize(con, actor, "can_save_plans", "delete a simulator scenario")
    with db.write_transaction(con) as cur:
        deleted = cur.execute("delete from sim_scenarios where dataset_id = ? and scenario_id = ?",
                              [int(dataset_id), int(scenario_id)]).fetchall()[0][0]
        if deleted:
            audit.record(cur, actor, "delete_plan", dataset_id=int(dataset_id),
                         detail={"plan": "scenario", "scenario_id": int(scenario_id)})


def compare_scenarios(con, dataset_id: int, scenario_ids) -> pd.DataFrame:
    """Stored scenarios side by side: one column per scenario (``"<id>: <name>"``), rows the inputs
    (budget_amount, promo_share, target_segments, horizon_months, margin, annual_discount_rate), the
    results (:data:`RESULT_COLUMNS`) and the assumption values (``assumption: <name>``)."""
    columns = {}
    for scenario_id in scenario_ids:
        name, scenario, assumptions, result = load_scenario(con, dataset_id, scenario_id)
        inputs = asdict(scenario)
        inputs["target_segments"] = ", ".join(scenario.target_segments) or ALL_CUSTOMERS
        values = {**inputs, **{k: result.get(k, np.nan) for k in RESULT_COLUMNS},
                  **{f"assumption: {k}": getattr(assumptions, k) for k in Assumptions.names()}}
        columns[f"{scenario_id}: {name}"] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(columns)
    frame.index.name = "item"
    return frame




def _checked(frame: pd.DataFrame, contract: tuple[str, ...], name: str) -> pd.DataFrame:
    """``frame`` if its columns are exactly the declared contract, else a loud error (SQL drift)."""
    if tuple(frame.columns) != contract:
        raise RuntimeError(f"{name} returned columns {list(frame.columns)}, but its contract is {list(contract)}")
    return frame

