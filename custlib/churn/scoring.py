"""Who of the active customers is about to stop buying, what it would cost, why, and what to do: the churn
score table.

Each scored customer gets a churn probability (:class:`~custlib.churn.model.ChurnModel`),
``value_at_risk = churn_probability x clv`` (CLV from :func:`custlib.valuation.value_customers` as of the
scoring date), up to three reasons as message codes (:func:`~custlib.churn.reasons.churn_reasons`) and an
action (:func:`~custlib.churn.actions.recommend_actions`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .. import features as _features, segments, valuation
from ..errors import CustlibError
from .actions import HIGH_RISK, recommend_actions
from .labels import _active_rows, training_frames
from .model import ChurnModel
from .reasons import churn_reasons, reason_columns

#: The reason columns of every score table: name -> meaning.
REASON_COLUMNS: dict[str, str] = {
    "reason_1": "the most unusual reason, a custlib.messages code; missing when no rule fires",
    "reason_1_a": "the first number reason_1 quotes (NaN when none)",
    "reason_1_b": "the second number reason_1 quotes (NaN when none)",
    "reason_2": "the second reason, or missing", "reason_2_a": "its first number", "reason_2_b": "its second",
    "reason_3": "the third reason, or missing", "reason_3_a": "its first number", "reason_3_b": "its second",
}
#: Columns of :func:`score_churn`, in order: name -> meaning.
SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "customer active on the as-of date (one row each)",
    "churn_probability": "probability of no purchase in the next horizon_days (0..1)",
    "clv": "predicted customer lifetime value (custlib.valuation, currency)",
    "value_at_risk": "churn_probability x clv (currency)",
    "tier": "value tier from CLV among the scored customers: core, potential, low-value",
    "stage": "lifecycle stage (custlib.segments.lifecycle_stages with BG/NBD probability alive)",
    "action": "win back, nurture, keep warm or let go (ACTION_RULES)",
    **REASON_COLUMNS,
}


def score_customers(model: ChurnModel, features: pd.DataFrame, value: valuation.ValueSnapshot,
                    high_risk: float = HIGH_RISK) -> pd.DataFrame:
    """Score the active customers of a features frame (no database): columns :data:`SCORE_COLUMNS`.

    ``features`` as of the scoring date, ordered by customer_id as :func:`~custlib.features.customer_features`
    returns it (only customers active per ``model.active_days_`` are kept); ``value`` the value snapshot
    as of the same date. Sorted by value at risk, largest first (ties by customer_id).
    """
    check_is_fitted(model, "estimator_")
    rows = _active_rows(features, model.active_days_)
    active = features.take(rows).reset_index(drop=True)
    ids = active["customer_id"]
    probability = model._churn_probability(active)
    values = value.customers
    if values.index.equals(pd.Index(features["customer_id"].array)):  # usually: the same customers, same order
        values = values.take(rows)
    else:
        values = values.reindex(pd.Index(ids.array))
    clv = values["clv"].to_numpy(dtype=float, na_value=np.nan)
    clv = np.where(np.isfinite(clv), clv, 0.0)
    tier = segments.value_tiers(pd.Series(clv, index=values.index)).array
    stage = segments.lifecycle_stages(active, values["probability_alive"])["stage"].array
    reasons = churn_reasons(active)
    frame = pd.DataFrame({
        "customer_id": ids.array,
        "churn_probability": probability,
        "clv": clv,
        "value_at_risk": probability * clv,
        "tier": tier,
        "stage": stage,
        "action": recommend_actions(probability, tier, stage, high_risk),
    })
    for column in reason_columns():
        frame[column] = reasons[column].to_numpy()
    # stable sort on the customer_id order of the features frame: ties stay in customer_id order
    order = np.argsort(-frame["value_at_risk"].to_numpy(), kind="stable")
    frame = frame.take(order).reset_index(drop=True)
    frame.attrs.update(as_of=features.attrs.get("as_of"), horizon_days=model.horizon_days_,
                       chosen_model=model.chosen_model_)
    return frame


def score_churn(con, dataset_id: int, as_of, model: ChurnModel | None = None, *, horizon_days: int | None = None,
                active_days: int | None = None, value_settings: valuation.ValueSettings | None = None,
                value: valuation.ValueSnapshot | None = None, high_risk: float = HIGH_RISK,
                **model_settings) -> pd.DataFrame:
    """Churn probability, value at risk, reasons and action for every customer active on ``as_of``.

    ``model``: a fitted :class:`ChurnModel` whose data end on or before ``as_of`` (fit it first to
    keep its ``report_``); None fits ``ChurnModel(**model_settings)`` on the
    :func:`~custlib.churn.labels.training_frames` ending on ``as_of`` (``horizon_days``, ``active_days``
    and ``value_settings`` are theirs). ``value``: the :class:`~custlib.valuation.ValueSnapshot` as of
    ``as_of`` if already computed; None values the customers with ``value_settings`` (None: defaults).
    Columns :data:`SCORE_COLUMNS`, sorted by value at risk (largest first); ``attrs`` holds as_of,
    horizon_days and chosen_model.
    """
    as_of = _features.as_date(as_of)
    feats = _features.customer_features(con, dataset_id, as_of)
    if model is None:
        frames = training_frames(con, dataset_id, as_of, horizon_days=horizon_days, active_days=active_days,
                                 value_settings=value_settings, current_features=feats)
        model = ChurnModel(**model_settings).fit(frames)
    else:
        check_is_fitted(model, "estimator_")
        if model.windows_.as_of > as_of:
            raise CustlibError(f"This churn model learned from data up to {model.windows_.as_of}, after the "
                               f"scoring date {as_of}: scores would use the future. Fit it as of {as_of}.")
    if value is None:
        value = valuation.value_customers(con, dataset_id, as_of, value_settings or valuation.ValueSettings())
    return score_customers(model, feats, value, high_risk)
