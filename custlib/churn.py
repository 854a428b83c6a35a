"""Who is about to stop buying, why, and what to do about it: a churn model for a non-contract business.

Definition. In a business without contracts nobody cancels; customers just stop buying. A customer
*active* on a date ``t`` (at least one purchase day in the ``active_days`` days ending on ``t``)
*churns over the next N days* when they make no purchase in the window ``(t, t + N]``. A purchase is
a transaction line with amount >= 0, the purchase-day rule of :mod:`custlib.features`; a refund is
not a purchase. ``N`` is the horizon, ``horizon_days``. ``active_days`` defaults to a year (two
horizons when that is longer): customers silent for longer are lapsed already, and would only make
the model look good by being easy to call.

Default horizon (:func:`horizon_from_gaps`). Take every customer's typical gap (the median days
between their consecutive purchase days, ``typical_gap_days``, as of the scoring date) and its 80th
percentile over the customers who have one: four in five repeat customers usually buy again within
that many days, so silence for longer breaks the habit of most. The horizon is the first step of
:data:`HORIZON_STEPS_DAYS` (30, 45, 60, 90, 120, 150, 180, 270, 365 days) at or above it, so it is
always between 30 and 365 days and reads as a familiar period. With fewer than
:data:`MIN_GAP_CUSTOMERS` repeat customers the horizon is :data:`FALLBACK_HORIZON_DAYS` (90).

Time split (no leakage). With scoring date ``A`` and horizon ``N``:

====================  =======================  ===========================  =======================
step                  features as of           labels from                  used for
====================  =======================  ===========================  =======================
train                 ``T0 = A - 2N``          ``(T0, T1]``                 fitting the candidates
validate              ``T1 = A - N``           ``(T1, A]``                  metrics, model choice
score                 ``A``                    (the future)                 churn_probability
====================  =======================  ===========================  =======================

The candidates are evaluated on a window they never saw, and every feature is computed by
:func:`custlib.features.customer_features` as of its own date, which reads nothing dated later.
Nothing dated after ``A`` is read at all (``tests/test_churn.py`` adds later rows and checks that
features, training sets, metrics and scores do not move). The customers table is an undated snapshot
(region, industry, company size are taken as stored), as documented in :mod:`custlib.features`.
The chosen candidate gives the scores, so the metrics in the report are those of the model that scores;
with ``refit=True`` the chosen kind is fitted again on the validation window (features as of ``T1``,
labels ``(T1, A]``) and that model scores instead (fresher, unmeasured, one more fit).
On large data the models are fitted on a seeded sample of :data:`MAX_FIT_ROWS` customers per window
and measured on :data:`MAX_EVAL_ROWS` (the report's notes say so), and predictions are made in batches
of :data:`PREDICT_BATCH_ROWS` customers from one float matrix (:class:`ModelInputs`): the 1M-customer
demo is fitted and scored in about 7 s on one thread (``bench/bench_churn.py``, docs/models.md).

Models (scikit-learn, every step a ``Pipeline`` / ``ColumnTransformer``, ``random_state`` set):

* ``"gbm"``: ``HistGradientBoostingClassifier`` (native missing values and categories), its
  probabilities calibrated with ``CalibratedClassifierCV``: the boosted trees are fitted on 80% of the
  training customers and the calibration map on the other 20% (one stratified split, so the
  calibration data are never the fitting data). The map is sigmoid (Platt) by default: on the demo
  data it matched isotonic's Brier score and beat its PR-AUC, it is stable on a few hundred
  calibration customers, and it never says exactly 0 or 1.
* ``"logistic"``: ``arcsinh`` (money and counts are heavy-tailed; it keeps the sign of a net
  return), mean imputation with missing-value indicators, ``StandardScaler`` and
  ``LogisticRegression``; categories one-hot encoded.
* the baseline ``"bgnbd"``: ``1 - probability_alive`` from the BG/NBD purchase model
  (:func:`custlib.valuation.value_customers` as of ``T1``; Fader, Hardie & Lee 2005). It answers a
  different question (is the customer gone for good?) than "no purchase in N days", so its ranking
  (ROC-AUC, PR-AUC, lift) is comparable and its Brier score only loosely.

Metrics on the validation window (:func:`classification_metrics`): ROC-AUC, PR-AUC (average
precision), Brier score and top-decile lift (:func:`top_decile_lift`). With ``model="auto"`` the
candidate with the higher validation ROC-AUC scores; within :data:`AUTO_TIE_MARGIN` (0.005) the
logistic regression wins, being the simpler model.

Each scored customer also gets ``value_at_risk = churn_probability x clv`` (CLV from
:func:`custlib.valuation.value_customers` as of ``A``), up to three reasons in plain words
(:func:`churn_reasons`, rules :data:`REASON_RULES`) and an action (:func:`recommend_actions`, rule
table :data:`ACTION_RULES`).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from . import db, features as _features, segments, valuation
from .errors import CustlibError

__all__ = [
    "ChurnModel", "ChurnReport", "ChurnWindows", "score_churn", "score_customers", "churn_examples",
    "default_horizon_days", "horizon_from_gaps", "active_customers", "classification_metrics",
    "top_decile_lift", "churn_reasons", "recommend_actions", "make_pipeline", "ModelInputs", "predict_in_batches",
    "REASON_RULES", "ACTION_RULES", "ACTIONS", "SCORE_COLUMNS", "METRIC_COLUMNS",
]

# --- horizon ------------------------------------------------------------------------------------

#: The horizons the default rule can choose, in days.
HORIZON_STEPS_DAYS: tuple[int, ...] = (30, 45, 60, 90, 120, 150, 180, 270, 365)
#: Which percentile of the customers' typical gaps the default horizon must cover.
HORIZON_GAP_QUANTILE = 0.80
#: Fewer repeat customers than this and the gaps say too little: the fallback horizon is used.
MIN_GAP_CUSTOMERS = 30
FALLBACK_HORIZON_DAYS = 90


def horizon_from_gaps(typical_gap_days) -> int:
    """The default churn horizon, in days, from the customers' typical gaps between purchase days.

    The 80th percentile (linear interpolation, ``numpy.quantile``) of the positive, non-missing gaps,
    rounded up to the next of :data:`HORIZON_STEPS_DAYS`; at most 365. With fewer than
    :data:`MIN_GAP_CUSTOMERS` gaps, :data:`FALLBACK_HORIZON_DAYS`.
    """
    gaps = np.asarray(pd.to_numeric(pd.Series(typical_gap_days), errors="coerce"), dtype=float)
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    if gaps.size < MIN_GAP_CUSTOMERS:
        return FALLBACK_HORIZON_DAYS
    covered = float(np.quantile(gaps, HORIZON_GAP_QUANTILE))
    return next((step for step in HORIZON_STEPS_DAYS if step >= covered), HORIZON_STEPS_DAYS[-1])


def default_horizon_days(con, dataset_id: int, as_of) -> int:
    """The default horizon for a dataset as of a date (:func:`horizon_from_gaps` of its customers' gaps)."""
    feats = _features.customer_features(con, dataset_id, as_of)
    return horizon_from_gaps(feats["typical_gap_days"])


# --- data: who is active, who churned -----------------------------------------------------------

def _active_days(horizon_days: int, active_days: int | None) -> int:
    """Default activity window: a year, or two horizons when that is longer."""
    return int(active_days) if active_days is not None else max(365, 2 * int(horizon_days))


def active_customers(features: pd.DataFrame, active_days: int) -> pd.DataFrame:
    """The rows of a :func:`~custlib.features.customer_features` frame whose last purchase day lies in
    the ``active_days`` days ending on the feature date (``days_since_last_order < active_days``)."""
    return features.take(_active_rows(features, active_days)).reset_index(drop=True)


def _active_rows(features: pd.DataFrame, active_days: int) -> np.ndarray:
    """Positions of the active customers in a features frame."""
    since = pd.to_numeric(features["days_since_last_order"]).to_numpy(dtype=float, na_value=np.nan)
    return np.flatnonzero(since < active_days)      # NaN (refunds only, never a purchase) is never active


def churn_examples(con, dataset_id: int, feature_date, horizon_days: int,
                   active_days: int | None = None) -> pd.DataFrame:
    """Labelled customers: features as of ``feature_date`` and whether they churned in the next ``horizon_days``.

    One row per customer active on ``feature_date`` (see :func:`active_customers`), with the columns
    of :data:`custlib.features.FEATURE_COLUMNS` plus ``next_order_date`` (first purchase day in the
    window ``(feature_date, feature_date + horizon_days]``, NaT when none) and ``is_churned``
    (True when there is none). Reads nothing dated after ``feature_date + horizon_days``; the features
    read nothing dated after ``feature_date``.
    """
    feature_date = _features.as_date(feature_date)
    label_end = feature_date + timedelta(days=int(horizon_days))
    feats = active_customers(_features.customer_features(con, dataset_id, feature_date),
                             _active_days(horizon_days, active_days))
    labels = db.query(con, "mart_churn_labels", dataset_id=int(dataset_id), feature_date=feature_date,
                      label_end=label_end).set_index("customer_id")
    next_order = labels["next_order_date"].reindex(feats["customer_id"].to_numpy())
    feats["next_order_date"] = pd.to_datetime(next_order.to_numpy())
    feats["is_churned"] = next_order.isna().to_numpy()
    feats.attrs.update(as_of=feature_date, label_end=label_end, horizon_days=int(horizon_days))
    return feats


# --- model inputs and pipelines -----------------------------------------------------------------

#: Numeric inputs of both models: columns of :data:`custlib.features.FEATURE_COLUMNS` plus two ratios
#: made by :class:`ModelInputs`. Dates, ``recency``/``T`` (duplicates in other units) and
#: ``purchase_days`` (= frequency + 1) are left out.
NUMERIC_INPUTS: tuple[str, ...] = (
    "frequency", "orders_count", "recency_days", "T_days", "days_since_last_order",
    "net_spend_amount", "gross_sales_amount", "returns_amount", "returns_count", "avg_order_value",
    "monetary_value",
    "orders_last_90d", "orders_prev_90d", "orders_last_180d", "orders_prev_180d",
    "orders_last_365d", "orders_prev_365d",
    "spend_last_90d", "spend_prev_90d", "spend_last_180d", "spend_prev_180d",
    "spend_last_365d", "spend_prev_365d",
    "orders_trend_90d", "orders_trend_180d", "orders_trend_365d",
    "spend_trend_90d", "spend_trend_180d", "spend_trend_365d",
    "typical_gap_days", "promo_order_share", "tenure_days",
    "last_nps_score", "last_satisfaction", "complaints_last_90d", "complaints_count",
    "overdue_ratio", "return_share",
)
#: Categorical inputs. ``account_manager`` is left out: the model should not learn to blame a person.
CATEGORICAL_INPUTS: tuple[str, ...] = ("region", "industry", "company_size")
DERIVED_INPUTS = {
    "overdue_ratio": "days_since_last_order / typical_gap_days (NaN without a typical gap)",
    "return_share": "returns_amount / gross_sales_amount (NaN without sales)",
}
MODEL_KINDS = ("gbm", "logistic")
#: Default caps on the customers a model is fitted on and evaluated on (:class:`ChurnModel` ``max_fit_rows``,
#: ``max_eval_rows``): beyond a few hundred thousand, more rows barely change a ~40-feature model (on the
#: 1M-customer demo, ROC-AUC moved in the third decimal) or the metrics (the standard error of a ROC-AUC
#: on 300,000 customers is about 0.001), but they cost seconds.
MAX_FIT_ROWS = 200_000
MAX_EVAL_ROWS = 300_000


#: A missing category is a category of its own: a dataset without a customers table has only that one
#: (and scikit-learn's estimators cannot bin a column that is entirely missing).
UNKNOWN_CATEGORY = "(unknown)"
#: Codes per category column for gradient boosting (its histograms hold at most 255 categories): with more
#: categories, the rarest share one code (:class:`ModelInputs` ``max_categories``).
MAX_TREE_CATEGORIES = 64


def _require_inputs(features: pd.DataFrame) -> None:
    missing = [c for c in NUMERIC_INPUTS + CATEGORICAL_INPUTS
               if c not in features.columns and c not in DERIVED_INPUTS]
    if missing:
        raise ValueError(f"missing columns {missing}: pass the frame from custlib.features.customer_features")


def _category_text(values) -> pd.Series:
    """A category column as text, missing values as :data:`UNKNOWN_CATEGORY`."""
    return pd.Series(values).astype("str").fillna(UNKNOWN_CATEGORY)


class ModelInputs(TransformerMixin, BaseEstimator):
    """The first step of every pipeline: a features frame in, one float matrix out.

    Columns, in order (``get_feature_names_out``): the codes of :data:`CATEGORICAL_INPUTS`, then
    :data:`NUMERIC_INPUTS` as float (missing = NaN), the two ratios of :data:`DERIVED_INPUTS` included.
    A category's code is its place in the sorted categories seen at fit time (a missing value is the
    category :data:`UNKNOWN_CATEGORY`); a category never seen at fit time is NaN, which the trees send
    down their missing-value branch and the one-hot encoder treats as unknown. With more than
    ``max_categories`` categories (None: no cap), the ``max_categories - 1`` most frequent keep a code of
    their own and the others share the last one, as scikit-learn's ``OrdinalEncoder(max_categories=...)``
    does. The same codes as ``OrdinalEncoder`` on the text, but matched once per column through a hash
    lookup, so the estimators downstream never see a string and predicting does no per-row text work.

    Learned: ``category_codes_``, per category column a Series category -> code.
    """

    def __init__(self, max_categories: int | None = None):
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y=None) -> ModelInputs:
        _require_inputs(X)
        cap = self.max_categories
        if cap is not None and int(cap) < 2:
            raise ValueError(f"max_categories must be at least 2 or None; got {cap}")
        codes = {}
        for column in CATEGORICAL_INPUTS:
            counts = _category_text(X[column]).value_counts(sort=False)
            names = sorted(counts.index, key=str)
            if cap is None or len(names) <= int(cap):
                frequent, rare = names, []
            else:   # the most frequent first, ties by name; the rest share the last code
                ranked = sorted(names, key=lambda name: (-counts[name], str(name)))
                frequent = sorted(ranked[:int(cap) - 1], key=str)
                rare = sorted(ranked[int(cap) - 1:], key=str)
            codes[column] = pd.Series(np.r_[np.arange(len(frequent)), np.full(len(rare), len(frequent))],
                                      index=pd.Index(frequent + rare, dtype=object), dtype=float)
        self.category_codes_ = codes
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "category_codes_")
        _require_inputs(X)
        n_categories = len(CATEGORICAL_INPUTS)
        matrix = np.empty((len(X), n_categories + len(NUMERIC_INPUTS)))
        for j, column in enumerate(CATEGORICAL_INPUTS):
            codes = self.category_codes_[column]
            at = codes.index.get_indexer(_category_text(X[column]))
            matrix[:, j] = np.where(at >= 0, codes.to_numpy()[at], np.nan)
        position = {column: n_categories + j for j, column in enumerate(NUMERIC_INPUTS)}
        for column, j in position.items():
            if column not in DERIVED_INPUTS:
                matrix[:, j] = _floats(X[column])
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = matrix[:, position["typical_gap_days"]]
            matrix[:, position["overdue_ratio"]] = np.where(
                gap > 0, matrix[:, position["days_since_last_order"]] / gap, np.nan)
            sales = matrix[:, position["gross_sales_amount"]]
            matrix[:, position["return_share"]] = np.where(
                sales > 0, matrix[:, position["returns_amount"]] / sales, np.nan)
        return matrix

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(CATEGORICAL_INPUTS + NUMERIC_INPUTS, dtype=object)


