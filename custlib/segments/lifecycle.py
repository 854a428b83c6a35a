"""Where each customer stands in the relationship: new, exploration, development, stability, decline, lost.

The four stages of the customer lifecycle model (exploration, development,
stability, decline; after Dwyer, Schurr & Oh 1987, "Developing buyer-seller
relationships", Journal of Marketing 51(2), whose exploration, expansion,
commitment and dissolution phases they follow), plus **new** and **lost**. See
:func:`lifecycle_stages` and :class:`LifecycleThresholds` for the rules.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import features as _features
from .inputs import require_columns

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
    require_columns(features, ("customer_id", "tenure_days", "purchase_days", "days_since_last_order",
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
