"""What is each customer worth as of a date? Fits the purchase and spend models and values everyone.

One call turns the stored transactions into a per-customer value table: probability alive, expected
repeat purchases over the horizon, expected spend per purchase, and CLV (expected discounted gross
margin over ``horizon_months``), with the fitted models and a plain-words data-sufficiency verdict.
Only rows dated on or before ``as_of`` are read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import clv, db
from .errors import CustlibError

PURCHASE_MODELS = {"bgnbd": clv.BetaGeoFitter, "mbgnbd": clv.ModifiedBetaGeoFitter,
                   "pareto_nbd": clv.ParetoNBDFitter}
MODEL_LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
MIN_SPEND_BUYERS = 10


@dataclass(frozen=True)
class ValueSettings:
    """How value is measured: horizon in months, gross margin as a fraction of spend, annual discount rate."""
    horizon_months: int = 12
    margin: float = 0.30
    annual_discount_rate: float = 0.10
    unit: str = "week"
    model: str = "bgnbd"          # bgnbd, mbgnbd, pareto_nbd, or auto (chosen by holdout error)


@dataclass
class ValueSnapshot:
    """The per-customer value table and how it was made."""
    as_of: object
    settings: ValueSettings
    customers: pd.DataFrame          # indexed by customer_id
    purchase_model: object
    spend_model: object | None
    sufficiency: clv.DataSufficiency
    model: str = "bgnbd"           # the purchase model used (settings.model, or the one "auto" chose)
    notes: list[str] = field(default_factory=list)

    @property
    def customer_equity(self) -> float:
        return float(self.customers["clv"].sum())

    @property
    def model_label(self) -> str:
        return MODEL_LABELS[self.model] + (" + Gamma-Gamma" if self.spend_model is not None else "")


def value_customers(con, dataset_id: int, as_of, settings: ValueSettings | None = None) -> ValueSnapshot:
    """Fit the chosen purchase model and Gamma-Gamma on data up to ``as_of`` and value every customer.

    Columns of ``customers``: frequency, recency, T (model units), monetary_value, probability_alive,
    expected_purchases (repeat purchases expected in the next ``horizon_months``), expected_spend
    (per purchase, currency), clv (expected discounted gross margin over the horizon, currency).
    When fewer than ``MIN_SPEND_BUYERS`` repeat buyers have a positive spend, Gamma-Gamma is not fitted
    and every customer's expected spend is the average repeat-purchase spend (the notes say so).
    Raises CustlibError when there is no customer or the purchase model cannot be fitted.
    """
    settings = settings or ValueSettings()
    model = settings.model
    notes: list[str] = []
    if model == "auto":
        choice = choose_purchase_model(con, dataset_id, as_of, settings.unit)
        model = choice.selected
        notes.append(choice.reason)
    elif model not in PURCHASE_MODELS:
        raise CustlibError(f"Unknown purchase model {model!r}: choose auto, {', '.join(PURCHASE_MODELS)}.")
    summary = clv.summary_as_of(con, dataset_id, as_of, unit=settings.unit).set_index("customer_id")
    if summary.empty:
        raise CustlibError(code="error_nothing_to_value", params={"as_of": str(as_of)})
    sufficiency = clv.data_sufficiency(summary["frequency"], summary["recency"], summary["T"])
    if not sufficiency.is_sufficient:
        notes.append(sufficiency.verdict)
    x, tx, T = summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
    try:
        purchase_model = PURCHASE_MODELS[model]().fit(x, tx, T)
    except (clv.FitFailed, clv.InvalidSummary) as exc:
        raise CustlibError(code="error_model_not_fitted",
                           params={"model": MODEL_LABELS[model], "as_of": str(as_of), "detail": exc}) from None
    unit_days = clv.UNIT_DAYS[settings.unit]
    horizon = settings.horizon_months * clv.DAYS_PER_MONTH / unit_days
    frame = summary[["frequency", "recency", "T", "monetary_value"]].copy()
    frame["probability_alive"] = np.asarray(purchase_model.probability_alive(x, tx, T), dtype=float)
    frame["expected_purchases"] = np.asarray(purchase_model.predict_purchases(horizon, x, tx, T), dtype=float)

    spend_frequency = summary["spend_frequency"].to_numpy(float)
    monetary = summary["monetary_value"].to_numpy(float)
    has_spend = np.isfinite(monetary) & (spend_frequency > 0)
    spend_model = None
    if has_spend.sum() >= MIN_SPEND_BUYERS:
        try:
            spend_model = clv.GammaGammaFitter().fit(spend_frequency[has_spend], monetary[has_spend])
        except (clv.FitFailed, clv.InvalidSummary) as exc:
            notes.append(f"Gamma-Gamma could not be fitted ({exc}); average spend used instead.")
    else:
        notes.append(f"Only {int(has_spend.sum())} repeat buyers with a positive spend: expected spend is the "
                     f"average repeat-purchase spend, not a Gamma-Gamma estimate.")
    if spend_model is not None:
        frame["expected_spend"] = np.asarray(spend_model.expected_spend(spend_frequency, monetary), dtype=float)
        frame["clv"] = np.asarray(clv.customer_lifetime_value(
            purchase_model, spend_model, x, tx, T, monetary, horizon_months=settings.horizon_months,
            margin=settings.margin, annual_discount_rate=settings.annual_discount_rate, unit_days=unit_days,
            spend_frequency=spend_frequency), dtype=float)
    else:
        average = float(np.nanmean(monetary[has_spend])) if has_spend.any() else 0.0
        frame["expected_spend"] = average
        months = np.arange(1, settings.horizon_months + 1)
        t_grid = months * clv.DAYS_PER_MONTH / unit_days
        cumulative = np.column_stack([purchase_model.predict_purchases(t, x, tx, T) for t in t_grid])
        monthly = np.diff(np.column_stack([np.zeros(len(x)), cumulative]), axis=1)
        discount = (1 + settings.annual_discount_rate) ** (-months / 12)
        frame["clv"] = monthly @ discount * average * settings.margin
    return ValueSnapshot(as_of=as_of, settings=settings, customers=frame, purchase_model=purchase_model,
                         spend_model=spend_model, sufficiency=sufficiency, model=model, notes=notes)


# --- model choice and the fit report ------------------------------------------------------------

COMPARISON_NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
INNER_HOLDOUT_SHARE = 1 / 3
MIN_INNER_HOLDOUT_DAYS = 28
# Ranking three models needs far fewer customers than fitting one for scoring: past this many the
# comparison runs on a seeded random sample (Pareto/NBD alone takes seconds on 100,000 customers).
MAX_COMPARISON_CUSTOMERS = 20_000


@dataclass
class ModelChoice:
    """Which purchase model predicts best on this dataset, judged on a holdout inside the history."""
    selected: str                 # bgnbd, mbgnbd or pareto_nbd
    calibration_end: object
    holdout_days: int
    comparison: clv.ModelComparison | None
    reason: str


def choose_purchase_model(con, dataset_id: int, as_of, unit: str = "week") -> ModelChoice:
    """Split the history before ``as_of`` into calibration and holdout (the last third, at least four
    weeks), fit BG/NBD, MBG/NBD and Pareto/NBD on the calibration part, and pick the lowest
    per-customer error on repeat purchases in the holdout. Nothing after ``as_of`` is read. With more
    than ``MAX_COMPARISON_CUSTOMERS`` customers the comparison uses a seeded random sample of them.
    """
    as_of = pd.Timestamp(as_of).date()
    summary = clv.summary_as_of(con, dataset_id, as_of, unit=unit)
    if summary.empty:
        raise CustlibError(f"No customer has a purchase on or before {as_of}; no model can be chosen.")
    start = pd.Timestamp(summary["first_purchase_date"].min()).date()
    span_days = (as_of - start).days
    holdout_days = max(int(round(span_days * INNER_HOLDOUT_SHARE)), MIN_INNER_HOLDOUT_DAYS)
    calibration_end = as_of - pd.Timedelta(days=holdout_days).to_pytimedelta()
    if calibration_end <= start:
        return ModelChoice("bgnbd", None, 0, None, "The history is too short to compare models on a holdout; "
                                                   "BG/NBD is used.")
    calibration = clv.summary_as_of(con, dataset_id, calibration_end, unit=unit)
    sampled = len(calibration) > MAX_COMPARISON_CUSTOMERS
    if sampled:
        calibration = calibration.sample(MAX_COMPARISON_CUSTOMERS, random_state=0).sort_values("customer_id")
    actual = clv.holdout_purchases(con, dataset_id, calibration_end, as_of)
    try:
        comparison = clv.compare_models(calibration, actual, holdout_days / clv.UNIT_DAYS[unit])
    except (clv.FitFailed, clv.InvalidSummary) as exc:
        return ModelChoice("bgnbd", calibration_end, holdout_days, None,
                           f"Models could not be compared ({exc}); BG/NBD is used.")
    names = {label: key for key, label in COMPARISON_NAMES.items()}
    best = names[comparison.best]
    row = comparison.table.loc[comparison.best]
    reason = (f"{comparison.best} had the lowest error on the last {holdout_days} days before {as_of} "
              f"(mean absolute error {row['mae']:.3f} repeat purchases per customer; predicted "
              f"{row['predicted_total']:,.0f} vs {row['actual_total']:,.0f} actual"
              + (f", on a random {MAX_COMPARISON_CUSTOMERS:,} of the customers)." if sampled else ")."))
    return ModelChoice(best, calibration_end, holdout_days, comparison, reason)


def fit_report(con, dataset_id: int, as_of, unit: str = "week", model: str = "auto") -> dict:
    """Every purchase model and Gamma-Gamma fitted on data up to ``as_of`` (what `fit-clv --json` prints).

    ``holdout`` compares predicted with actual repeat purchases after ``as_of`` when the dataset has
    rows after it (a true out-of-time check), per model.
    """
    as_of = pd.Timestamp(as_of).date()
    summary = clv.summary_as_of(con, dataset_id, as_of, unit=unit)
    if summary.empty:
        raise CustlibError(f"No customer has a purchase on or before {as_of}; there is nothing to fit.")
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    report: dict = {"as_of": as_of.isoformat(), "unit": unit, "customers": int(len(summary))}
    fitted = {}
    for key, estimator in PURCHASE_MODELS.items():
        try:
            fitted[key] = estimator().fit(x, tx, T)
        except (clv.FitFailed, clv.InvalidSummary) as exc:
            report[key] = {"error": str(exc)}
            continue
        params = {name: float(value) for name, value in fitted[key].params_.items()}
        errors = {f"{name}_se": float(value) for name, value in fitted[key].standard_errors_.items()}
        report[key] = {**params, "log_likelihood": float(fitted[key].log_likelihood_), **errors}
    spend_frequency = summary["spend_frequency"].to_numpy(float)
    monetary = summary["monetary_value"].to_numpy(float)
    has_spend = np.isfinite(monetary) & (spend_frequency > 0)
    try:
        spend = clv.GammaGammaFitter().fit(spend_frequency[has_spend], monetary[has_spend])
        report["gamma_gamma"] = {**{n: float(v) for n, v in spend.params_.items()},
                                 "log_likelihood": float(spend.log_likelihood_), "customers": int(has_spend.sum())}
    except (clv.FitFailed, clv.InvalidSummary) as exc:
        report["gamma_gamma"] = {"error": str(exc), "customers": int(has_spend.sum())}
    sufficiency = clv.data_sufficiency(x, tx, T)
    report["data_sufficiency"] = {"is_sufficient": sufficiency.is_sufficient, "verdict": sufficiency.verdict,
                                  "repeat_buyers": sufficiency.n_repeat_buyers}
    if model == "auto":
        choice = choose_purchase_model(con, dataset_id, as_of, unit)
        report["selected"], report["selection"] = choice.selected, choice.reason
    elif model in PURCHASE_MODELS:
        report["selected"], report["selection"] = model, "chosen by the user"
    else:
        raise CustlibError(f"Unknown model {model!r}: choose auto, {', '.join(PURCHASE_MODELS)}.")
    report["holdout"] = _after_as_of_holdout(con, dataset_id, as_of, unit, summary, fitted)
    return report


def _after_as_of_holdout(con, dataset_id, as_of, unit, summary, fitted) -> dict:
    last_date = db.last_order_date(con, dataset_id)
    if last_date is None or last_date <= as_of:
        return {"available": False, "note": "No rows after the as-of date: nothing to check predictions against."}
    length = (last_date - as_of).days / clv.UNIT_DAYS[unit]
    actual = clv.holdout_purchases(con, dataset_id, as_of, last_date).reindex(summary["customer_id"]).fillna(0)
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    result = {"available": True, "start": as_of.isoformat(), "end": last_date.isoformat(), "length": length,
              "actual_repeat_purchases": float(actual.sum()), "models": {}}
    for key, model in fitted.items():
        predicted = np.asarray(model.predict_purchases(length, x, tx, T), dtype=float)
        error = predicted - actual.to_numpy(float)
        result["models"][key] = {"predicted_repeat_purchases": float(predicted.sum()),
                                 "mae": float(np.abs(error).mean()), "rmse": float(np.sqrt((error ** 2).mean()))}
    return result