def _floats(values) -> np.ndarray:
    """A numeric column (int, float or nullable Int) as float64, missing as NaN."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values, dtype=float)


class FillEmptyColumns(TransformerMixin, BaseEstimator):
    """Set columns that were entirely missing at fit time to 0, keeping every other NaN as it is.

    Gradient boosting handles missing values natively but cannot bin a column with no value at all
    (a dataset without surveys has no NPS): such a column carries no information, so a constant
    stands in for it, at fit and at predict time alike. Reads and returns a float matrix.
    """

    def fit(self, X, y=None):
        self.empty_columns_ = np.flatnonzero(np.isnan(np.asarray(X, dtype=float)).all(axis=0))
        return self

    def transform(self, X):
        check_is_fitted(self, "empty_columns_")
        X = np.asarray(X, dtype=float)
        if self.empty_columns_.size == 0:
            return X
        X = X.copy()
        X[:, self.empty_columns_] = 0.0
        return X


def make_pipeline(kind: str, random_state: int = 0, calibration: str = "sigmoid"):
    """An unfitted scikit-learn estimator of one kind ("gbm" or "logistic") that reads a features frame.

    Both start with :class:`ModelInputs` (category codes and numbers in one float matrix), so the
    estimators never see text.
    ``"gbm"``: [ModelInputs (at most :data:`MAX_TREE_CATEGORIES` codes per column) -> FillEmptyColumns ->
    ``CalibratedClassifierCV`` over a HistGradientBoostingClassifier with the codes as categorical
    features], calibrated (``calibration``, "sigmoid" or "isotonic") on a stratified 20% of the training
    rows the trees do not see.
    ``"logistic"``: [ModelInputs -> ColumnTransformer(numbers: arcsinh, mean imputation with missing
    indicators, StandardScaler; category codes: one-hot) -> LogisticRegression (Newton-Cholesky:
    few columns, many rows)].
    """
    categorical = list(range(len(CATEGORICAL_INPUTS)))
    numeric = list(range(len(CATEGORICAL_INPUTS), len(CATEGORICAL_INPUTS) + len(NUMERIC_INPUTS)))
    if kind == "gbm":
        trees = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.15, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0,
            categorical_features=categorical, early_stopping=True, validation_fraction=0.1,
            n_iter_no_change=10, random_state=random_state)
        calibrated = CalibratedClassifierCV(
            trees, method=calibration,
            cv=StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=random_state))
        return Pipeline([("inputs", ModelInputs(max_categories=MAX_TREE_CATEGORIES)),
                         ("empty", FillEmptyColumns()), ("calibrated", calibrated)])
    if kind == "logistic":
        columns = ColumnTransformer([
            ("numbers", Pipeline([("compress", FunctionTransformer(np.arcsinh)),
                                  ("fill", SimpleImputer(strategy="mean", add_indicator=True,
                                                         keep_empty_features=True)),
                                  ("scale", StandardScaler())]), numeric),
            # the "(unknown)" category has a column of its own; a category unseen at fit time (NaN) is unknown
            ("categories", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20,
                                         max_categories=30, sparse_output=False), categorical),
        ])
        return Pipeline([("inputs", ModelInputs()), ("columns", columns),
                         ("logistic", LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100,
                                                         random_state=random_state))])
    raise ValueError(f"unknown model kind {kind!r}: choose one of {', '.join(MODEL_KINDS)}")


#: Customers per prediction batch. Boosted trees read their whole input once per tree; a batch this size
#: (about 8 MB of model inputs) stays in the processor's cache from one tree to the next. Scoring the
#: 700,000 active customers of the 1M-customer demo in one go took twice the CPU time of batches.
PREDICT_BATCH_ROWS = 25_000


def predict_in_batches(estimator, features: pd.DataFrame, batch_rows: int = PREDICT_BATCH_ROWS) -> np.ndarray:
    """``estimator.predict_proba(features)``, computed ``batch_rows`` rows at a time (the same numbers)."""
    if len(features) <= batch_rows:
        return estimator.predict_proba(features)
    return np.concatenate([estimator.predict_proba(features.iloc[start:start + batch_rows])
                           for start in range(0, len(features), batch_rows)])


# --- metrics ------------------------------------------------------------------------------------

METRIC_COLUMNS: tuple[str, ...] = ("roc_auc", "pr_auc", "brier", "top_decile_lift", "n_train", "n_valid",
                                   "positive_rate")
MODEL_LABELS = {"gbm": "gradient boosting", "logistic": "logistic regression",
                "bgnbd": "BG/NBD 1 - P(alive)"}
#: With ``model="auto"``, the logistic regression is kept unless boosting beats its ROC-AUC by more.
AUTO_TIE_MARGIN = 0.005


def top_decile_lift(y_true, score, share: float = 0.10) -> float:
    """Churn rate among the ``share`` of customers scored highest, divided by the overall churn rate.

    The top group holds ``k = ceil(share * n)`` customers. Customers tied with the k-th score enter
    the group in proportion (their mean churn rate fills the remaining places), so the value does not
    depend on how ties happen to be ordered. NaN when nobody churned.
    """
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(score, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("y_true and score must be one-dimensional and of the same length")
    n = y.size
    if n == 0 or y.sum() == 0:
        return float("nan")
    k = math.ceil(share * n - 1e-9)
    cutoff = np.sort(s)[::-1][k - 1]
    above = s > cutoff
    tied = s == cutoff
    churners_in_top = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return float((churners_in_top / k) / y.mean())


def classification_metrics(y_true, probability) -> dict:
    """ROC-AUC, PR-AUC (average precision), Brier score and top-decile lift of churn probabilities.

    ``y_true`` is 1 (or True) for a churner. ROC-AUC and PR-AUC are NaN when only one class is present.
    Returns a dict with those four plus ``n_valid`` and ``positive_rate`` (share of churners).
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(probability, dtype=float)
    both = 0 < y.sum() < y.size
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)) if y.size else float("nan"),
        "top_decile_lift": top_decile_lift(y, p),
        "n_valid": int(y.size),
        "positive_rate": float(y.mean()) if y.size else float("nan"),
    }


