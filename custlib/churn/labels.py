"""Who is active on a date, and which of them churned over the next N days: the labelled windows a churn
model learns from, read from the marts.

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

Time split (no leakage, :class:`ChurnWindows`). With scoring date ``A`` and horizon ``N``:

====================  =======================  ===========================  =======================
step                  features as of           labels from                  used for
====================  =======================  ===========================  =======================
train                 ``T0 = A - 2N``          ``(T0, T1]``                 fitting the candidates
validate              ``T1 = A - N``           ``(T1, A]``                  metrics, model choice
score                 ``A``                    (the future)                 churn_probability
====================  =======================  ===========================  =======================

Every feature is computed by :func:`custlib.features.customer_features` as of its own date, which
reads nothing dated later, and the labels come from the named query ``mart_churn_labels``. Nothing
dated after ``A`` is read at all (``tests/test_churn.py`` adds later rows and checks that features,
training sets, metrics and scores do not move). The customers table is an undated snapshot (region,
industry, company size are taken as stored), as documented in :mod:`custlib.features`.

A model is fitted on frames, never on a connection: :func:`training_frames` reads both windows and the
BG/NBD baseline's input, and :meth:`ChurnModel.fit <custlib.churn.model.ChurnModel.fit>` takes them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .. import db, features as _features, valuation
from ..errors import CustlibError

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


# --- the time split -----------------------------------------------------------------------------

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


# --- what a churn model learns from -------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class TrainingFrames:
    """Everything :meth:`ChurnModel.fit <custlib.churn.model.ChurnModel.fit>` learns from, as read by
    :func:`training_frames` for one scoring date.

    ``train``, ``valid``: :func:`churn_examples` as of ``windows.train_feature_date`` and
    ``windows.valid_feature_date`` (the label is ``is_churned``), of the customers active per
    ``active_days``. ``horizon_rule``: how the horizon was chosen, in words. ``baseline_alive``: the
    purchase model's probability alive as of ``windows.valid_feature_date`` by customer_id, the input of
    the BG/NBD baseline; None when that model could not be fitted, and ``baseline_error`` says why.
    ``timings``: seconds spent reading, "examples" and "baseline".
    """
    train: pd.DataFrame
    valid: pd.DataFrame
    windows: ChurnWindows
    active_days: int
    horizon_rule: str
    baseline_alive: pd.Series | None
    baseline_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def training_frames(con, dataset_id: int, as_of, horizon_days: int | None = None, active_days: int | None = None,
                    value_settings: valuation.ValueSettings | None = None,
                    current_features: pd.DataFrame | None = None) -> TrainingFrames:
    """The labelled training and validation windows ending on ``as_of`` and the baseline's probability
    alive: what a churn model is fitted on, read from the marts. Nothing dated after ``as_of`` is read.

    ``horizon_days``: int (1 to 3650) or None for :func:`horizon_from_gaps` of the typical gaps as of
    ``as_of``; ``current_features``, the :func:`~custlib.features.customer_features` frame as of
    ``as_of`` if the caller has it already, is read only for that. ``active_days``: who counts as
    active; None: max(365, 2 x horizon). ``value_settings``: the
    :class:`~custlib.valuation.ValueSettings` of the baseline's :func:`~custlib.valuation.value_customers`
    (None: defaults). The baseline's purchase model is fitted here, not in ``ChurnModel.fit``: choosing
    and fitting it read the database, and a fit takes none.
    """
    if horizon_days is not None and not 1 <= int(horizon_days) <= 3650:
        raise ValueError(f"horizon_days must be between 1 and 3650; got {horizon_days}")
    if active_days is not None and int(active_days) < 1:
        raise ValueError(f"active_days must be at least 1; got {active_days}")
    as_of = _features.as_date(as_of)
    clock = time.perf_counter()
    if horizon_days is None:
        if current_features is None:
            current_features = _features.customer_features(con, dataset_id, as_of)
        elif current_features.attrs.get("as_of", as_of) != as_of:
            raise ValueError(f"current_features are as of {current_features.attrs['as_of']}, not {as_of}")
        horizon = horizon_from_gaps(current_features["typical_gap_days"])
        rule = (f"{horizon} days: the first of {', '.join(map(str, HORIZON_STEPS_DAYS))} days covering the "
                f"{HORIZON_GAP_QUANTILE * 100:.0f}th percentile of customers' typical gaps between purchases "
                f"as of {as_of}")
    else:
        horizon = int(horizon_days)
        rule = f"{horizon} days, as set"
    windows = ChurnWindows.ending(as_of, horizon)
    active = _active_days(horizon, active_days)
    train = churn_examples(con, dataset_id, windows.train_feature_date, horizon, active)
    valid = churn_examples(con, dataset_id, windows.valid_feature_date, horizon, active)
    timings = {"examples": time.perf_counter() - clock}
    clock = time.perf_counter()
    try:
        snapshot = valuation.value_customers(con, dataset_id, windows.valid_feature_date, value_settings)
        alive, error = snapshot.customers["probability_alive"], None
    except CustlibError as exc:
        alive, error = None, str(exc)
    timings["baseline"] = time.perf_counter() - clock
    return TrainingFrames(train=train, valid=valid, windows=windows, active_days=active, horizon_rule=rule,
                          baseline_alive=alive, baseline_error=error, timings=timings)
