"""Every group label of every customer as of a date: RFM scores and segment, lifecycle stage, value tier."""
from __future__ import annotations

import pandas as pd

from .. import features as _features
from .lifecycle import LifecycleThresholds, lifecycle_stages
from .rfm import rfm_segments
from .tiers import value_tiers


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