# --- the model ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChurnWindows:
    """The dates of the time split (see the module docstring): features as of each ``*_date``."""
    train_feature_date: date      # T0 = as_of - 2N
    valid_feature_date: date      # T1 = as_of - N; training labels end here
    as_of: date                   # A: validation labels end here; scores are as of this date
    horizon_days: int

    @classmethod
    def ending(cls, as_of, horizon_days: int) -> "ChurnWindows":
        end = _features.as_date(as_of)
        n = timedelta(days=int(horizon_days))
        return cls(train_feature_date=end - 2 * n, valid_feature_date=end - n, as_of=end,
                   horizon_days=int(horizon_days))

    def describe(self) -> str:
        return (f"trained on customers active on {self.train_feature_date} (did they buy by "
                f"{self.valid_feature_date}?), validated on those active on {self.valid_feature_date} (did they "
                f"buy by {self.as_of}?), scoring as of {self.as_of}")


@dataclass
class ChurnReport:
    """How the churn model was made and how well it did on a window it had not seen.

    ``metrics``: one row per model ("gbm", "logistic", "bgnbd"), columns :data:`METRIC_COLUMNS`
    (``n_train`` counts the customers a model was fitted on; NA for BG/NBD, which learns from no churn
    labels; ``n_valid`` and ``positive_rate`` are the validation customers evaluated and their churn
    rate). ``verdict``: which wins, in words. ``n_refit``: customers the scoring model was refitted on
    (0 without ``refit``: the chosen candidate, the model the metrics describe, gives the scores).
    ``notes`` say when a window was sampled, and how many customers were kept.
    """
    metrics: pd.DataFrame
    chosen_model: str
    horizon_days: int
    horizon_rule: str
    windows: ChurnWindows
    verdict: str
    n_refit: int
    notes: list[str] = field(default_factory=list)

    @property
    def chosen_label(self) -> str:
        return MODEL_LABELS[self.chosen_model]


