"""Who the customers are, in groups: RFM scores and segments, value tiers, lifecycle stages,
migration between two dates, and optional k-means clusters.

Everything here works on the frame of :func:`custlib.features.customer_features`
(one row per customer as of a date), so it inherits that function's guarantee:
nothing dated after ``as_of`` is used. Every customer in the input gets exactly
one score of each kind, one segment, one tier and one stage.

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

Value tiers
-----------
:func:`value_tiers` ranks predicted CLV: the top 20% are **core**, the next 30%
**potential**, the rest **low-value** (shares configurable). The counts are
``round(n * share)`` exactly; ties at a cut-off are broken by customer id, so the
same data always give the same tiers.

Lifecycle stages
----------------
The four stages of the customer lifecycle model (exploration, development,
stability, decline; after Dwyer, Schurr & Oh 1987, "Developing buyer-seller
relationships", Journal of Marketing 51(2), whose exploration, expansion,
commitment and dissolution phases they follow), plus **new** and **lost**. See
:func:`lifecycle_stages` and :class:`LifecycleThresholds` for the rules.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import features as _features

# --- RFM scores --------------------------------------------------------------

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
    _require(features, ("customer_id", "days_since_last_order", "frequency", MONETARY_COLUMNS[monetary]))
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


# --- named segments ----------------------------------------------------------

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


# --- value tiers --------------------------------------------------------------

TIERS: tuple[str, ...] = ("core", "potential", "low-value")


def value_tiers(clv: pd.Series, core_share: float = 0.20, potential_share: float = 0.30) -> pd.Series:
    """Tier per customer from predicted CLV: top ``core_share`` core, next ``potential_share`` potential, rest low-value.

    ``clv`` is indexed by customer id. The numbers of core and core-or-potential
    customers are ``round(n * core_share)`` and ``round(n * (core_share +
    potential_share))`` (halves round up); customers are ranked by CLV, highest
    first, and equal CLVs by customer id ascending, so a tie at a cut-off is
    resolved the same way every time. Returns an ordered categorical Series with
    the same index.
    """
    if not (0 <= core_share <= 1 and 0 <= potential_share <= 1 and core_share + potential_share <= 1):
        raise ValueError("tier shares must be between 0 and 1 and add up to at most 1; "
                         f"got core {core_share}, potential {potential_share}")
    values = pd.Series(clv, dtype=float)
    if values.isna().any():
        missing = values.index[values.isna()]
        raise ValueError(f"value_tiers: {len(missing)} customers have no CLV (first: {missing[0]!r}); "
                         "predict a CLV for every customer or drop them first")
    if not values.index.is_unique:
        raise ValueError("value_tiers: the CLV series has duplicate customer ids")
    n = len(values)
    n_core = math.floor(n * core_share + 0.5)
    n_top = math.floor(n * (core_share + potential_share) + 0.5)
    order = pd.DataFrame({"clv": values.to_numpy(), "key": values.index.astype(str)}).sort_values(
        ["clv", "key"], ascending=[False, True], kind="mergesort").index.to_numpy()
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    codes = np.where(position < n_core, 0, np.where(position < n_top, 1, 2))
    return pd.Series(pd.Categorical.from_codes(codes, categories=TIERS, ordered=True), index=values.index,
                     name="tier")


# --- lifecycle stages -----------------------------------------------------------

STAGES: tuple[str, ...] = ("new", "exploration", "development", "stability", "decline", "lost")
TREND_METRICS = ("spend", "orders")


@dataclass(frozen=True)
class LifecycleThresholds:
    """The knobs of :func:`lifecycle_stages`; defaults in brackets.

    new_max_tenure_days [90]: a relationship this young (or younger) is *new*.
    exploration_max_purchase_days [2]: at most this many purchase days is still *exploration*.
    trend_window_days [180]: compare the last N days with the N before (90, 180 or 365).
    trend_metric ["spend"]: compare net spend ("spend") or orders ("orders").
    growth_trend [+0.20]: recent / previous - 1 at or above this is growth (so is any activity after none).
    decline_trend [-0.30]: recent / previous - 1 at or below this is a decline.
    decline_p_alive [0.50]: probability alive below this is *decline*.
    lost_p_alive [0.10]: probability alive below this is *lost*.
    decline_gap_multiple [2.0], lost_gap_multiple [4.0]: without a probability alive, days since the last
        order above this many typical gaps count as decline / lost.
    default_gap_days [90.0]: the typical gap when neither the customer nor anyone else has two purchase days.
    """
    new_max_tenure_days: int = 90
    exploration_max_purchase_days: int = 2
    trend_window_days: int = 180
    trend_metric: str = "spend"
    growth_trend: float = 0.20
    decline_trend: float = -0.30
    decline_p_alive: float = 0.50
    lost_p_alive: float = 0.10
    decline_gap_multiple: float = 2.0
    lost_gap_multiple: float = 4.0
    default_gap_days: float = 90.0

    def __post_init__(self):
        if self.trend_window_days not in _features.WINDOWS_DAYS:
            raise ValueError(f"trend_window_days must be one of {_features.WINDOWS_DAYS}; "
                             f"got {self.trend_window_days}")
        if self.trend_metric not in TREND_METRICS:
            raise ValueError(f"trend_metric must be 'spend' or 'orders'; got {self.trend_metric!r}")
        if not 0 <= self.lost_p_alive <= self.decline_p_alive <= 1:
            raise ValueError("need 0 <= lost_p_alive <= decline_p_alive <= 1")
        if not 0 < self.decline_gap_multiple <= self.lost_gap_multiple:
            raise ValueError("need 0 < decline_gap_multiple <= lost_gap_multiple")
        if self.decline_trend >= self.growth_trend:
            raise ValueError("decline_trend must be below growth_trend")
        if self.default_gap_days <= 0:
            raise ValueError("default_gap_days must be positive")


def lifecycle_stages(features: pd.DataFrame, p_alive: pd.Series | None = None,
                     thresholds: LifecycleThresholds | None = None) -> pd.DataFrame:
    """Lifecycle stage per customer: new, exploration, development, stability, decline or lost.

    The first rule that holds wins:

    1. **new**: tenure_days <= new_max_tenure_days.
    2. **lost**: probability alive < lost_p_alive.
    3. **decline**: probability alive < decline_p_alive, or the trend (recent window
       against the one before) is at or below decline_trend.
    4. **exploration**: at most exploration_max_purchase_days purchase days.
    5. **development**: the trend is at or above growth_trend, or there is recent
       activity after an empty previous window.
    6. **stability**: everyone else (steady buyers).

    ``p_alive`` (probability the customer is still active, from a CLV model such
    as BG/NBD) is a Series indexed by customer id. Where it is absent, for all
    customers or some, a recency fallback stands in for it: days since the last
    order divided by the customer's typical gap (median days between purchase
    days; for customers with a single purchase day, the median typical gap of all
    customers, else ``default_gap_days``). Above ``lost_gap_multiple`` gaps counts
    as p_alive below lost_p_alive, above ``decline_gap_multiple`` as below
    decline_p_alive. Customers with no purchase day at all (refunds only) are lost.
    Column ``alive_basis`` says which was used ("p_alive" or "recency fallback").
    Returns customer_id, stage (ordered categorical over :data:`STAGES`), alive_basis.
    """
    t = thresholds or LifecycleThresholds()
    window = t.trend_window_days
    recent_col, previous_col = f"{t.trend_metric}_last_{window}d", f"{t.trend_metric}_prev_{window}d"
    _require(features, ("customer_id", "tenure_days", "purchase_days", "days_since_last_order",
                        "typical_gap_days", recent_col, previous_col))
    n = len(features)
    ids = features["customer_id"]

    recent = features[recent_col].astype(float).to_numpy()
    previous = features[previous_col].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = np.where(previous > 0, recent / previous - 1, np.nan)
    declining = trend <= t.decline_trend
    growing = (trend >= t.growth_trend) | ((previous <= 0) & (recent > 0))

    gaps = features["typical_gap_days"].astype(float)
    fallback_gap = gaps.median() if gaps.notna().any() else t.default_gap_days
    overdue = features["days_since_last_order"].astype(float).to_numpy() / gaps.fillna(fallback_gap).to_numpy()
    no_purchase = features["purchase_days"].to_numpy() == 0
    fallback_lost = no_purchase | (overdue > t.lost_gap_multiple)
    fallback_decline = overdue > t.decline_gap_multiple

    given = np.full(n, np.nan)
    if p_alive is not None:
        alive_series = pd.Series(p_alive, dtype=float)
        if not alive_series.index.is_unique:
            raise ValueError("lifecycle_stages: p_alive has duplicate customer ids")
        given = alive_series.reindex(ids.to_numpy()).to_numpy()
        if ((given < 0) | (given > 1)).any():
            raise ValueError("lifecycle_stages: p_alive must be a probability between 0 and 1")
    has_p = ~np.isnan(given)
    lost = np.where(has_p, given < t.lost_p_alive, fallback_lost)
    fading = np.where(has_p, given < t.decline_p_alive, fallback_decline)

    conditions = [
        features["tenure_days"].astype(float).fillna(np.inf).to_numpy() <= t.new_max_tenure_days,
        lost,
        fading | declining,
        features["purchase_days"].to_numpy() <= t.exploration_max_purchase_days,
        growing,
    ]
    stage_index = np.select(conditions, [0, 5, 4, 1, 2], default=3)
    return pd.DataFrame({
        "customer_id": ids.to_numpy(),
        "stage": pd.Categorical.from_codes(stage_index, categories=STAGES, ordered=True),
        "alive_basis": np.where(has_p, "p_alive", "recency fallback"),
    })


# --- migration ----------------------------------------------------------------

NEW_LABEL = "new (not yet a customer)"
GONE_LABEL = "not present"


@dataclass(frozen=True)
class Migration:
    """Who moved where between two dates: ``counts`` (customers) and ``value`` (sum of a value), from x to.

    Rows are the earlier label (``NEW_LABEL`` for customers only present later),
    columns the later label (``GONE_LABEL`` only appears if someone present earlier
    is missing later). Both tables have every label in both axes, zeros included.
    """
    counts: pd.DataFrame
    value: pd.DataFrame
    value_name: str | None = None
    labels: tuple[str, ...] = field(default=())


def migration_matrix(before: pd.Series, after: pd.Series, value: pd.Series | None = None,
                     labels=None, value_name: str | None = None) -> Migration:
    """Cross-tabulate labels per customer at two dates (Series indexed by customer id).

    ``value`` (indexed by customer id, e.g. CLV or trailing-365-day spend at the
    later date) is summed per cell; customers without a value count 0. ``labels``
    fixes the order of the axes (default: categories of ``after`` if categorical,
    else the sorted union). The counts add up to the number of distinct customers
    in ``before`` and ``after`` together.
    """
    for name, series in (("before", before), ("after", after)):
        if not series.index.is_unique:
            raise ValueError(f"migration_matrix: {name} has duplicate customer ids")
    if labels is None:
        if isinstance(after.dtype, pd.CategoricalDtype):
            labels = list(after.cat.categories)
        else:
            labels = sorted(set(before.astype(str)) | set(after.astype(str)))
    labels = [str(label) for label in labels]
    customers = before.index.union(after.index)
    from_side = before.astype(object).reindex(customers).astype(object)
    to_side = after.astype(object).reindex(customers).astype(object)
    from_side = from_side.where(from_side.notna(), NEW_LABEL).astype(str)
    to_side = to_side.where(to_side.notna(), GONE_LABEL).astype(str)
    unknown = (set(from_side) | set(to_side)) - set(labels) - {NEW_LABEL, GONE_LABEL}
    if unknown:
        raise ValueError(f"migration_matrix: labels {sorted(unknown)} are not in the label list {labels}")
    rows = [NEW_LABEL, *labels]
    columns = labels + ([GONE_LABEL] if (to_side == GONE_LABEL).any() else [])
    amounts = (pd.Series(value, dtype=float).reindex(customers).fillna(0.0) if value is not None
               else pd.Series(0.0, index=customers))
    frame = pd.DataFrame({"from": from_side.to_numpy(), "to": to_side.to_numpy(), "value": amounts.to_numpy()})
    grouped = frame.groupby(["from", "to"], sort=False)["value"].agg(["size", "sum"])
    counts = grouped["size"].unstack(fill_value=0).reindex(index=rows, columns=columns, fill_value=0).astype(
        np.int64)
    sums = grouped["sum"].unstack(fill_value=0.0).reindex(index=rows, columns=columns, fill_value=0.0)
    for table in (counts, sums):
        table.index.name, table.columns.name = "from", "to"
    return Migration(counts=counts, value=sums, value_name=value_name, labels=tuple(labels))


def migration(con, dataset_id: int, from_as_of, to_as_of, by: str = "segment",
              value_column: str = "spend_last_365d", value: pd.Series | None = None,
              p_alive_from: pd.Series | None = None, p_alive_to: pd.Series | None = None,
              thresholds: LifecycleThresholds | None = None, monetary: str = "total") -> Migration:
    """Migration of RFM segments (``by="segment"``) or lifecycle stages (``by="stage"``) between two dates.

    Labels are computed from the features as of each date (so each side only
    sees data up to its date). The value that moved is ``value`` when given
    (e.g. CLV per customer), else ``value_column`` of the features at the later
    date (default: trailing-365-day net spend).
    """
    if by not in ("segment", "stage"):
        raise ValueError(f"by must be 'segment' or 'stage'; got {by!r}")
    start, end = _features.as_date(from_as_of), _features.as_date(to_as_of)
    if start >= end:
        raise ValueError(f"from_as_of ({start}) must be before to_as_of ({end})")
    earlier = _features.customer_features(con, dataset_id, start)
    later = _features.customer_features(con, dataset_id, end)
    if by == "segment":
        before = _labels(rfm_segments(earlier, monetary), "segment")
        after = _labels(rfm_segments(later, monetary), "segment")
        labels = SEGMENTS
    else:
        before = _labels(lifecycle_stages(earlier, p_alive_from, thresholds), "stage")
        after = _labels(lifecycle_stages(later, p_alive_to, thresholds), "stage")
        labels = STAGES
    if value is None:
        _require(later, (value_column,))
        value = later.set_index("customer_id")[value_column]
        value_name = value_column
    else:
        value_name = value.name
    return migration_matrix(before, after, value, labels=labels, value_name=value_name)


def _labels(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(frame[column].to_numpy(), index=frame["customer_id"].to_numpy(), name=column)


# --- k-means clusters -----------------------------------------------------------

def _log1p_nonnegative(values):
    """log(1 + x) after clipping at 0 (net spend can be negative after returns)."""
    return np.log1p(np.clip(values, 0, None))


class RFMClusterer(ClusterMixin, BaseEstimator):
    """k-means on log1p(R, F, M), standardised, with k chosen by silhouette; clusters described in words.

    Input to ``fit``/``predict``: a frame with :data:`RFM_COLUMNS` (the output of
    :func:`rfm_table` or :func:`rfm_scores`; extra columns ignored) or an array
    with those three columns in that order.

    Parameters
    ----------
    k_values : candidate numbers of clusters [2..8].
    sample_size : k is chosen on a random sample of this many customers [10000];
        the final model is fitted on all of them.
    n_init, random_state : passed to KMeans; random_state also draws the sample.
    describe_threshold : how far, in standard deviations of the log scale, a
        centroid must sit from the overall median to be called high or low [0.25].

    Learned attributes: ``n_clusters_``, ``silhouette_scores_`` (Series by k),
    ``pipeline_``, ``labels_``, ``cluster_centers_`` (DataFrame in the original
    units), ``cluster_sizes_``, ``descriptions_`` (Series: cluster -> words such
    as "recent, frequent, high spend"), ``medians_``. Cluster 0 has the highest
    centroid monetary value, then 1, and so on.
    """

    def __init__(self, k_values=tuple(range(2, 9)), sample_size: int = 10_000, n_init: int = 10,
                 random_state=0, describe_threshold: float = 0.25):
        self.k_values = k_values
        self.sample_size = sample_size
        self.n_init = n_init
        self.random_state = random_state
        self.describe_threshold = describe_threshold

    def _pipeline(self, k: int, seed: int) -> Pipeline:
        return Pipeline([
            ("log1p", FunctionTransformer(_log1p_nonnegative)),
            ("scale", StandardScaler()),
            ("kmeans", KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)),
        ])

    def fit(self, X, y=None):
        values = _rfm_matrix(X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        sample = values
        if len(values) > self.sample_size:
            sample = values[np.sort(rng.choice(len(values), self.sample_size, replace=False))]
        distinct = len(np.unique(sample, axis=0))
        ks = sorted(int(k) for k in self.k_values if 2 <= int(k) < distinct)
        if not ks:
            raise ValueError(f"RFMClusterer: need more distinct customers than clusters; the sample has "
                             f"{distinct} distinct (R, F, M) rows and k_values is {list(self.k_values)}")
        scores = {}
        for k in ks:
            candidate = self._pipeline(k, seed).fit(sample)
            scores[k] = silhouette_score(candidate[:-1].transform(sample), candidate[-1].labels_)
        self.silhouette_scores_ = pd.Series(scores, name="silhouette").rename_axis("k")
        self.n_clusters_ = int(self.silhouette_scores_.idxmax())  # first (smallest) k on ties
        self.pipeline_ = self._pipeline(self.n_clusters_, seed).fit(values)

        scaled_centres = self.pipeline_[-1].cluster_centers_
        order = np.argsort(-scaled_centres[:, 2], kind="stable")  # by monetary, highest first
        self._relabel = np.empty(self.n_clusters_, dtype=np.int64)
        self._relabel[order] = np.arange(self.n_clusters_)
        scaled_centres = scaled_centres[order]
        original = np.expm1(self.pipeline_["scale"].inverse_transform(scaled_centres))
        self.cluster_centers_ = pd.DataFrame(original, columns=list(RFM_COLUMNS)).rename_axis("cluster")
        self.labels_ = self._relabel[self.pipeline_[-1].labels_]
        self.cluster_sizes_ = pd.Series(np.bincount(self.labels_, minlength=self.n_clusters_),
                                        name="customers").rename_axis("cluster")
        self.medians_ = pd.Series(np.median(values, axis=0), index=list(RFM_COLUMNS), name="median")
        scaled_median = self.pipeline_[:-1].transform(self.medians_.to_numpy()[None, :])[0]
        self.descriptions_ = pd.Series([self._describe(c - scaled_median) for c in scaled_centres],
                                       name="description").rename_axis("cluster")
        return self

    def _describe(self, offset: np.ndarray) -> str:
        words = (("recent", "mid recency", "lapsed"), ("frequent", "average frequency", "infrequent"),
                 ("high spend", "average spend", "low spend"))
        # recency is "days since": a smaller value is the "good" word
        signed = np.array([-offset[0], offset[1], offset[2]])
        return ", ".join(w[0] if s > self.describe_threshold else w[2] if s < -self.describe_threshold else w[1]
                         for w, s in zip(words, signed))

    def predict(self, X) -> np.ndarray:
        """Cluster of each customer (0 = highest centroid monetary value)."""
        check_is_fitted(self, "pipeline_")
        return self._relabel[self.pipeline_.predict(_rfm_matrix(X))]

    def describe(self, X) -> pd.Series:
        """The words of each customer's cluster."""
        return pd.Series(self.descriptions_.to_numpy()[self.predict(X)], name="description")


