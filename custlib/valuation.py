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

from . import clv
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
    model: str = "bgnbd"


@dataclass
class ValueSnapshot:
    """The per-customer value table and how it was made."""
    as_of: object
    settings: ValueSettings
    customers: pd.DataFrame          # indexed by customer_id
    purchase_model: object
    spend_model: object | None
    sufficiency: clv.DataSufficiency
    notes: list[str] = field(default_factory=list)

    @property
    def customer_equity(self) -> float:
        return float(self.customers["clv"].sum())

    @property
    def model_label(self) -> str:
        return MODEL_LABELS[self.settings.model] + (" + Gamma-Gamma" if self.spend_model is not None else "")


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
    if settings.model not in PURCHASE_MODELS:
        raise CustlibError(f"Unknown purchase model {settings.model!r}: choose {', '.join(PURCHASE_MODELS)}.")
    summary = clv.summary_as_of(con, dataset_id, as_of, unit=settings.unit).set_index("customer_id")
    if summary.empty:
        raise CustlibError(f"No customer has a purchase on or before {as_of}; there is nothing to value.")
    sufficiency = clv.data_sufficiency(summary["frequency"], summary["recency"], summary["T"])
    notes = [] if sufficiency.is_sufficient else [sufficiency.verdict]
    x, tx, T = summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
    try:
        purchase_model = PURCHASE_MODELS[settings.model]().fit(x, tx, T)
    except (clv.FitFailed, clv.InvalidSummary) as exc:
        raise CustlibError(f"The {MODEL_LABELS[settings.model]} model could not be fitted on data up to "
                           f"{as_of}: {exc}") from None
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
                         spend_model=spend_model, sufficiency=sufficiency, notes=notes)