class ChurnModel(BaseEstimator):
    """Probability that an active customer makes no purchase in the next ``horizon_days``.

    Settings (stored as given, scikit-learn style):

    horizon_days: int or None. None: :func:`horizon_from_gaps` of the typical gaps as of ``as_of``.
    model: "auto" (higher validation ROC-AUC, see :data:`AUTO_TIE_MARGIN`), "gbm" or "logistic".
    random_state: int, for the calibration split, early stopping and the solvers.
    active_days: int or None. Who counts as active; None: max(365, 2 x horizon).
    calibration: "sigmoid" or "isotonic", for the gradient-boosting model.
    max_fit_rows, max_eval_rows: int or None. A window with more active customers is fitted on (evaluated
        on) a seeded random sample of this many; None uses all. The report's notes say when it happened.
    refit: bool. False: the chosen candidate scores, the very model whose validation metrics the report
        shows. True: the chosen kind is fitted once more, on the validation window (features as of ``T1``,
        labels up to ``as_of``), and that model scores: it has seen the latest horizon, but its own
        quality is not measured, and it costs one more fit (see docs/models.md for a backtest).
    value_settings: :class:`custlib.valuation.ValueSettings` of the BG/NBD baseline (None: defaults).
    n_threads: int or None. OpenMP/BLAS threads while fitting and predicting; None: the libraries'
        default, all cores. Default 1: the boosted trees synchronise their threads hundreds of times
        per tree, so when other work holds a core each wait can last a scheduler time slice. On the
        project's 2-core machine, with a test run on the other core, fitting and scoring the 1M-customer
        demo took 7.6 s on one thread and 24 s on two; on a quieter machine two threads saved 1 to 1.5 s.

    ``fit(con, dataset_id, as_of)`` reads the data up to ``as_of`` and sets ``horizon_days_``,
    ``active_days_``, ``windows_`` (:class:`ChurnWindows`), ``candidates_`` (the models fitted on the
    training window, by kind), ``chosen_model_``, ``estimator_`` (the model that scores: the chosen
    candidate, or with ``refit`` the chosen kind refitted on the validation window), ``report_``
    (:class:`ChurnReport`) and ``timings_`` (seconds per step).
    """

    def __init__(self, horizon_days: int | None = None, model: str = "auto", random_state: int = 0,
                 active_days: int | None = None, calibration: str = "sigmoid",
                 max_fit_rows: int | None = MAX_FIT_ROWS, max_eval_rows: int | None = MAX_EVAL_ROWS,
                 refit: bool = False, value_settings: valuation.ValueSettings | None = None,
                 n_threads: int | None = 1):
        self.horizon_days = horizon_days
        self.model = model
        self.random_state = random_state
        self.active_days = active_days
        self.calibration = calibration
        self.max_fit_rows = max_fit_rows
        self.max_eval_rows = max_eval_rows
        self.refit = refit
        self.value_settings = value_settings
        self.n_threads = n_threads

    def _check_settings(self) -> None:
        if self.model not in ("auto",) + MODEL_KINDS:
            raise ValueError(f"model must be 'auto', 'gbm' or 'logistic'; got {self.model!r}")
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(f"calibration must be 'isotonic' or 'sigmoid'; got {self.calibration!r}")
        if self.horizon_days is not None and not 1 <= int(self.horizon_days) <= 3650:
            raise ValueError(f"horizon_days must be between 1 and 3650; got {self.horizon_days}")
        for name in ("max_fit_rows", "max_eval_rows"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1000:
                raise ValueError(f"{name} must be at least 1000 or None; got {getattr(self, name)}")
        if self.n_threads is not None and int(self.n_threads) < 1:
            raise ValueError(f"n_threads must be at least 1 or None; got {self.n_threads}")
        if self.active_days is not None and int(self.active_days) < 1:
            raise ValueError(f"active_days must be at least 1; got {self.active_days}")

    def fit(self, con, dataset_id: int, as_of, current_features: pd.DataFrame | None = None) -> "ChurnModel":
        """Train on ``T0``, validate on ``T1``, choose (with ``refit``, refit on ``T1``; see the module
        docstring). Returns self.

        ``current_features``: the :func:`~custlib.features.customer_features` frame as of ``as_of`` if the
        caller has it already (it is read only for the default horizon). Raises CustlibError, in words,
        when a window has too few customers or churners to learn from.
        """
        self._check_settings()
        with threadpool_limits(limits=self.n_threads):
            return self._fit(con, dataset_id, as_of, current_features)

    def _fit(self, con, dataset_id: int, as_of, current_features: pd.DataFrame | None) -> "ChurnModel":
        as_of = _features.as_date(as_of)
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        if self.horizon_days is None:
            if current_features is None:
                current_features = _features.customer_features(con, dataset_id, as_of)
            elif current_features.attrs.get("as_of", as_of) != as_of:
                raise ValueError(f"current_features are as of {current_features.attrs['as_of']}, not {as_of}")
            horizon = horizon_from_gaps(current_features["typical_gap_days"])
            rule = (f"{horizon} days: the first of {', '.join(map(str, HORIZON_STEPS_DAYS))} days covering the "
                    f"{HORIZON_GAP_QUANTILE * 100:.0f}th percentile of customers' typical gaps between purchases "
                    f"as of {as_of}")
        else:
            horizon = int(self.horizon_days)
            rule = f"{horizon} days, as set"
        windows = ChurnWindows.ending(as_of, horizon)
        active = _active_days(horizon, self.active_days)
        train = churn_examples(con, dataset_id, windows.train_feature_date, horizon, active)
        valid = churn_examples(con, dataset_id, windows.valid_feature_date, horizon, active)
        timings["examples"] = time.perf_counter() - clock
        _check_examples(train, "training", windows.train_feature_date, horizon)
        _check_examples(valid, "validation", windows.valid_feature_date, horizon)
        notes = _label_notes(valid, windows)
        fit_rows, evaluated = self._sample(train, self.max_fit_rows), self._sample(valid, self.max_eval_rows)
        if len(fit_rows) < len(train):
            notes.append(f"Models were fitted on a random {len(fit_rows):,} of the {len(train):,} customers active on "
                         f"{windows.train_feature_date} (seed {self.random_state}).")
        if len(evaluated) < len(valid):
            notes.append(f"Metrics are measured on a random {len(evaluated):,} of the {len(valid):,} customers "
                         f"active on {windows.valid_feature_date} (seed {self.random_state}).")

        clock = time.perf_counter()
        candidates = {kind: make_pipeline(kind, self.random_state, self.calibration).fit(
            fit_rows, fit_rows["is_churned"].to_numpy()) for kind in MODEL_KINDS}
        timings["fit_candidates"] = time.perf_counter() - clock

        clock = time.perf_counter()
        y_valid = evaluated["is_churned"].to_numpy()
        rows = {}
        for kind, estimator in candidates.items():
            probability = predict_in_batches(estimator, evaluated)[:, 1]
            rows[kind] = classification_metrics(y_valid, probability) | {"n_train": len(fit_rows)}
        timings["evaluate"] = time.perf_counter() - clock
        clock = time.perf_counter()
        rows["bgnbd"], baseline_note = _bgnbd_baseline(con, dataset_id, evaluated, windows, self.value_settings)
        notes += [baseline_note] if baseline_note else []
        timings["baseline"] = time.perf_counter() - clock
        metrics = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(METRIC_COLUMNS))
        metrics["n_train"] = metrics["n_train"].astype("Int64")
        metrics.index.name = "model"

        chosen = self.model if self.model != "auto" else _auto_choice(metrics)
        clock = time.perf_counter()
        estimator, n_refit = candidates[chosen], 0
        if self.refit:
            refit_rows = self._sample(valid, self.max_fit_rows)
            estimator = make_pipeline(chosen, self.random_state, self.calibration).fit(
                refit_rows, refit_rows["is_churned"].to_numpy())
            n_refit = len(refit_rows)
            if n_refit < len(valid):
                notes.append(f"The scoring model was refitted on a random {n_refit:,} of the {len(valid):,} "
                             f"customers active on {windows.valid_feature_date} (seed {self.random_state}).")
        timings["refit"] = time.perf_counter() - clock

        self.horizon_days_ = horizon
        self.active_days_ = active
        self.windows_ = windows
        self.candidates_ = candidates
        self.chosen_model_ = chosen
        self.estimator_ = estimator
        self.report_ = ChurnReport(metrics=metrics, chosen_model=chosen, horizon_days=horizon, horizon_rule=rule,
                                   windows=windows, verdict=_verdict(metrics, chosen, self.model, horizon),
                                   n_refit=n_refit, notes=notes)
        self.timings_ = timings
        return self

    def _sample(self, examples: pd.DataFrame, cap: int | None) -> pd.DataFrame:
        """At most ``cap`` rows of a window, drawn without replacement (seeded), in their order."""
        if cap is None or len(examples) <= int(cap):
            return examples
        rng = np.random.default_rng(self.random_state)
        keep = np.sort(rng.choice(len(examples), size=int(cap), replace=False))
        return examples.iloc[keep]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Columns [P(buys again within the horizon), P(churns)] for each row of a features frame."""
        check_is_fitted(self, "estimator_")
        with threadpool_limits(limits=self.n_threads):
            return predict_in_batches(self.estimator_, features)

    def predict_churn(self, features: pd.DataFrame) -> pd.Series:
        """Churn probability (0..1) for each row of a features frame, indexed by customer_id."""
        return pd.Series(self._churn_probability(features),
                         index=pd.Index(features["customer_id"].array, name="customer_id"), name="churn_probability")

    def _churn_probability(self, features: pd.DataFrame) -> np.ndarray:
        return np.clip(self.predict_proba(features)[:, 1], 0.0, 1.0)


def _check_examples(examples: pd.DataFrame, role: str, feature_date: date, horizon: int) -> None:
    n = len(examples)
    churned = int(examples["is_churned"].sum()) if n else 0
    stayed = n - churned
    if n < 50 or min(churned, stayed) < 10:
        raise CustlibError(
            f"Too little history for a {horizon}-day churn model: its {role} window starts on {feature_date}, "
            f"when {n} customers were active ({churned} then stopped buying, {stayed} bought again); at least "
            f"50 customers with 10 of each are needed. Choose a shorter horizon or a later date, or import more "
            f"history.")


def _label_notes(valid: pd.DataFrame, windows: ChurnWindows) -> list[str]:
    last = valid["next_order_date"].max()
    if pd.isna(last) or last.date() < windows.as_of - timedelta(days=max(7, windows.horizon_days // 10)):
        seen = "no purchase at all" if pd.isna(last) else f"the last purchase on {last.date()}"
        return [f"The validation window ends on {windows.as_of} but it has {seen}: if the data stop before the "
                f"as-of date, everyone looks churned. Choose an as-of date within the data."]
    return []


def _bgnbd_baseline(con, dataset_id, valid, windows, settings) -> tuple[dict, str | None]:
    try:
        snapshot = valuation.value_customers(con, dataset_id, windows.valid_feature_date, settings)
    except CustlibError as exc:
        empty = dict.fromkeys(("roc_auc", "pr_auc", "brier", "top_decile_lift"), float("nan"))
        return empty | {"n_valid": 0, "positive_rate": float("nan")}, f"No BG/NBD baseline: {exc}"
    p_alive = snapshot.customers["probability_alive"].reindex(valid["customer_id"].to_numpy()).to_numpy(float)
    known = np.isfinite(p_alive)
    row = classification_metrics(valid["is_churned"].to_numpy()[known], 1.0 - p_alive[known])
    return row | {"n_train": pd.NA}, None


def _auto_choice(metrics: pd.DataFrame) -> str:
    gbm, logistic = metrics.loc["gbm", "roc_auc"], metrics.loc["logistic", "roc_auc"]
    return "gbm" if gbm > logistic + AUTO_TIE_MARGIN else "logistic"


def _verdict(metrics: pd.DataFrame, chosen: str, setting: str, horizon: int) -> str:
    """Which model wins on this data, in plain words (ranked by validation ROC-AUC)."""
    auc = metrics["roc_auc"].dropna()
    ranked = auc.sort_values(ascending=False)
    best = ranked.index[0]
    row = metrics.loc[chosen]
    others = ", ".join(f"{auc[k]:.2f} for {MODEL_LABELS[k]}" for k in ranked.index if k != best)
    text = (f"On this data {MODEL_LABELS[best]} tells churners from buyers best "
            f"(ROC-AUC {auc[best]:.2f}{'; ' + others if others else ''}). ")
    if best == "bgnbd":
        text += (f"The BG/NBD purchase model already ranks customers as well as the machine-learning models; "
                 f"{MODEL_LABELS[chosen]} still gives the scores, because its probabilities answer the question "
                 f"asked (no purchase in {horizon} days) and are calibrated. ")
    elif best != chosen:
        why = "as set" if setting != "auto" else "as good within a hair and simpler"
        text += f"The scores come from {MODEL_LABELS[chosen]} ({why}). "
    text += (f"Of the 10% of customers it rated most at risk, {row['positive_rate'] * row['top_decile_lift']:.0%} "
             f"stopped buying, {row['top_decile_lift']:.1f} times the average of {row['positive_rate']:.0%}; "
             f"Brier score {row['brier']:.3f} (0 is perfect, {row['positive_rate'] * (1 - row['positive_rate']):.3f} "
             f"for guessing the average rate).")
    return text


# --- reasons ------------------------------------------------------------------------------------

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


# --- actions ------------------------------------------------------------------------------------

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


# --- scoring ------------------------------------------------------------------------------------

#: Columns of :func:`score_churn`, in order: name -> meaning.
SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "customer active on the as-of date (one row each)",
    "churn_probability": "probability of no purchase in the next horizon_days (0..1)",
    "clv": "predicted customer lifetime value (custlib.valuation, currency)",
    "value_at_risk": "churn_probability x clv (currency)",
    "tier": "value tier from CLV among the scored customers: core, potential, low-value",
    "stage": "lifecycle stage (custlib.segments.lifecycle_stages with BG/NBD probability alive)",
    "action": "win back, nurture, keep warm or let go (ACTION_RULES)",
    "reason_1": "the most unusual reason in plain words; missing when no rule fires",
    "reason_2": "the second reason, or missing",
    "reason_3": "the third reason, or missing",
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
    for k in range(1, N_REASONS + 1):
        frame[f"reason_{k}"] = reasons[f"reason_{k}"]
    # stable sort on the customer_id order of the features frame: ties stay in customer_id order
    order = np.argsort(-frame["value_at_risk"].to_numpy(), kind="stable")
    frame = frame.take(order).reset_index(drop=True)
    frame.attrs.update(as_of=features.attrs.get("as_of"), horizon_days=model.horizon_days_,
                       chosen_model=model.chosen_model_)
    return frame


def score_churn(con, dataset_id: int, as_of, model: ChurnModel | None = None, *,
                value: valuation.ValueSnapshot | None = None, high_risk: float = HIGH_RISK,
                **model_settings) -> pd.DataFrame:
    """Churn probability, value at risk, reasons and action for every customer active on ``as_of``.

    ``model``: a fitted :class:`ChurnModel` whose data end on or before ``as_of`` (fit it first to
    keep its ``report_``); None fits ``ChurnModel(**model_settings)`` as of ``as_of``. ``value``: the
    :class:`~custlib.valuation.ValueSnapshot` as of ``as_of`` if already computed. Columns
    :data:`SCORE_COLUMNS`, sorted by value at risk (largest first); ``attrs`` holds as_of,
    horizon_days and chosen_model.
    """
    as_of = _features.as_date(as_of)
    feats = _features.customer_features(con, dataset_id, as_of)
    if model is None:
        model = ChurnModel(**model_settings).fit(con, dataset_id, as_of, current_features=feats)
    else:
        check_is_fitted(model, "estimator_")
        if model.windows_.as_of > as_of:
            raise CustlibError(f"This churn model learned from data up to {model.windows_.as_of}, after the "
                               f"scoring date {as_of}: scores would use the future. Fit it as of {as_of}.")
    if value is None:
        settings = model.value_settings or valuation.ValueSettings()
        value = valuation.value_customers(con, dataset_id, as_of, settings)
    return score_customers(model, feats, value, high_risk)
