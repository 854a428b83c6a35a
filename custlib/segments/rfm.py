"""How recently, how often and how much: RFM scores 1-5 per customer and the named segment they give.

RFM scores (1-5, 5 = best)
--------------------------
* **R** from ``days_since_last_order``: fewer days = higher score. Customers
  with no purchase day (refunds only) count as the least recent.
* **F** from ``frequency`` (repeat purchase days; ranks exactly like purchase
  days). No purchase day counts as 0.
* **M** from ``net_spend_amount`` (total net spend, returns deducted) by
  default, or ``avg_order_value`` with ``monetary="average"``.

Scores are quintiles computed by :func:`quintile_scores`: identical values
always get the same score, and all five scores are used whenever a column has at
least five distinct values. Where ties make equal fifths impossible (say 60% of
customers bought once, so F = 1 for all of them) the groups are as close to
fifths as whole blocks of equal values allow; nobody is split from an equal
neighbour to make the groups even. With fewer than five distinct values each
value gets its own score, placed near its middle rank (so 1 and 5 need not both
appear).

Named segments
--------------
:data:`SEGMENT_RULES` maps every (R, F) pair to exactly one segment; in words:

* **champions**: R 5 and F 4-5. Bought very recently and buy often.
* **loyal**: R 3-4 and F 4-5. Buy often and not long ago.
* **potential loyalists**: R 4-5 and F 2-3. Recent, have come back a few times.
* **new**: R 5 and F 1. Their first (and only) purchase day was very recent.
* **promising**: R 4 and F 1. Recent one-time buyers, a little older than new.
* **need attention**: R 3 and F 3. Middling on both: could go either way.
* **about to sleep**: R 3 and F 1-2. Rare buyers, getting quiet.
* **at risk**: R 1-2 and F 3-4. Used to buy regularly, not for a long time.
* **can't lose them**: R 1-2 and F 5. Were among the most frequent, now absent.
* **hibernating**: R 2 and F 1-2. Rare buyers, long absent.
* **lost**: R 1 and F 1-2. Rare buyers, absent the longest.

With ``use_fm_average=True`` the F axis is the rounded-up mean of F and M
(so frequent low spenders and rare big spenders meet in the middle).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inputs import require_columns

N_SCORES = 5
MONETARY_COLUMNS = {"total": "net_spend_amount", "average": "avg_order_value"}
#: Columns of :func:`rfm_table`, the input of :func:`rfm_scores` and :class:`RFMClusterer`.
RFM_COLUMNS = ("days_since_last_order", "frequency", "monetary")


def quintile_scores(values, higher_is_better: bool = True, n_scores: int = N_SCORES) -> np.ndarray:
    """Scores 1..``n_scores`` by quantile, for values where larger is better (or smaller, if asked).

    Guarantees: scores never decrease as values improve; identical values get the
    same score; every score is used when there are at least ``n_scores`` distinct
    values. Within those rules the groups are as equal as whole runs of equal
    values allow (the sum of squared differences between group sizes and
    ``n / n_scores`` is minimised), so without ties they are exact quantiles.
    Deterministic: no randomness, no dependence on the order of the input.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError("quintile_scores takes a one-dimensional array of values")
    if np.isnan(x).any():
        raise ValueError(f"quintile_scores: {int(np.isnan(x).sum())} missing values; fill or drop them first")
    if x.size == 0:
        return np.empty(0, dtype=np.int8)
    if not higher_is_better:
        x = -x
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    if counts.size >= n_scores:
        boundaries = _quantile_boundaries(counts, n_scores)
        score_of_value = np.searchsorted(boundaries, np.arange(counts.size), side="right") + 1
    else:
        score_of_value = _few_value_scores(counts, n_scores)
    return score_of_value[inverse].astype(np.int8)


#: Above this many distinct values, runs of neighbouring values are pooled (never splitting a value)
#: into at most about this many pieces before the exact search, so a cut can miss its optimum by at
#: most about 1 / _MAX_PIECES of the customers.
_MAX_PIECES = 2000


