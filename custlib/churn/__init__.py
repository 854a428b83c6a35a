"""Who is about to stop buying, why, and what to do about it: a churn model for a non-contract business.

A customer active on a date churns over the next N days when they make no purchase in them. The modules,
one job each:

* ``labels``: the horizon, who is active, who churned, the time split (:class:`ChurnWindows`), and the
  frames a model is fitted on, read from the marts (:func:`training_frames`);
* ``pipelines``: what the candidate models read and how they are built;
* ``model``: the estimator (:class:`ChurnModel`: ``fit`` takes those frames, never a connection), its
  metrics on a window it never saw, the BG/NBD baseline and the choice between the candidates
  (:class:`ChurnReport`);
* ``reasons``: up to three reasons per customer, as message codes with their numbers (:func:`churn_reasons`);
* ``actions``: the action table (:func:`recommend_actions`);
* ``scoring``: the score table, with value at risk (:func:`score_customers`, :func:`score_churn`).

docs/models.md describes the method and its sources.
"""
from __future__ import annotations

from .actions import ACTION_RULES, ACTIONS, GROWING_STAGES, HIGH_RISK, ActionRule, recommend_actions
from .labels import (FALLBACK_HORIZON_DAYS, HORIZON_GAP_QUANTILE, HORIZON_STEPS_DAYS, MIN_GAP_CUSTOMERS,
                     ChurnWindows, TrainingFrames, active_customers, churn_examples, default_horizon_days,
                     horizon_from_gaps, training_frames)
from .model import (AUTO_TIE_MARGIN, MAX_EVAL_ROWS, MAX_FIT_ROWS, METRIC_COLUMNS, MODEL_LABELS, ChurnModel,
                    ChurnReport, classification_metrics, top_decile_lift)
from .pipelines import (CATEGORICAL_INPUTS, DERIVED_INPUTS, MAX_TREE_CATEGORIES, MODEL_KINDS, NUMERIC_INPUTS,
                        PREDICT_BATCH_ROWS, UNKNOWN_CATEGORY, FillEmptyColumns, ModelInputs, make_pipeline,
                        predict_in_batches)
from .reasons import N_REASONS, REASON_RULES, ReasonRule, churn_reasons, reason_columns
from .scoring import REASON_COLUMNS, SCORE_COLUMNS, score_churn, score_customers

__all__ = [
    "ChurnModel", "ChurnReport", "ChurnWindows", "TrainingFrames", "training_frames", "score_churn",
    "score_customers", "churn_examples", "default_horizon_days", "horizon_from_gaps", "active_customers",
    "classification_metrics", "top_decile_lift", "churn_reasons", "reason_columns", "recommend_actions", "make_pipeline",
    "ModelInputs", "FillEmptyColumns", "predict_in_batches", "ReasonRule", "ActionRule",
    "REASON_RULES", "N_REASONS", "ACTION_RULES", "ACTIONS", "HIGH_RISK", "GROWING_STAGES", "SCORE_COLUMNS", "REASON_COLUMNS",
    "METRIC_COLUMNS", "MODEL_LABELS", "MODEL_KINDS", "AUTO_TIE_MARGIN", "MAX_FIT_ROWS", "MAX_EVAL_ROWS",
    "HORIZON_STEPS_DAYS", "HORIZON_GAP_QUANTILE", "MIN_GAP_CUSTOMERS", "FALLBACK_HORIZON_DAYS",
    "NUMERIC_INPUTS", "CATEGORICAL_INPUTS", "DERIVED_INPUTS", "UNKNOWN_CATEGORY", "MAX_TREE_CATEGORIES",
    "PREDICT_BATCH_ROWS",
]
