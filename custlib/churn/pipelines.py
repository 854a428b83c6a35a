"""What the churn models read and how they are built: the input columns, one float matrix, two pipelines.

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

Both read one float matrix made by :class:`ModelInputs`, and predictions are made in batches of
:data:`PREDICT_BATCH_ROWS` customers (:func:`predict_in_batches`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

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
