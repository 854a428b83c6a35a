"""What the history says about promotions: the response on promotion days and who promotions bring.

:func:`estimate_promotion_effects` reads the marts ``mart_sim_daily_orders`` (daily orders, first and
repeat, on and off promotion) and ``mart_sim_acquisition`` (each customer's first and second purchase
and whether the first was on promotion). From them: the promotion uplift and take rate from daily
repeat orders on promotion days against the same month's other days (Poisson regression with month
and weekday effects), the discount depth of promotion orders, pull-forward from the dip after
promotions, new customers per extra order, and the retention of promotion-acquired against organic
customers from BG/NBD fits by acquisition group. Where the history cannot tell, the estimate is
``None`` and a note says why; :func:`custlib.simulate.assumptions.default_assumptions` then keeps the
documented assumption.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .. import clv, db
from ..contracts import checked
from .periods import DAYS_PER_QUARTER


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
    from ``sql/mart/mart_sim_daily_orders.sql``). On the daily repeat orders a Poisson regression with one
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
    Promotion-acquired customers (first occasion on promotion, ``sql/mart/mart_sim_acquisition.sql``) and
    organic ones each get a BG/NBD fit on their own summary (weeks); ``promo_acquired_value_ratio`` is
    the promotion group's expected repeat purchases of a new customer over 12 months against the
    same from a BG/NBD fit on everyone. Seasonality enters only through the month and weekday effects.
    """
    as_of = pd.Timestamp(as_of).date()
    notes: list[str] = []
    daily = checked(db.query(con, "mart_sim_daily_orders", dataset_id=int(dataset_id), as_of=as_of),
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
    acquired = checked(db.query(con, "mart_sim_acquisition", dataset_id=int(dataset_id), as_of=as_of),
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
