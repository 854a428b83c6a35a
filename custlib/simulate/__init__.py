"""Promotion or loyalty? What a budget buys this quarter (sales) against what it adds to customer value.

Given a budget (currency), the share of it spent on promotions (the rest goes to a loyalty or retention
programme), the customers it targets (segments or tiers), a horizon in months, a gross margin and an
annual discount rate, the simulator answers:

* this quarter's incremental orders, revenue and margin (months 1-3, undiscounted);
* the incremental customer value over the horizon (discounted gross margin, the CLV convention of
  :func:`custlib.clv.customer_lifetime_value`), its net present value after the budget, and ROI;
* the frontier of short-term revenue against long-term value over splits from 0% to 100% promotion,
  the best split for a weight between the two, an allocation across segments by marginal return, and
  Monte Carlo bands over the assumption ranges.

One job a module: ``estimates`` (what the history says about promotions), ``assumptions`` (every
parameter, estimated or assumed, with its range), ``curves`` (each segment's expected purchases, as
fitted and with a lower dropout), ``levers`` (one scenario's outcome), ``allocation`` (frontier, best
split, allocation across segments), ``uncertainty`` (Monte Carlo bands), ``scenarios`` (stored plans).
Callers use the names below: ``from custlib import simulate; simulate.simulate(...)``.
"""
from __future__ import annotations

from .allocation import ALLOCATION_COLUMNS, FRONTIER_COLUMNS, BestSplit, allocate, best_split, frontier
from .assumptions import ASSUMED, ASSUMPTION_TABLE_COLUMNS, ESTIMATED, Assumptions, default_assumptions
from .curves import ALL_CUSTOMERS, DROPOUT_GRID, MAX_DROPOUT_REDUCTION, ResponseCurves, response_curves
from .estimates import (ACQUISITION_COLUMNS, ACQUISITION_MART_COLUMNS, DAILY_COLUMNS, MIN_GROUP_CUSTOMERS,
                        MIN_PROMO_DAYS, WEEKS_PER_12_MONTHS, PromotionEstimates, estimate_promotion_effects)
from .levers import RESULT_COLUMNS, Scenario, simulate
from .periods import DAYS_PER_QUARTER, QUARTER_MONTHS
from .scenarios import (SCENARIO_LIST_COLUMNS, compare_scenarios, delete_scenario, list_scenarios,
                        load_scenario, save_scenario)
from .uncertainty import BAND_METRICS, UNCERTAINTY_COLUMNS, simulate_uncertainty

__all__ = [
    "Assumptions", "PromotionEstimates", "ResponseCurves", "Scenario", "BestSplit",
    "estimate_promotion_effects", "default_assumptions", "response_curves", "simulate", "frontier",
    "best_split", "allocate", "simulate_uncertainty", "save_scenario", "list_scenarios",
    "load_scenario", "delete_scenario", "compare_scenarios", "RESULT_COLUMNS",
    "ESTIMATED", "ASSUMED", "ASSUMPTION_TABLE_COLUMNS", "ALL_CUSTOMERS", "DROPOUT_GRID", "MAX_DROPOUT_REDUCTION",
    "DAYS_PER_QUARTER", "QUARTER_MONTHS", "ACQUISITION_COLUMNS", "ACQUISITION_MART_COLUMNS", "DAILY_COLUMNS",
    "MIN_PROMO_DAYS", "MIN_GROUP_CUSTOMERS", "WEEKS_PER_12_MONTHS", "FRONTIER_COLUMNS", "ALLOCATION_COLUMNS",
    "BAND_METRICS", "UNCERTAINTY_COLUMNS", "SCENARIO_LIST_COLUMNS",
]
