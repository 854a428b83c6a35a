"""The customer summary as of a date, read from DuckDB: the only part of :mod:`custlib.clv` that
touches the database (the named query ``mart_clv_summary``). Fitters take the frames it returns.
"""
from __future__ import annotations

import pandas as pd

from .. import db
from ..features import as_date
from .base import UNIT_DAYS


def _unit_days(unit: str) -> float:
    try:
        return UNIT_DAYS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {sorted(UNIT_DAYS)}, got {unit!r}.") from None


def summary_as_of(con, dataset_id: int, as_of, unit: str = "week") -> pd.DataFrame:
    """One row per customer with a purchase occasion on or before ``as_of``: customer_id, frequency,
    recency, T, monetary_value, spend_frequency, first_purchase_date, last_purchase_date.

    Runs ``custlib/sql/mart/mart_clv_summary.sql`` (the occasion rule and column contract are documented
    there): an occasion is a day with at least one line >= 0; its spend is the day's net amount;
    recency and T are in ``unit`` ("day", "week" = 7 days, "month" = 365.25/12 days);
    ``monetary_value`` is the mean of the repeat occasions with positive spend (NaN when there is
    none; ``spend_frequency`` counts them and is the frequency to give :class:`GammaGammaFitter`).
    """
    frame = db.query(con, "mart_clv_summary", dataset_id=int(dataset_id), as_of=as_date(as_of),
                     unit_days=_unit_days(unit))
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value", "spend_frequency",
               "first_purchase_date", "last_purchase_date"]
    frame = frame[columns]
    frame["monetary_value"] = frame["monetary_value"].astype(float)
    return frame


def holdout_purchases(con, dataset_id: int, cal_end, holdout_end) -> pd.Series:
    """Repeat purchase occasions of each calibration customer in (cal_end, holdout_end].

    The customers are those with a first occasion on or before ``cal_end``; the count is the occasions
    (same rule as :func:`summary_as_of`) dated after ``cal_end`` and on or before ``holdout_end``,
    i.e. frequency as of holdout_end minus frequency as of cal_end. Returns a Series indexed by
    customer_id, named ``holdout_purchases``.
    """
    cal_end, holdout_end = as_date(cal_end), as_date(holdout_end)
    if holdout_end < cal_end:
        raise ValueError("holdout_end must not be before cal_end.")
    cal = db.query(con, "mart_clv_summary", dataset_id=int(dataset_id), as_of=cal_end, unit_days=1.0)
    end = db.query(con, "mart_clv_summary", dataset_id=int(dataset_id), as_of=holdout_end, unit_days=1.0)
    cal_freq = cal.set_index("customer_id")["frequency"]
    end_freq = end.set_index("customer_id")["frequency"].reindex(cal_freq.index)
    return (end_freq - cal_freq).astype("int64").rename("holdout_purchases")
