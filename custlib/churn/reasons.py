"""Why might this customer leave? Up to three reasons per customer, most unusual first, each a message code
with the numbers it quotes (``custlib.messages`` words them in English or Chinese).

Each :class:`ReasonRule` of :data:`REASON_RULES` fires where a feature crosses its threshold; the fired
rules are ranked by how unusual the customer's value is among all customers scored (:func:`churn_reasons`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .pipelines import _floats

@dataclass(frozen=True)
class ReasonRule:
    """One reason a customer may leave: when it applies, how unusual it is, and what it quotes.

    ``signal(frame)`` is larger when more worrying (NaN where it does not apply); ``fires(frame, s)`` says
    where the threshold is crossed; ``quotes(rows)`` gives the numbers the reason's message quotes for each
    customer of ``rows`` (the customers the rule is picked for; ``rows[column]`` gives a column's values for
    them): one array for ``a`` and, where the message compares, one for ``b``. The message is
    ``custlib.messages.TEXTS["reason_" + name]``. A fired rule's rank is the share of customers (with a
    defined signal) whose signal is lower.
    """
    name: str
    threshold: str
    signal: Callable[[pd.DataFrame], np.ndarray]
    fires: Callable[[pd.DataFrame, np.ndarray], np.ndarray]
    quotes: Callable[[_Rows], tuple[np.ndarray, ...]]

    @property
    def code(self) -> str:
        return "reason_" + self.name


class _Rows:
    """Some rows of a features frame, read a column at a time: ``rows[column]`` is that column at those rows.
    What a rule's ``quotes`` reads, so only the columns a message quotes are copied."""

    def __init__(self, frame: pd.DataFrame, positions: np.ndarray):
        self.frame, self.positions = frame, positions

    def __getitem__(self, column: str) -> pd.Series:
        return self.frame[column].take(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


def _num(frame, column: str) -> np.ndarray:
    return _floats(frame[column])


def _return_share(f):
    sales = _num(f, "gross_sales_amount")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sales > 0, _num(f, "returns_amount") / sales, np.nan)


def _overdue_signal(f):
    gap = _num(f, "typical_gap_days")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap > 0, _num(f, "days_since_last_order") / gap, np.nan)


def _where_defined(mask, values):
    return np.where(mask, values, np.nan)


#: The reason rules, in the order used to break ties. Thresholds in words are in ``threshold``.
REASON_RULES: tuple[ReasonRule, ...] = (
    ReasonRule("overdue", "days since the last order > 1.5 x the customer's typical gap, and >= 30",
               _overdue_signal,
               lambda f, s: (s > 1.5) & (_num(f, "days_since_last_order") >= 30),
               lambda f: (_num(f, "days_since_last_order"), _num(f, "typical_gap_days"))),
    ReasonRule("single_purchase", "one purchase day only, at least 30 days ago",
               lambda f: _where_defined(_num(f, "purchase_days") == 1, _num(f, "days_since_last_order")),
               lambda f, s: s >= 30, lambda f: (_num(f, "days_since_last_order"),)),
    ReasonRule("spend_down", "net spend of the last 180 days at least 30% below the 180 before, and above 0",
               lambda f: -_num(f, "spend_trend_180d"),
               lambda f, s: (s >= 0.3) & (s < 1),
               lambda f: (-100 * _num(f, "spend_trend_180d"),)),
    ReasonRule("orders_down", "orders of the last 365 days at most half of the 365 before (>= 3 before)",
               lambda f: _where_defined(_num(f, "orders_prev_365d") >= 3, -_num(f, "orders_trend_365d")),
               lambda f, s: s >= 0.5,
               lambda f: (_num(f, "orders_last_365d"), _num(f, "orders_prev_365d"))),
    ReasonRule("low_nps", "latest NPS answer 6 or lower (a detractor)",
               lambda f: -_num(f, "last_nps_score"), lambda f, s: s >= -6,
               lambda f: (_num(f, "last_nps_score"),)),
    ReasonRule("low_satisfaction", "latest satisfaction answer 2 or lower (of 5)",
               lambda f: -_num(f, "last_satisfaction"), lambda f, s: s >= -2,
               lambda f: (_num(f, "last_satisfaction"),)),
    ReasonRule("complaints", "at least one complaint in the last 90 days",
               lambda f: _num(f, "complaints_last_90d"), lambda f, s: s >= 1,
               lambda f: (_num(f, "complaints_last_90d"),)),
    ReasonRule("returns", "returns at least 20% of gross sales",
               _return_share, lambda f, s: s >= 0.2, lambda f: (100 * _return_share(f),)),
    ReasonRule("promo_buyer", "at least half of 2 or more orders on promotion",
               lambda f: _where_defined(_num(f, "orders_count") >= 2, _num(f, "promo_order_share")),
               lambda f, s: s >= 0.5,
               lambda f: (100 * _num(f, "promo_order_share"),)),
)
N_REASONS = 3