def _rfm_matrix(X) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        _require(X, RFM_COLUMNS)
        X = X[list(RFM_COLUMNS)]
    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(RFM_COLUMNS):
        raise ValueError(f"RFMClusterer needs the columns {', '.join(RFM_COLUMNS)}")
    if np.isnan(values).any():
        raise ValueError("RFMClusterer: missing values; use rfm_table() to fill them")
    return values


# --- all at once ------------------------------------------------------------------

def customer_segments(con, dataset_id: int, as_of, clv: pd.Series | None = None, p_alive: pd.Series | None = None,
                      thresholds: LifecycleThresholds | None = None, monetary: str = "total",
                      use_fm_average: bool = False, core_share: float = 0.20,
                      potential_share: float = 0.30) -> pd.DataFrame:
    """RFM scores, segment, lifecycle stage and (with ``clv``) value tier per customer as of a date.

    One row per customer of :func:`custlib.features.customer_features`. ``clv`` and
    ``p_alive`` are Series indexed by customer id (from the CLV model); every
    customer needs a CLV for the tier.
    """
    feats = _features.customer_features(con, dataset_id, as_of)
    result = rfm_segments(feats, monetary, use_fm_average)
    stages = lifecycle_stages(feats, p_alive, thresholds)
    result["stage"] = stages["stage"].to_numpy()
    result["alive_basis"] = stages["alive_basis"].to_numpy()
    if clv is not None:
        tiers = value_tiers(pd.Series(clv, dtype=float).reindex(feats["customer_id"].to_numpy()), core_share,
                            potential_share)
        result["tier"] = tiers.to_numpy()
    result.attrs.update(feats.attrs)
    return result


def _require(frame: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing columns {missing}: pass the frame from custlib.features.customer_features")
