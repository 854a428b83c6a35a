"""Why might this customer leave? Up to three reasons per customer, in plain words, most unusual first.

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
    """One reason a customer may leave: when it applies, how unusual it is, and what it says.

    ``signal(frame)`` is larger when more worrying (NaN where it does not apply); ``fires(frame, s)`` says
    where the threshold is crossed; ``text(rows)`` writes the sentence for each customer of ``rows`` (the
    customers the rule is picked for; ``rows[column]`` gives a column's values for them) as Arrow text,
    built column-wise with ``pyarrow.compute``: no Python string per customer.
    A fired rule's rank is the share of customers (with a defined signal) whose signal is lower.
    """
    name: str
    threshold: str
    signal: Callable[[pd.DataFrame], np.ndarray]
    fires: Callable[[pd.DataFrame, np.ndarray], np.ndarray]
    text: Callable[[_Rows], pa.Array]


class _Rows:
    """Some rows of a features frame, read a column at a time: ``rows[column]`` is that column at those rows.
    What a rule's ``text`` reads, so only the columns a sentence quotes are copied."""

    def __init__(self, frame: pd.DataFrame, positions: np.ndarray):
        self.frame, self.positions = frame, positions

    def __getitem__(self, column: str) -> pd.Series:
        return self.frame[column].take(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


def _num(frame, column: str) -> np.ndarray:
    return _floats(frame[column])


def _whole(values) -> pa.Array:
    """Numbers as whole-number text, vectorised ("140")."""
    return pc.cast(pa.array(np.rint(np.asarray(values, dtype=float)).astype(np.int64)), pa.string())


def _plural(count, word: str) -> pa.Array:
    count = np.rint(np.asarray(count, dtype=float)).astype(np.int64)
    return _join(_whole(count), " ", pc.if_else(pa.array(count == 1), word, word + "s"))


def _join(*parts) -> pa.Array:
    """Text arrays and plain strings (the same on every row) joined end to end, row by row."""
    return pc.binary_join_element_wise(*parts, "")


def _overdue_text(f):
    return _join("no order for ", _whole(_num(f, "days_since_last_order")), " days, usually orders every ",
                 _whole(_num(f, "typical_gap_days")))


def _single_text(f):
    return _join("bought only once, ", _whole(_num(f, "days_since_last_order")), " days ago")


def _spend_text(f):
    return _join("spend down ", _whole(-100 * _num(f, "spend_trend_180d")), "% on the previous half-year")


def _orders_text(f):
    return _join(_plural(_num(f, "orders_last_365d"), "order"), " in the last year, down from ",
                 _whole(_num(f, "orders_prev_365d")), " the year before")


def _nps_text(f):
    return _join("gave NPS ", _whole(_num(f, "last_nps_score")), " (out of 10) in the latest survey")


def _satisfaction_text(f):
    return _join("rated satisfaction ", _whole(_num(f, "last_satisfaction")), " out of 5 in the latest survey")


def _complaint_text(f):
    return _join(_plural(_num(f, "complaints_last_90d"), "complaint"), " in 90 days")


def _return_share(f):
    sales = _num(f, "gross_sales_amount")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sales > 0, _num(f, "returns_amount") / sales, np.nan)


def _returns_text(f):
    return _join("returned ", _whole(100 * _return_share(f)), "% of what they bought")


def _promo_text(f):
    return _join(_whole(100 * _num(f, "promo_order_share")), "% of orders on promotion")


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
               lambda f, s: (s > 1.5) & (_num(f, "days_since_last_order") >= 30), _overdue_text),
    ReasonRule("single_purchase", "one purchase day only, at least 30 days ago",
               lambda f: _where_defined(_num(f, "purchase_days") == 1, _num(f, "days_since_last_order")),
               lambda f, s: s >= 30, _single_text),
    ReasonRule("spend_down", "net spend of the last 180 days at least 30% below the 180 before, and above 0",
               lambda f: -_num(f, "spend_trend_180d"),
               lambda f, s: (s >= 0.3) & (s < 1), _spend_text),
    ReasonRule("orders_down", "orders of the last 365 days at most half of the 365 before (>= 3 before)",
               lambda f: _where_defined(_num(f, "orders_prev_365d") >= 3, -_num(f, "orders_trend_365d")),
               lambda f, s: s >= 0.5, _orders_text),
    ReasonRule("low_nps", "latest NPS answer 6 or lower (a detractor)",
               lambda f: -_num(f, "last_nps_score"), lambda f, s: s >= -6, _nps_text),
    ReasonRule("low_satisfaction", "latest satisfaction answer 2 or lower (of 5)",
               lambda f: -_num(f, "last_satisfaction"), lambda f, s: s >= -2, _satisfaction_text),
    ReasonRule("complaints", "at least one complaint in the last 90 days",
               lambda f: _num(f, "complaints_last_90d"), lambda f, s: s >= 1, _complaint_text),
    ReasonRule("returns", "returns at least 20% of gross sales",
               _return_share, lambda f, s: s >= 0.2, _returns_text),
    ReasonRule("promo_buyer", "at least half of 2 or more orders on promotion",
               lambda f: _where_defined(_num(f, "orders_count") >= 2, _num(f, "promo_order_share")),
               lambda f, s: s >= 0.5, _promo_text),
)
N_REASONS = 3


