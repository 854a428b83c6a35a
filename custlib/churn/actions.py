"""What to do about a customer at risk: one action from risk, value tier and lifecycle stage (a rule table)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import segments

ACTIONS: tuple[str, ...] = ("win back", "nurture", "keep warm", "let go")
#: Churn probability at or above which a customer counts as at high risk (:func:`recommend_actions`).
HIGH_RISK = 0.5
GROWING_STAGES = ("new", "exploration", "development")


@dataclass(frozen=True)
class ActionRule:
    """One row of the action table: if the risk band, value tier and stage match, recommend ``action``."""
    action: str
    high_risk: bool
    tiers: tuple[str, ...]
    stages: tuple[str, ...]
    why: str


#: The rule table of :func:`recommend_actions`. Every (risk band, tier, stage) matches exactly one row.
#:
#: ==========  ==================  =========================================  ==========
#: risk        value tier          lifecycle stage                            action
#: ==========  ==================  =========================================  ==========
#: high        core, potential     any                                        win back
#: high        low-value           any                                        let go
#: low         any                 new, exploration, development              nurture
#: low         any                 stability, decline, lost                   keep warm
#: ==========  ==================  =========================================  ==========
ACTION_RULES: tuple[ActionRule, ...] = (
    ActionRule("win back", True, ("core", "potential"), segments.STAGES,
               "likely to stop buying and valuable enough for a call or an offer"),
    ActionRule("let go", True, ("low-value",), segments.STAGES,
               "likely to stop buying, and the margin they would bring is below the cost of winning them back"),
    ActionRule("nurture", False, segments.TIERS, GROWING_STAGES,
               "a young or growing relationship: help the habit form (second order, onboarding, cross-sell)"),
    ActionRule("keep warm", False, segments.TIERS, ("stability", "decline", "lost"),
               "likely to keep buying: stay in touch, no discount needed"),
)


def recommend_actions(churn_probability, tier, stage, high_risk: float = HIGH_RISK,
                      rules: tuple[ActionRule, ...] = ACTION_RULES) -> pd.Categorical:
    """The action for each customer from :data:`ACTION_RULES` (first matching row wins).

    ``churn_probability`` in 0..1; ``tier`` from :func:`custlib.segments.value_tiers`; ``stage`` from
    :func:`custlib.segments.lifecycle_stages` (arrays, Series or categoricals). High risk means
    ``churn_probability >= high_risk``. Returns a categorical over :data:`ACTIONS`. Raises ValueError
    for a tier or stage no row matches.
    """
    p = np.asarray(churn_probability, dtype=float)
    tier, stage = pd.Categorical(tier), pd.Categorical(stage)
    risky = p >= high_risk
    code = np.full(p.shape, -1, dtype=np.int8)
    for rule in rules:
        # membership per category, looked up by code (code -1, a missing value, never matches)
        tier_ok = np.append(np.isin(np.asarray(tier.categories, dtype=object), rule.tiers), False)[tier.codes]
        stage_ok = np.append(np.isin(np.asarray(stage.categories, dtype=object), rule.stages), False)[stage.codes]
        code[(code < 0) & (risky == rule.high_risk) & tier_ok & stage_ok] = ACTIONS.index(rule.action)
    if (code < 0).any():
        first = int(np.flatnonzero(code < 0)[0])
        raise ValueError(f"no action rule for tier {tier[first]!r} and stage {stage[first]!r} "
                         f"(customer at position {first}); tiers are {segments.TIERS}, stages {segments.STAGES}")
    return pd.Categorical.from_codes(code, categories=list(ACTIONS))
