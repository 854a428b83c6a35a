"""Customer features as of a date: one row per customer, computed in DuckDB.

What it answers: for every customer who had at least one transaction line on or
before ``as_of``, how recent, frequent and valuable they are, how their buying is
trending, what they said in surveys and complaints, and who they are.

Data contract. Only transaction lines dated on or before ``as_of`` and
interactions on or before that day are read, so features "as of" a past date are
exactly what was known then (``tests/test_features.py`` checks this by adding
later rows). The customers table is an undated snapshot: its attributes
(region, industry, company size, account manager) are taken as stored, and a
signup date after ``as_of`` is ignored.

Vocabulary (Fader, Hardie & Lee 2005, "Counting your customers the easy way",
Marketing Science 24(2); the ``lifetimes`` / ``pymc-marketing`` summary):

* a *purchase day* is a day with at least one line of amount >= 0 (a $0 free
  item counts, a refund alone does not);
* ``frequency`` = purchase days - 1 (repeat purchase days);
* ``recency`` = last purchase day - first purchase day, ``T`` = ``as_of`` - first
  purchase day, both in the chosen ``unit``;
* ``monetary_value`` = mean net amount of the repeat purchase days (the first is
  excluded), 0 when ``frequency`` is 0: the Gamma-Gamma input (Fader, Hardie &
  Lee 2005, "RFM and CLV", JMR 42(4)). It can be <= 0 when returns are booked
  on purchase days; spend models should keep ``monetary_value > 0``.

An *order* is a distinct ``order_id`` of the customer; a line without an
``order_id`` is an order of its own. Only orders with at least one line of
amount >= 0 are counted (an order made only of refunds is a return, not an
order). Amounts are in the currency of the data; negative amounts are returns
or refunds.

The heavy lifting is ``custlib/sql/mart/mart_customer_features.sql``; the order-grain
query it builds on is ``mart_customer_orders.sql`` (see :func:`customer_orders`).
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from . import db

#: Length of one unit in days, for ``recency`` and ``T``. A month is the mean
#: Gregorian month, 365.25 / 12 = 30.4375 days.
DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}

#: The column contract of :func:`customer_features`, in order: name -> meaning.
FEATURE_COLUMNS: dict[str, str] = {
    "customer_id": "customer identifier (one row each)",
    "first_order_date": "first purchase day (a day with a line of amount >= 0); NULL if the customer only has returns",
    "last_order_date": "last purchase day on or before as_of; NULL if the customer only has returns",
    "orders_count": "orders with at least one line of amount >= 0 (distinct order_id; a line without one is one order)",
    "purchase_days": "distinct purchase days",
    "frequency": "repeat purchase days = purchase_days - 1; NULL when purchase_days is 0",
    "recency_days": "last_order_date - first_order_date, in days",
    "T_days": "as_of - first_order_date, in days (the customer's age)",
    "recency": "recency_days in the chosen unit (frame.attrs['unit'])",
    "T": "T_days in the chosen unit (frame.attrs['unit'])",
    "days_since_last_order": "as_of - last_order_date, in days",
    "net_spend_amount": "sum of all amounts (purchases minus returns)",
    "gross_sales_amount": "sum of positive amounts",
    "returns_amount": "sum of negative amounts, as a positive number",
    "returns_count": "number of lines with a negative amount",
    "avg_order_value": "net_spend_amount / orders_count; NULL when orders_count is 0",
    "monetary_value": "average repeat-order value: mean net amount of repeat purchase days; 0 when frequency is 0",
    "orders_last_90d": "orders placed in the 90 days ending on as_of",
    "orders_prev_90d": "orders placed in the 90 days before those",
    "orders_last_180d": "orders placed in the 180 days ending on as_of",
    "orders_prev_180d": "orders placed in the 180 days before those",
    "orders_last_365d": "orders placed in the 365 days ending on as_of",
    "orders_prev_365d": "orders placed in the 365 days before those",
    "spend_last_90d": "net amount of lines in the 90 days ending on as_of",
    "spend_prev_90d": "net amount of lines in the 90 days before those",
    "spend_last_180d": "net amount of lines in the 180 days ending on as_of",
    "spend_prev_180d": "net amount of lines in the 180 days before those",
    "spend_last_365d": "net amount of lines in the 365 days ending on as_of (trailing-year spend)",
    "spend_prev_365d": "net amount of lines in the 365 days before those",
    "orders_trend_90d": "orders_last_90d / orders_prev_90d - 1; NULL when orders_prev_90d is 0",
    "orders_trend_180d": "orders_last_180d / orders_prev_180d - 1; NULL when orders_prev_180d is 0",
    "orders_trend_365d": "orders_last_365d / orders_prev_365d - 1; NULL when orders_prev_365d is 0",
    "spend_trend_90d": "spend_last_90d / spend_prev_90d - 1; NULL unless spend_prev_90d > 0",
    "spend_trend_180d": "spend_last_180d / spend_prev_180d - 1; NULL unless spend_prev_180d > 0",
    "spend_trend_365d": "spend_last_365d / spend_prev_365d - 1; NULL unless spend_prev_365d > 0",
    "typical_gap_days": "median days between consecutive purchase days; NULL with fewer than 2",
    "promo_order_share": "share of orders with a promotional line; NULL when orders_count is 0",
    "tenure_days": "as_of - signup_date when known and not after as_of, else as_of - first transaction line",
    "last_nps_score": "latest NPS answer (0-10) on or before as_of; NULL if none",
    "last_satisfaction": "latest satisfaction answer (1-5) on or before as_of; NULL if none",
    "complaints_last_90d": "complaints in the 90 days ending on as_of",
    "complaints_count": "complaints on or before as_of",
    "region": "customers.region, else the region of the earliest line naming one (int_customer_regions)",
    "industry": "customers.industry",
    "company_size": "customers.company_size",
    "account_manager": "customers.account_manager",
}

#: The trailing windows, in days, behind the ``*_last_*``, ``*_prev_*`` and ``*_trend_*`` columns.
WINDOWS_DAYS: tuple[int, ...] = (90, 180, 365)


def as_date(value: date | datetime | str | pd.Timestamp) -> date:
    """``value`` (a date, datetime, pd.Timestamp, numpy datetime64 or ISO string) as a calendar date
    (a timestamp keeps its day); raises ValueError on nonsense or None."""
    if value is None:
        raise ValueError("as_of is required: the day the figures are computed as of")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError(f"as_of must be a date, got {value!r}")
    return stamp.date()


def customer_features(con: duckdb.DuckDBPyConnection, dataset_id: int, as_of, unit: str = "day") -> pd.DataFrame:
    """One row per customer with a transaction line on or before ``as_of``; columns :data:`FEATURE_COLUMNS`.

    ``unit`` ("day", "week" or "month") sets the unit of ``recency`` and ``T`` only;
    every other duration says its unit in its name. The frame is ordered by
    ``customer_id`` and carries ``attrs`` ``as_of`` (a date) and ``unit``.
    """
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unit must be one of {', '.join(DAYS_PER_UNIT)}; got {unit!r}")
    as_of_date = as_date(as_of)
    frame = db.query(con, "mart_customer_features", dataset_id=int(dataset_id), as_of=as_of_date,
                     days_per_unit=DAYS_PER_UNIT[unit])
    frame.attrs.update(as_of=as_of_date, unit=unit)
    return frame


def customer_orders(con: duckdb.DuckDBPyConnection, dataset_id: int, as_of) -> pd.DataFrame:
    """One row per customer order on or before ``as_of`` (``mart_customer_orders.sql``).

    Columns: customer_id, order_key (order_id, or ``#<import>-<row>`` for a line
    without one), order_id, order_date (first purchase line), last_line_date,
    lines_count, return_lines_count, net_amount, gross_amount, returns_amount,
    discount_amount, is_promo, is_purchase.
    """
    as_of_date = as_date(as_of)
    frame = db.query(con, "mart_customer_orders", dataset_id=int(dataset_id), as_of=as_of_date)
    frame.attrs.update(as_of=as_of_date)
    return frame
