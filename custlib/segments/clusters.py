"""Groups the data find for itself: k-means on log R, F and M, k chosen by silhouette, described in words.

An optional alternative to the named segments of :mod:`custlib.segments.rfm`: :class:`RFMClusterer`
follows the scikit-learn estimator contract (settings in ``__init__``, data in ``fit``, learned
attributes end in ``_``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .inputs import require_columns
from .rfm import RFM_COLUMNS


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
    as "recent, frequent, high spend"), ``medians_``, ``relabel_`` (array: k-means
    label -> cluster number). Cluster 0 has the highest centroid monetary value,
    then 1, and so on.
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
        self.relabel_ = np.empty(self.n_clusters_, dtype=np.int64)
        self.relabel_[order] = np.arange(self.n_clusters_)
        scaled_centres = scaled_centres[order]
        original = np.expm1(self.pipeline_["scale"].inverse_transform(scaled_centres))
        self.cluster_centers_ = pd.DataFrame(original, columns=list(RFM_COLUMNS)).rename_axis("cluster")
        self.labels_ = self.relabel_[self.pipeline_[-1].labels_]
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
        return self.relabel_[self.pipeline_.predict(_rfm_matrix(X))]

    def describe(self, X) -> pd.Series:
        """The words of each customer's cluster."""
        return pd.Series(self.descriptions_.to_numpy()[self.predict(X)], name="description")


def _rfm_matrix(X) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        require_columns(X, RFM_COLUMNS)
        X = X[list(RFM_COLUMNS)]
    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(RFM_COLUMNS):
        raise ValueError(f"RFMClusterer needs the columns {', '.join(RFM_COLUMNS)}")
    if np.isnan(values).any():
        raise ValueError("RFMClusterer: missing values; use rfm_table() to fill them")
    return values
