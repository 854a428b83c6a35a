"""Which purchase model, if any, to trust here: is there enough repeat-purchase evidence
(:func:`data_sufficiency`), and which model predicts a holdout period best (:func:`compare_models`)?
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import FitFailed, InvalidSummary, _check_rfm
from .bgnbd import BetaGeoFitter, ModifiedBetaGeoFitter
from .pareto import ParetoNBDFitter

# --- is the data enough? -----------------------------------------------------------------------

MIN_REPEAT_BUYERS = 100
MIN_REPEAT_SHARE = 0.10
MIN_HISTORY_GAPS = 3.0


@dataclass(frozen=True)
class DataSufficiency:
    """Whether a purchase model can be trusted on this summary, in plain words.

    ``flags`` holds short codes (``few_repeat_buyers``, ``low_repeat_share``, ``short_history``,
    ``no_customers``); ``verdict`` is a sentence a page can show as is.
    """

    is_sufficient: bool
    verdict: str
    flags: tuple[str, ...]
    n_customers: int
    n_repeat_buyers: int
    repeat_share: float
    typical_gap: float
    history_length: float


def data_sufficiency(frequency, recency, T) -> DataSufficiency:
    """Is there enough repeat-purchase evidence for a trustworthy BG/NBD-type model?

    Rules (thresholds are this module's constants): at least ``MIN_REPEAT_BUYERS`` (100) customers with a
    repeat purchase and at least ``MIN_REPEAT_SHARE`` (10%) of customers; and a typical observation
    window (median T) of at least ``MIN_HISTORY_GAPS`` (3) typical inter-purchase gaps, the gap being
    the median over repeat buyers of recency / frequency. Units are the model's time unit.
    """
    x, tx, T_ = _check_rfm(frequency, recency, T)
    n = len(x)
    repeat = x > 0
    n_repeat = int(repeat.sum())
    share = n_repeat / n if n else 0.0
    gap = float(np.median(tx[repeat] / x[repeat])) if n_repeat else float("nan")
    history = float(np.median(T_)) if n else 0.0
    flags, reasons = [], []
    if n == 0:
        flags.append("no_customers")
        reasons.append("there are no customers with a purchase before the as-of date")
    else:
        if n_repeat < MIN_REPEAT_BUYERS:
            flags.append("few_repeat_buyers")
            reasons.append(f"only {n_repeat} customers bought more than once (at least {MIN_REPEAT_BUYERS} "
                           f"are needed)")
        if share < MIN_REPEAT_SHARE:
            flags.append("low_repeat_share")
            reasons.append(f"only {share:.0%} of customers bought more than once (at least "
                           f"{MIN_REPEAT_SHARE:.0%} are needed)")
        if n_repeat and history < MIN_HISTORY_GAPS * gap:
            flags.append("short_history")
            reasons.append(f"a typical customer has been watched for {history:.1f} time units, less than "
                           f"{MIN_HISTORY_GAPS:g} typical gaps between purchases ({gap:.1f} units each)")
    ok = not flags
    verdict = ("Enough repeat purchases over a long enough history to fit a customer lifetime value model."
               if ok else "The data are too thin for a trustworthy lifetime value model: " + "; ".join(reasons)
               + ". Treat any prediction as a rough guess.")
    return DataSufficiency(is_sufficient=ok, verdict=verdict, flags=tuple(flags), n_customers=n,
                           n_repeat_buyers=n_repeat, repeat_share=share, typical_gap=gap, history_length=history)


# --- model choice by holdout error -------------------------------------------------------------


@dataclass(frozen=True)
class ModelComparison:
    """Holdout comparison of purchase models.

    ``table``: one row per model -- log_likelihood, n_params, predicted_total, actual_total,
    mae and rmse per customer (repeat purchases in the holdout), or ``error`` if the fit failed.
    ``by_calibration_frequency``: mean holdout purchases by calibration frequency 0..6, "7+"
    (actual and each model). ``best``: the model with the lowest per-customer MAE (RMSE breaks ties).
    """

    table: pd.DataFrame
    by_calibration_frequency: pd.DataFrame
    best: str
    models: dict


def compare_models(cal_summary: pd.DataFrame, holdout_repeat_purchases, holdout_length: float,
                   models: dict | None = None) -> ModelComparison:
    """Fit each purchase model on the calibration summary and score it on the holdout period.

    ``cal_summary`` has columns frequency, recency, T (model units). ``holdout_repeat_purchases`` is
    the number of repeat purchases of each customer in the ``holdout_length`` time units after the
    calibration end: aligned by position, or a Series indexed by customer_id when ``cal_summary``
    has a ``customer_id`` column (customers missing from it made none). ``models`` maps names to
    unfitted estimators (default BG/NBD, MBG/NBD and Pareto/NBD).
    """
    x, tx, T_ = _check_rfm(cal_summary["frequency"], cal_summary["recency"], cal_summary["T"])
    if isinstance(holdout_repeat_purchases, pd.Series) and "customer_id" in cal_summary.columns:
        actual = holdout_repeat_purchases.reindex(cal_summary["customer_id"]).fillna(0).to_numpy(dtype=float)
    else:
        actual = np.asarray(holdout_repeat_purchases, dtype=float)
    if actual.shape != x.shape:
        raise InvalidSummary(f"holdout_repeat_purchases has {actual.size} values for {x.size} customers.")
    if models is None:
        models = {"BG/NBD": BetaGeoFitter(), "MBG/NBD": ModifiedBetaGeoFitter(), "Pareto/NBD": ParetoNBDFitter()}
    rows, fitted = {}, {}
    groups = np.minimum(x, 7).astype(int)
    labels = [str(i) for i in range(7)] + ["7+"]
    by_freq = pd.DataFrame({"n_customers": np.bincount(groups, minlength=8),
                            "actual": _group_mean(actual, groups)}, index=labels)
    for name, model in models.items():
        try:
            model.fit(x, tx, T_)
        except (FitFailed, InvalidSummary) as exc:
            rows[name] = {"error": str(exc)}
            continue
        predicted = np.asarray(model.predict_purchases(holdout_length, x, tx, T_))
        err = predicted - actual
        rows[name] = {"log_likelihood": model.log_likelihood_, "n_params": len(model.params_),
                      "predicted_total": predicted.sum(), "actual_total": actual.sum(),
                      "mae": np.abs(err).mean(), "rmse": np.sqrt((err ** 2).mean()), "error": None}
        by_freq[name] = _group_mean(predicted, groups)
        fitted[name] = model
    table = pd.DataFrame.from_dict(rows, orient="index")
    if not fitted:
        raise FitFailed("No purchase model could be fitted to these data.")
    scored = table.dropna(subset=["mae"]).sort_values(["mae", "rmse"])
    return ModelComparison(table=table, by_calibration_frequency=by_freq, best=str(scored.index[0]),
                           models=fitted)


def _group_mean(values, groups):
    counts = np.bincount(groups, minlength=8)
    sums = np.bincount(groups, weights=values, minlength=8)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