def _share_below(signal: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For the values ``signal[at]``, the share of all defined (finite) signal values strictly below each."""
    defined = np.sort(signal[np.isfinite(signal)])
    return np.searchsorted(defined, signal[at], side="left") / max(defined.size, 1)


def churn_reasons(features: pd.DataFrame, rules: tuple[ReasonRule, ...] = REASON_RULES,
                  n_reasons: int = N_REASONS) -> pd.DataFrame:
    """Up to ``n_reasons`` reasons per customer, most unusual first, as message codes with their numbers.

    A rule fires where its threshold is crossed (:data:`REASON_RULES`); fired rules are ranked by how
    unusual the customer's value is among all customers in ``features`` (share with a less worrying
    value), ties by rule order. Vectorised: one pass per rule, no loop over customers. Returns
    customer_id and, for k = 1 .. n: reason_k (the code, e.g. ``reason_overdue``; missing when fewer
    reasons apply) and reason_k_a, reason_k_b (the numbers it quotes; NaN when it quotes fewer); same row
    order as ``features``. ``custlib.messages.render_column`` words them.
    """
    n = len(features)
    rank = np.full((n, len(rules)), -np.inf)
    for j, rule in enumerate(rules):
        signal = np.asarray(rule.signal(features), dtype=float)
        with np.errstate(invalid="ignore"):
            fired = np.asarray(rule.fires(features, signal), dtype=bool) & np.isfinite(signal)
        rank[fired, j] = _share_below(signal, fired)
    # the n_reasons highest ranks per customer, ties by rule order (argmax takes the first of equals)
    slots = min(n_reasons, len(rules))
    order = np.zeros((n, slots), dtype=np.int64)
    picked = np.zeros(order.shape, dtype=bool)
    everyone = np.arange(n)
    for k in range(slots):
        order[:, k] = rank.argmax(axis=1)
        picked[:, k] = np.isfinite(rank[everyone, order[:, k]])
        rank[everyone, order[:, k]] = -np.inf
    # Each rule quotes its numbers only for the customers it is picked for, into the slot it is picked in.
    quoted = np.full((2, n, slots), np.nan)
    for j, rule in enumerate(rules):
        chosen = (order == j) & picked
        rows = np.flatnonzero(chosen.any(axis=1))
        if rows.size == 0:
            continue
        slot = chosen[rows].argmax(axis=1)
        for q, values in enumerate(rule.quotes(_Rows(features, rows))):
            quoted[q, rows, slot] = np.asarray(values, dtype=float)
    codes = pa.array([rule.code for rule in rules], type=pa.large_string())
    result = pd.DataFrame({"customer_id": features["customer_id"].array})
    for k in range(slots):
        at = np.where(picked[:, k], order[:, k], -1)
        result[f"reason_{k + 1}"] = pd.Series(pc.take(codes, pa.array(at, mask=at < 0)), dtype="str")
        result[f"reason_{k + 1}_a"] = quoted[0, :, k]
        result[f"reason_{k + 1}_b"] = quoted[1, :, k]
    return result


def reason_columns(n_reasons: int = N_REASONS) -> tuple[str, ...]:
    """The columns the reasons take in a table: each reason's code and the numbers it quotes."""
    return tuple(f"reason_{k}{part}" for k in range(1, n_reasons + 1) for part in ("", "_a", "_b"))
