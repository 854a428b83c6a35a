"""Who the customers are, in groups: RFM scores and segments, value tiers, lifecycle stages,
migration between two dates, and optional k-means clusters.

Everything here works on the frame of :func:`custlib.features.customer_features`
(one row per customer as of a date), so it inherits that function's guarantee:
nothing dated after ``as_of`` is used. Every customer in the input gets exactly
one score of each kind, one segment, one tier and one stage.

One job a module, each with its rules in its docstring: ``rfm`` (RFM scores and the named
segments), ``tiers`` (value tiers from predicted CLV), ``lifecycle`` (lifecycle stages),
``transitions`` (migration between two dates), ``clusters`` (``RFMClusterer``), ``combined``
(every label of every customer at once). Callers use the names below:
``from custlib import segments; segments.value_tiers(...)``.
"""
from __future__ import annotations

from .clusters import RFMClusterer
from .combined import customer_segments
from .lifecycle import STAGES, TREND_METRICS, LifecycleThresholds, lifecycle_stages
from .rfm import (MONETARY_COLUMNS, N_SCORES, RFM_COLUMNS, SEGMENT_RULES, SEGMENTS, SegmentRule, quintile_scores,
                  rfm_scores, rfm_segments, rfm_table, segment_from_scores)
from .tiers import TIERS, value_tiers
from .transitions import GONE_LABEL, NEW_LABEL, Migration, migration, migration_matrix

__all__ = [
    "N_SCORES", "MONETARY_COLUMNS", "RFM_COLUMNS", "quintile_scores", "rfm_table", "rfm_scores",
    "SegmentRule", "SEGMENT_RULES", "SEGMENTS", "segment_from_scores", "rfm_segments",
    "TIERS", "value_tiers", "STAGES", "TREND_METRICS", "LifecycleThresholds", "lifecycle_stages",
    "NEW_LABEL", "GONE_LABEL", "Migration", "migration_matrix", "migration", "RFMClusterer", "customer_segments",
]