def _share_below(signal: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For the values ``signal[at]``, the share of all defined (finite) signal values strictly below each."""
    defined = np.sort(signal[np.isfinite(signal)])
    return np.searchsorted(defined, signal[at], side="left") / max(defined.size, 1)


def churn_reasons(features: pd.DataFrame, rules: tuple[ReasonRule, ...] = REASON_RULES,
                  n_reasons: int = N_REASONS) -> pd.DataFrame:
    """Up to ``n_reasons`` plain-words reasons per customer, most unusual first.

    A rule fires where its threshold is crossed (:data:`REASON_RULES`); fired rules are ranked by how
    unusual the customer's value is among all customers in ``features`` (share with a less worrying
    value), ties by rule order. Vectorised: one pass per rule, no loop over customers. Returns
    customer_id, reason_1 .. reason_<n> (text, missing when fewer reasons apply) and the rule names in
    reason_rule_1 ...; same row order as ``features``.
    """
    n = len(features)
    rank = np.full((n, len(rules)), -np.inf)
    for j, rule in enumerate(rules):
        signal = np.asarray(rule.signal(features), dtype=float)
        with np.errstate(invalid="ignore"):
            fired = np.asarray(rule.fires(features, signal), dtype=bool) & np.isfinite(signal)
        rank[fired, j] = _share_below(signal, fired)
    # the n_reasons highest ranks per customer, ties by rule order (argmax takes the first of equals)
    order = np.zeros((n, min(n_reasons, len(rules))), dtype=np.int64)
    picked = np.zeros(order.shape, dtype=bool)
    everyone = np.arange(n)
    for k in range(order.shape[1]):
        order[:, k] = rank.argmax(axis=1)
        picked[:, k] = np.isfinite(rank[everyone, order[:, k]])
        rank[everyone, order[:, k]] = -np.inf
    # Each rule writes its sentence only for the customers it is picked for; the sentences of all rules
    # are laid end to end, and sentence_at[i, k] says where customer i's reason k is (-1: none).
    pieces, start = [], 0
    sentence_at = np.full(order.shape, -1, dtype=np.int64)
    for j, rule in enumerate(rules):
        chosen = (order == j) & picked
        rows = np.flatnonzero(chosen.any(axis=1))
        if rows.size == 0:
            continue
        pieces.append(_arrow_text(rule.text(_Rows(features, rows))))
        sentence_at[rows, chosen[rows].argmax(axis=1)] = start + np.arange(rows.size)
        start += rows.size
    sentences = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.large_string())
    names = pa.array([rule.name for rule in rules], type=pa.large_string())
    result = pd.DataFrame({"customer_id": features["customer_id"].array})
    for k in range(order.shape[1]):
        result[f"reason_{k + 1}"] = _text_at(sentences, sentence_at[:, k])
    for k in range(order.shape[1]):
        result[f"reason_rule_{k + 1}"] = _text_at(names, np.where(picked[:, k], order[:, k], -1))
    return result


def _arrow_text(values) -> pa.Array:
    """Sentences (an Arrow array, or anything pandas reads as text) as one Arrow large_string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(pd.Series(values, dtype="str").array)
    return values.cast(pa.large_string())


def _text_at(texts: pa.Array, at: np.ndarray) -> pd.Series:
    """``texts[at]`` as a pandas ``str`` column, missing where ``at`` is -1 (no Python object per row)."""
    return pd.Series(pc.take(texts, pa.array(at, mask=at < 0)), dtype="str")
