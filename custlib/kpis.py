"""How is the business doing this period compared with the last? Headline KPIs for any period.

A period is a month (``2024-07``), a quarter (``2024-Q3``) or a year (``2024``); every KPI is given
for it and for the period before, computed only from rows dated up to each period's end.

Definitions (shown to users beside the numbers):

- revenue: net amount of all lines in the period (returns subtracted), in the dataset's currency;
- orders: distinct order ids among purchase lines (amount >= 0), plus one order per purchase line
  without an order id; average order value = revenue / orders;
- active customers: customers with a purchase in the period; new: their first purchase ever is in the
  period; returning: active but not new;
- retention rate: share of the previous period's active customers who are active again in this period;
  churn rate = 1 - retention rate;
- repeat-purchase rate: share of all customers acquired by the period's end who have bought on two
  or more days;
- NPS: from each customer's latest answer given in the period (promoters 9-10 minus detractors 0-6,
  in points); satisfaction: mean of the latest 1-5 answers;
- customer equity: sum of CLV (BG/NBD + Gamma-Gamma, expected discounted gross margin over the value
  horizon) of all customers as of the period's end; average CLV = equity / customers;
- revenue at risk: for customers who bought in the 365 days before the period's end, the sum of
  P(churned) x their revenue in those 365 days, with P(churned) = 1 - P(alive) from the purchase model.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import pandas as pd

from . import db, findings, retention
from .errors import CustlibError
from .valuation import ValueSettings, value_customers



@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive
    kind: str  # month, quarter, year

    def previous(self) -> "Period":
        if self.kind == "year":
            return parse_period(str(self.start.year - 1))
        if self.kind == "quarter":
            quarter = (self.start.month - 1) // 3 + 1
            year, quarter = (self.start.year, quarter - 1) if quarter > 1 else (self.start.year - 1, 4)
            return parse_period(f"{year}-Q{quarter}")
        year, month = (self.start.year, self.start.month - 1) if self.start.month > 1 else (self.start.year - 1, 12)
        return parse_period(f"{year}-{month:02d}")


def parse_period(text: str) -> Period:
    """``2024-07`` (month), ``2024-Q3`` (quarter) or ``2024`` (year) -> Period with inclusive dates."""
    value = str(text).strip().upper()
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise CustlibError(code="error_month_range", params={"text": text})
        start = date(year, month, 1)
        end = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        return Period(f"{year}-{month:02d}", start, end, "month")
    if match := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
        year, quarter = int(match[1]), int(match[2])
        start = date(year, 3 * quarter - 2, 1)
        end = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
        return Period(f"{year}-Q{quarter}", start, end, "quarter")
    if match := re.fullmatch(r"(\d{4})", value):
        year = int(match[1])
        return Period(str(year), date(year, 1, 1), date(year, 12, 31), "year")
    raise CustlibError(code="error_not_a_period", params={"text": text})


#: The activity figures of one period, as custlib/sql/mart/mart_period_activity.sql defines them.
ACTIVITY_COLUMNS = (
    "period_start", "period_end", "revenue_amount", "gross_sales_amount", "returns_amount", "orders",
    "average_order_value", "active_customers", "new_customers", "returning_customers",
    "previous_active_customers", "retained_customers", "retention_rate", "churn_rate", "customers_to_date",
    "repeat_customers_to_date", "repeat_purchase_rate",
)


def activity_kpis(con, dataset_id: int, period: Period) -> dict:
    """Revenue, orders, customers, retention and repeat rates of one period (see the module docstring)."""
    frame = retention.period_activity(con, dataset_id, period.end, period.kind)
    rows = frame[frame["period_start"] == pd.Timestamp(period.start)]
    record = rows.iloc[0][list(ACTIVITY_COLUMNS)].to_dict() if len(rows) else _before_any_order(period)
    record["period_start"], record["period_end"] = period.start, period.end
    nps = retention.nps_summary(con, dataset_id, period.end, since=period.start)
    nps_row = nps.iloc[0] if len(nps) else None
    record["nps"] = _number(nps_row["nps"]) if nps_row is not None else None
    record["nps_responses"] = int(nps_row["nps_responses"]) if nps_row is not None else 0
    record["satisfaction_mean"] = _number(nps_row["satisfaction_mean"]) if nps_row is not None else None
    return {key: _number(value) for key, value in record.items()}


def _before_any_order(period: Period) -> dict:
    """A period before the dataset's first order: nothing happened, and no rate is defined."""
    rates = ("average_order_value", "retention_rate", "churn_rate", "repeat_purchase_rate")
    return {column: (None if column in rates else 0) for column in ACTIVITY_COLUMNS}


def value_kpis(con, dataset_id: int, as_of: date, settings: ValueSettings | None = None) -> dict:
    """Customer equity, average CLV and revenue at risk as of a date, with the model that made them."""
    settings = settings or ValueSettings()
    try:
        snapshot = value_customers(con, dataset_id, as_of, settings)
    except CustlibError as exc:
        return {"customer_equity": None, "average_clv": None, "revenue_at_risk": None,
                "value_model": None, "value_note": str(exc)}
    customers = snapshot.customers
    trailing = db.query(con, "mart_trailing_revenue", dataset_id=int(dataset_id), as_of=as_of,
                        days=findings.AT_RISK_WINDOW_DAYS).set_index("customer_id")["trailing_revenue_amount"]
    churn_probability = 1.0 - customers["probability_alive"]
    at_risk = (churn_probability.reindex(trailing.index).fillna(0) * trailing.clip(lower=0)).sum()
    return {
        "customer_equity": float(customers["clv"].sum()),
        "average_clv": float(customers["clv"].mean()),
        "revenue_at_risk": float(at_risk),
        "value_model": (f"{snapshot.model_label}, {settings.horizon_months}-month horizon, "
                        f"{settings.margin:.0%} margin, {settings.annual_discount_rate:.0%} annual discount"),
        "value_note": " ".join(snapshot.notes) or None,
    }


def period_kpis(con, dataset_id: int, period: str | Period, settings: ValueSettings | None = None,
                with_value: bool = True) -> dict:
    """Every KPI for ``period`` and the period before: {"period", "previous", "current": {...}, "before": {...}}."""
    period = parse_period(period) if isinstance(period, str) else period
    before = period.previous()
    result = {"period": asdict(period), "previous": asdict(before),
              "current": activity_kpis(con, dataset_id, period), "before": activity_kpis(con, dataset_id, before)}
    if with_value:
        result["current"].update(value_kpis(con, dataset_id, period.end, settings))
        result["before"].update(value_kpis(con, dataset_id, before.end, settings))
    for key in ("period", "previous"):
        result[key] = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in result[key].items()}
    return result


def _number(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
