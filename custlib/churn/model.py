"""How likely is an active customer to stop buying, and how well does the model tell? The churn
estimator, its metrics on a window it never saw, and the choice between the candidates.

The candidates (:mod:`custlib.churn.pipelines`) are fitted on the training window and evaluated on the
validation window, both read by :func:`custlib.churn.labels.training_frames`: :meth:`ChurnModel.fit`
takes those frames and reads no database. The chosen candidate gives the scores, so the metrics
in the report are those of the model that scores; with ``refit=True`` the chosen kind is fitted again
on the validation window (features as of ``T1``, labels ``(T1, A]``) and that model scores instead
(fresher, unmeasured, one more fit). On large data the models are fitted on a seeded sample of
:data:`MAX_FIT_ROWS` customers per window and measured on :data:`MAX_EVAL_ROWS` (the report's notes say
so): the 1M-customer demo is fitted and scored in about 7 s on one thread (``bench/bench_churn.py``,
docs/models.md).

The baseline ``"bgnbd"`` is ``1 - probability_alive`` from the BG/NBD purchase model
(:func:`custlib.valuation.value_customers` as of ``T1``, fitted when the frames are read; Fader, Hardie &
Lee 2005). It answers a
different question (is the customer gone for good?) than "no purchase in N days", so its ranking
(ROC-AUC, PR-AUC, lift) is comparable and its Brier score only loosely.

Metrics on the validation window (:func:`classification_metrics`): ROC-AUC, PR-AUC (average
precision), Brier score and top-decile lift (:func:`top_decile_lift`). With ``model="auto"`` the
candidate with the higher validation ROC-AUC scores; within :data:`AUTO_TIE_MARGIN` (0.005) the
logistic regression wins, being the simpler model.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..errors import CustlibError
from .labels import ChurnWindows, TrainingFrames
from .pipelines import MODEL_KINDS, make_pipeline, predict_in_batches

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


#: Default caps on the customers a model is fitted on and evaluated on (:class:`ChurnModel` ``max_fit_rows``,
#: ``max_eval_rows``): beyond a few hundred thousand, more rows barely change a ~40-feature model (on the
#: 1M-customer demo, ROC-AUC moved in the third decimal) or the metrics (the standard error of a ROC-AUC
#: on 300,000 customers is about 0.001), but they cost seconds.
MAX_FIT_ROWS = 200_000
MAX_EVAL_ROWS = 300_000


# --- the model ----------------------------------------------------------------------------------

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

    Settings (stored as given, scikit-learn style). The horizon, who counts as active and the baseline's
    value settings define the data, so they are set where the data are read,
    :func:`~custlib.churn.labels.training_frames`.

    model: "auto" (higher validation ROC-AUC, see :data:`AUTO_TIE_MARGIN`), "gbm" or "logistic".
    random_state: int, for the samples, the calibration split, early stopping and the solvers.
    calibration: "sigmoid" or "isotonic", for the gradient-boosting model.
    max_fit_rows, max_eval_rows: int or None. A window with more active customers is fitted on (evaluated
        on) a seeded random sample of this many; None uses all. The report's notes say when it happened.
    refit: bool. False: the chosen candidate scores, the very model whose validation metrics the report
        shows. True: the chosen kind is fitted once more, on the validation window (features as of ``T1``,
        labels up to ``as_of``), and that model scores: it has seen the latest horizon, but its own
        quality is not measured, and it costs one more fit (see docs/models.md for a backtest).
    n_threads: int or None. OpenMP/BLAS threads while fitting and predicting; None: the libraries'
        default, all cores. Default 1: the boosted trees synchronise their threads hundreds of times
        per tree, so when other work holds a core each wait can last a scheduler time slice. On the
        project's 2-core machine, with a test run on the other core, fitting and scoring the 1M-customer
        demo took 7.6 s on one thread and 24 s on two; on a quieter machine two threads saved 1 to 1.5 s.

    ``fit(frames)`` learns from a :class:`~custlib.churn.labels.TrainingFrames` and sets ``horizon_days_``,
    ``active_days_``, ``windows_`` (:class:`~custlib.churn.labels.ChurnWindows`), ``candidates_`` (the
    models fitted on the training window, by kind), ``chosen_model_``, ``estimator_`` (the model that
    scores: the chosen candidate, or with ``refit`` the chosen kind refitted on the validation window),
    ``report_`` (:class:`ChurnReport`) and ``timings_`` (seconds per step: fit_candidates, evaluate, refit).
    """

    def __init__(self, model: str = "auto", random_state: int = 0, calibration: str = "sigmoid",
                 max_fit_rows: int | None = MAX_FIT_ROWS, max_eval_rows: int | None = MAX_EVAL_ROWS,
                 refit: bool = False, n_threads: int | None = 1):
        self.model = model
        self.random_state = random_state
        self.calibration = calibration
        self.max_fit_rows = max_fit_rows
        self.max_eval_rows = max_eval_rows
        self.refit = refit
        self.n_threads = n_threads

    def _check_settings(self) -> None:
        if self.model not in ("auto",) + MODEL_KINDS:
            raise ValueError(f"model must be 'auto', 'gbm' or 'logistic'; got {self.model!r}")
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(f"calibration must be 'isotonic' or 'sigmoid'; got {self.calibration!r}")
        for name in ("max_fit_rows", "max_eval_rows"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1000:
                raise ValueError(f"{name} must be at least 1000 or None; got {getattr(self, name)}")
        if self.n_threads is not None and int(self.n_threads) < 1:
            raise ValueError(f"n_threads must be at least 1 or None; got {self.n_threads}")

    def fit(self, frames: TrainingFrames) -> ChurnModel:
        """Fit the candidates on ``frames.train``, measure them and the baseline on ``frames.valid``, choose
        (with ``refit``, fit the chosen kind again on ``frames.valid``). Returns self.

        ``frames``: from :func:`~custlib.churn.labels.training_frames`; each frame's label is its
        ``is_churned`` column. Raises CustlibError, in words, when a window has too few customers or
        churners to learn from.
        """
        self._check_settings()
        with threadpool_limits(limits=self.n_threads):
            return self._fit(frames)

    def _fit(self, frames: TrainingFrames) -> ChurnModel:
        train, valid, windows = frames.train, frames.valid, frames.windows
        horizon = windows.horizon_days
        timings: dict[str, float] = {}
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
        rows["bgnbd"], baseline_note = _bgnbd_baseline(evaluated, frames.baseline_alive, frames.baseline_error)
        notes += [baseline_note] if baseline_note else []
        timings["evaluate"] = time.perf_counter() - clock
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
        self.active_days_ = frames.active_days
        self.windows_ = windows
        self.candidates_ = candidates
        self.chosen_model_ = chosen
        self.estimator_ = estimator
        self.report_ = ChurnReport(metrics=metrics, chosen_model=chosen, horizon_days=horizon,
                                   horizon_rule=frames.horizon_rule, windows=windows,
                                   verdict=_verdict(metrics, chosen, self.model, horizon), n_refit=n_refit,
                                   notes=notes)
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
        raise CustlibError(code="error_churn_history", params={
            "horizon": horizon, "role": role, "feature_date": str(feature_date), "n": n, "churned": churned,
            "stayed": stayed})


def _label_notes(valid: pd.DataFrame, windows: ChurnWindows) -> list[str]:
    last = valid["next_order_date"].max()
    if pd.isna(last) or last.date() < windows.as_of - timedelta(days=max(7, windows.horizon_days // 10)):
        seen = "no purchase at all" if pd.isna(last) else f"the last purchase on {last.date()}"
        return [f"The validation window ends on {windows.as_of} but it has {seen}: if the data stop before the "
                f"as-of date, everyone looks churned. Choose an as-of date within the data."]
    return []


def _bgnbd_baseline(valid: pd.DataFrame, alive: pd.Series | None, error: str | None) -> tuple[dict, str | None]:
    """The baseline's row of the metrics (1 - probability alive of the validation customers), and a note
    when there is no baseline."""
    if alive is None:
        empty = dict.fromkeys(("roc_auc", "pr_auc", "brier", "top_decile_lift"), float("nan"))
        return empty | {"n_valid": 0, "positive_rate": float("nan")}, f"No BG/NBD baseline: {error}"
    p_alive = alive.reindex(valid["customer_id"].to_numpy()).to_numpy(float)
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