def _quantile_boundaries(counts: np.ndarray, n_groups: int) -> np.ndarray:
    """Where to cut ``len(counts)`` ordered blocks of equal values into ``n_groups`` non-empty groups.

    Returns boundaries b_1 < ... < b_{g-1}: group j holds blocks b_{j-1} .. b_j - 1.
    The cuts minimise the sum of squared differences between group sizes and
    n / n_groups (exact dynamic programme over block edges; see _MAX_PIECES).
    """
    k = counts.size
    if k <= _MAX_PIECES:
        edges = np.arange(k + 1)
    else:
        cum = np.cumsum(counts)
        half = _MAX_PIECES // 2
        by_count = np.searchsorted(cum, cum[-1] * np.arange(1, half) / half) + 1
        by_index = (k * np.arange(1, half)) // half
        edges = np.unique(np.clip(np.r_[0, by_count, by_index, k], 0, k))
    sizes = np.add.reduceat(counts, edges[:-1]).astype(float)
    return edges[_balanced_cuts(sizes, n_groups)]


def _balanced_cuts(sizes: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact DP: cut ``sizes`` into ``n_groups`` contiguous non-empty groups, minimising sum((size - n/g)^2)."""
    k = sizes.size
    prefix = np.r_[0.0, np.cumsum(sizes)]
    cost = (prefix[None, :] - prefix[:, None] - prefix[-1] / n_groups) ** 2  # cost[a, b]: pieces a..b-1
    cost[np.tril_indices(k + 1)] = np.inf
    best = np.full(k + 1, np.inf)
    best[0] = 0.0
    back = []
    for _ in range(n_groups):
        total = best[:, None] + cost
        arg = np.argmin(total, axis=0)  # the first (smallest) cut on ties: deterministic
        best = total[arg, np.arange(k + 1)]
        back.append(arg)
    cuts, end = [], k
    for step in range(n_groups - 1, 0, -1):
        end = int(back[step][end])
        cuts.append(end)
    return np.array(cuts[::-1], dtype=np.int64)


def _few_value_scores(counts: np.ndarray, n_scores: int) -> np.ndarray:
    """Fewer distinct values than scores: one score each, at its middle rank, kept strictly increasing."""
    cum = np.cumsum(counts)
    middle = (cum - counts / 2) / cum[-1]
    scores = np.clip(np.ceil(middle * n_scores), 1, n_scores).astype(np.int64)
    for i in range(1, scores.size):
        scores[i] = max(scores[i], scores[i - 1] + 1)
    scores[-1] = min(scores[-1], n_scores)
    for i in range(scores.size - 2, -1, -1):
        scores[i] = min(scores[i], scores[i + 1] - 1)
    return scores


def rfm_table(features: pd.DataFrame, monetary: str = "total") -> pd.DataFrame:
    """The three RFM inputs per customer, gaps filled: customer_id, days_since_last_order, frequency, monetary.

    ``monetary`` is "total" (net spend) or "average" (average order value).
    A customer with no purchase day (refunds only) gets the largest days since
    last order plus one, frequency 0 and, for "average", monetary 0.
    """
    if monetary not in MONETARY_COLUMNS:
        raise ValueError(f"monetary must be 'total' or 'average'; got {monetary!r}")
    require_columns(features, ("customer_id", "days_since_last_order", "frequency", MONETARY_COLUMNS[monetary]))
    days = features["days_since_last_order"].astype(float)
    fill_days = (days.max() + 1) if days.notna().any() else 0.0
    return pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "days_since_last_order": days.fillna(fill_days).to_numpy(),
        "frequency": features["frequency"].astype(float).fillna(0.0).to_numpy(),
        "monetary": features[MONETARY_COLUMNS[monetary]].astype(float).fillna(0.0).to_numpy(),
    })


def rfm_scores(features: pd.DataFrame, monetary: str = "total") -> pd.DataFrame:
    """R, F and M scores 1-5 per customer (see the module docstring for the rules).

    Returns :func:`rfm_table` plus ``r_score``, ``f_score``, ``m_score``,
    ``fm_score`` (mean of F and M, rounded up) and ``rfm_cell`` (e.g. "545").
    """
    table = rfm_table(features, monetary)
    table["r_score"] = quintile_scores(table["days_since_last_order"], higher_is_better=False)
    table["f_score"] = quintile_scores(table["frequency"])
    table["m_score"] = quintile_scores(table["monetary"])
    table["fm_score"] = ((table["f_score"].astype(int) + table["m_score"] + 1) // 2).astype(np.int8)
    table["rfm_cell"] = (table["r_score"].astype(str) + table["f_score"].astype(str)
                         + table["m_score"].astype(str))
    return table


@dataclass(frozen=True)
class SegmentRule:
    """A segment covers the R scores ``r_min..r_max`` and F scores ``f_min..f_max`` (inclusive)."""
    segment: str
    r_min: int
    r_max: int
    f_min: int
    f_max: int
    description: str


#: The one rules table behind :func:`segment_from_scores`, in display order (best first).
SEGMENT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("champions", 5, 5, 4, 5, "bought very recently and buy often"),
    SegmentRule("loyal", 3, 4, 4, 5, "buy often and not long ago"),
    SegmentRule("potential loyalists", 4, 5, 2, 3, "recent, have come back a few times"),
    SegmentRule("new", 5, 5, 1, 1, "first and only purchase day was very recent"),
    SegmentRule("promising", 4, 4, 1, 1, "recent one-time buyers, a little older than new"),
    SegmentRule("need attention", 3, 3, 3, 3, "middling recency and frequency"),
    SegmentRule("about to sleep", 3, 3, 1, 2, "rare buyers, getting quiet"),
    SegmentRule("at risk", 1, 2, 3, 4, "used to buy regularly, not for a long time"),
    SegmentRule("can't lose them", 1, 2, 5, 5, "were among the most frequent, now absent"),
    SegmentRule("hibernating", 2, 2, 1, 2, "rare buyers, long absent"),
    SegmentRule("lost", 1, 1, 1, 2, "rare buyers, absent the longest"),
)
SEGMENTS: tuple[str, ...] = tuple(rule.segment for rule in SEGMENT_RULES)


def _segment_grid(rules: tuple[SegmentRule, ...] = SEGMENT_RULES) -> np.ndarray:
    """5x5 array: grid[r - 1, f - 1] is the index of the rule covering (r, f); fails unless each cell has one."""
    grid = np.full((N_SCORES, N_SCORES), -1)
    for index, rule in enumerate(rules):
        cells = grid[rule.r_min - 1:rule.r_max, rule.f_min - 1:rule.f_max]
        if (cells != -1).any():
            raise ValueError(f"segment rule {rule.segment!r} overlaps another rule")
        cells[...] = index
    if (grid == -1).any():
        r, f = np.argwhere(grid == -1)[0] + 1
        raise ValueError(f"no segment rule covers R={r}, F={f}")
    return grid


_SEGMENT_GRID = _segment_grid()


def segment_from_scores(r_scores, f_scores) -> np.ndarray:
    """The segment name of each (R, F) pair, by :data:`SEGMENT_RULES`."""
    r = np.asarray(r_scores, dtype=np.int64)
    f = np.asarray(f_scores, dtype=np.int64)
    if r.shape != f.shape:
        raise ValueError("r_scores and f_scores must have the same length")
    if r.size and (r.min() < 1 or r.max() > N_SCORES or f.min() < 1 or f.max() > N_SCORES):
        raise ValueError("RFM scores must be integers from 1 to 5")
    return np.asarray(SEGMENTS, dtype=object)[_SEGMENT_GRID[r - 1, f - 1]]


def rfm_segments(features: pd.DataFrame, monetary: str = "total", use_fm_average: bool = False) -> pd.DataFrame:
    """:func:`rfm_scores` plus ``segment`` (ordered categorical over :data:`SEGMENTS`)."""
    scores = rfm_scores(features, monetary)
    f_axis = scores["fm_score"] if use_fm_average else scores["f_score"]
    scores["segment"] = pd.Categorical(segment_from_scores(scores["r_score"], f_axis), categories=SEGMENTS,
                                       ordered=True)
    return scores
