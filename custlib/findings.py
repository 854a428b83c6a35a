"""What moved, by how much, and where the value at risk sits: the Overview's findings, computed from data.

Each finding is a template key and the numbers that fill it (:class:`Finding`); the words live in
the app's translation table (``ui/i18n.py``, keys ``finding_<key>``), so a finding reads the same in
every language and is never canned text. Value names say how to show them:
``*_amount`` money, ``*_share`` a fraction shown as a percentage, ``*_change`` a signed relative
change, ``*_points`` a signed difference in percentage points (or NPS points), ``*_count`` a whole
number, ``tier`` / ``segment`` a label to translate; any other value is text shown as it is.

Definitions follow ``custlib/kpis.py``: revenue is net of returns; retention is the share of the
previous period's active customers who bought again; revenue at risk is, for customers who bought in
the 365 days before the as-of date, P(churned) x their revenue in those days, with
P(churned) = 1 - P(alive) from the purchase model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Days of revenue behind "revenue at risk": the trailing year (custlib.kpis and custlib.customers).
AT_RISK_WINDOW_DAYS = 365

@dataclass(frozen=True)
class Finding:
    """One sentence: template ``key``, then optional ``clauses`` (templates too), all filled from ``values``.

    The reader sees ``t(key) + t(clause) ... + full stop``; a clause is added only when its numbers
    exist (there is no change to report in the first period of a dataset).
    """
    key: str
    values: dict = field(default_factory=dict)
    clauses: tuple[str, ...] = ()


def revenue_at_risk(p_alive: pd.Series, trailing_revenue: pd.Series) -> pd.Series:
    """Revenue at risk per customer: (1 - P(alive)) x max(revenue in the last 365 days, 0), in currency.

    Both Series are indexed by customer id; customers without trailing revenue are at risk of 0,
    customers without a P(alive) are left out. The definition of ``custlib.kpis.value_kpis``.
    """
    trailing = trailing_revenue.reindex(p_alive.index).fillna(0.0).clip(lower=0.0)
    return ((1.0 - p_alive.astype(float)) * trailing).rename("revenue_at_risk_amount")


def value_by_group(groups: pd.Series, clv: pd.Series, at_risk: pd.Series, order=None) -> pd.DataFrame:
    """Customers, customer equity and revenue at risk per group (value tier, segment, ...).

    ``groups``, ``clv`` and ``at_risk`` are indexed by customer id. Returns one row per group (in
    ``order`` when given, else by equity, largest first) with customers, customer_share (0..1),
    equity_amount (sum of CLV), equity_share, revenue_at_risk_amount and risk_share.
    """
    frame = pd.DataFrame({"group": groups.astype(object), "clv": clv.reindex(groups.index).astype(float),
                          "risk": at_risk.reindex(groups.index).fillna(0.0).astype(float)})
    table = frame.groupby("group", sort=False, observed=True).agg(
        customers=("clv", "size"), equity_amount=("clv", "sum"), revenue_at_risk_amount=("risk", "sum"))
    if order is not None:
        table = table.reindex([g for g in order if g in table.index])
    else:
        table = table.sort_values("equity_amount", ascending=False)
    table["customer_share"] = table["customers"] / max(table["customers"].sum(), 1)
    table["equity_share"] = table["equity_amount"] / table["equity_amount"].sum() if table[
        "equity_amount"].sum() else float("nan")
    risk_total = table["revenue_at_risk_amount"].sum()
    table["risk_share"] = table["revenue_at_risk_amount"] / risk_total if risk_total else float("nan")
    table.index.name = "group"
    return table[["customers", "customer_share", "equity_amount", "equity_share", "revenue_at_risk_amount",
                  "risk_share"]]


def overview_findings(current: dict, before: dict | None, tiers: pd.DataFrame | None = None,
                      segments: pd.DataFrame | None = None, period: str = "", previous: str = "",
                      horizon_months: int | None = None) -> list[Finding]:
    """Three or four findings for executives, from the period KPIs and the value tables.

    ``current`` and ``before`` are KPI rows of a period and the one before it (keys of
    ``mart_period_activity``: revenue_amount, active_customers, new_customers, retention_rate,
    and optionally nps, in points); ``tiers`` and ``segments`` are :func:`value_by_group` tables,
    indexed by tier and segment, tiers best first. ``period`` and ``previous`` name the periods as
    the reader sees them. In order:

    1. revenue and active customers, with the relative change on the previous period;
    2. retention, with the change in percentage points, and the NPS when there are answers;
    3. customer equity and the share of it the top tier holds;
    4. revenue at risk, the tier holding most of it and the segment with the most.
    """
    found = []
    revenue, revenue_before = _number(current, "revenue_amount"), _number(before, "revenue_amount")
    values = {"period": period, "previous": previous, "revenue_amount": revenue or 0.0,
              "active_count": int(_number(current, "active_customers") or 0),
              "new_count": int(_number(current, "new_customers") or 0)}
    clauses = ()
    if revenue is not None and revenue_before:
        values["revenue_change"] = (revenue - revenue_before) / abs(revenue_before)
        clauses = ("revenue_change",)
    found.append(Finding("revenue", values, clauses))

    rate = _number(current, "retention_rate")
    if rate is not None:
        values, clauses = {"period": period, "previous": previous, "retention_share": rate}, []
        if (rate_before := _number(before, "retention_rate")) is not None:
            values["retention_points"] = (rate - rate_before) * 100
            clauses.append("retention_change")
        if (nps := _number(current, "nps")) is not None:
            values["nps_value"] = nps
            nps_before = _number(before, "nps")
            if nps_before is not None:
                values["nps_points"] = nps - nps_before
            clauses.append("nps_change" if nps_before is not None else "nps")
        found.append(Finding("retention", values, tuple(clauses)))

    if tiers is not None and len(tiers) and tiers["equity_amount"].sum() > 0:
        top = tiers.index[0]
        found.append(Finding("equity", {
            "equity_amount": float(tiers["equity_amount"].sum()), "horizon": str(horizon_months or ""),
            "tier": top, "tier_customer_share": float(tiers.loc[top, "customer_share"]),
            "tier_equity_share": float(tiers.loc[top, "equity_share"])}))

    if tiers is not None and len(tiers) and tiers["revenue_at_risk_amount"].sum() > 0:
        risk_tier = tiers["revenue_at_risk_amount"].idxmax()
        values = {"risk_amount": float(tiers["revenue_at_risk_amount"].sum()), "tier": risk_tier,
                  "tier_risk_share": float(tiers.loc[risk_tier, "risk_share"])}
        clauses = ()
        if segments is not None and len(segments) and segments["revenue_at_risk_amount"].sum() > 0:
            risk_segment = segments["revenue_at_risk_amount"].idxmax()
            values.update(segment=risk_segment,
                          segment_risk_amount=float(segments.loc[risk_segment, "revenue_at_risk_amount"]),
                          segment_customer_count=int(segments.loc[risk_segment, "customers"]))
            clauses = ("risk_segment",)
        found.append(Finding("risk", values, clauses))
    return found


def _number(row: dict | None, key: str):
    value = None if row is None else row.get(key)
    return None if value is None or pd.isna(value) else float(value)
