"""Customer lifetime value: how many more purchases will each customer make, what will they spend,
and what is that worth today?

One module a job: ``base`` (the summary's vocabulary and checks, the shared fitter), ``purchase``,
``bgnbd``, ``pareto`` and ``gamma_gamma`` (the purchase and spend models), ``sbg`` (how long a cohort
keeps its customers), ``value`` (CLV and its interval), ``selection`` (is the data enough, which
model), ``summary`` (the summary read from DuckDB: the only module that reads the database). Callers
import from here: ``from custlib import clv; clv.BetaGeoFitter().fit(...)``.
"""
from __future__ import annotations

from .base import DAYS_PER_MONTH, MIN_REPEAT_BUYERS_TO_FIT, UNIT_DAYS, FitFailed, InvalidSummary
from .bgnbd import BetaGeoFitter, ModifiedBetaGeoFitter
from .gamma_gamma import GammaGammaFitter
from .pareto import ParetoNBDFitter
from .sbg import ShiftedBetaGeometric
from .selection import (MIN_HISTORY_GAPS, MIN_REPEAT_BUYERS, MIN_REPEAT_SHARE, DataSufficiency, ModelComparison,
                        compare_models, data_sufficiency)
from .summary import holdout_purchases, summary_as_of
from .value import CLVEstimate, clv_with_uncertainty, customer_lifetime_value

__all__ = [
    "BetaGeoFitter", "ModifiedBetaGeoFitter", "ParetoNBDFitter", "GammaGammaFitter", "ShiftedBetaGeometric",
    "customer_lifetime_value", "clv_with_uncertainty", "CLVEstimate",
    "data_sufficiency", "DataSufficiency", "compare_models", "ModelComparison",
    "MIN_REPEAT_BUYERS", "MIN_REPEAT_SHARE", "MIN_HISTORY_GAPS", "MIN_REPEAT_BUYERS_TO_FIT",
    "summary_as_of", "holdout_purchases", "UNIT_DAYS", "DAYS_PER_MONTH", "InvalidSummary", "FitFailed",
]
