"""How sure a scenario's outcome is: Monte Carlo bands over the ranges of the assumptions.

The bands cover the assumptions only, not the fitted models' parameter uncertainty (for that, see
:func:`custlib.clv.clv_with_uncertainty`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .assumptions import Assumptions
from .curves import ResponseCurves
from .levers import RESULT_COLUMNS, Scenario, _even_split, _Levers, _totals, simulate


BAND_METRICS = ("quarter_incremental_revenue", "quarter_incremental_margin", "incremental_value", "npv")
UNCERTAINTY_COLUMNS = ("point", "p05", "p50", "p95")


def _draw_assumptions(assumptions: Assumptions, n_draws: int, random_state) -> dict:
    """Independent triangular draws for every assumption: (low, mode = the value, high), shape (n, 1)."""
    rng = np.random.default_rng(random_state)
    out = {}
    for name in Assumptions.names():
        value = float(getattr(assumptions, name))
        low, high = assumptions.range(name)
        low, high = min(low, value), max(high, value)
        draws = np.full(n_draws, value) if high <= low else rng.triangular(low, value, high, n_draws)
        out[name] = draws[:, None]
    return out


def simulate_uncertainty(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions,
                         n_draws: int = 500, random_state=0) -> pd.DataFrame:
    """Monte Carlo bands of a scenario over the assumption ranges.

    Each assumption is drawn independently from a triangular distribution on its range with the mode
    at its value (``n_draws`` draws, seeded by ``random_state``; all draws at once, vectorised). Rows
    are :data:`RESULT_COLUMNS` except the amounts; columns ``point`` (at the assumptions' values),
    ``p05``, ``p50``, ``p95`` (quantiles over draws). The bands cover the assumptions only, not the
    fitted models' parameter uncertainty (see :func:`custlib.clv.clv_with_uncertainty`).
    """
    levers = _Levers(curves, scenario, curves.segment_index(scenario.target_segments))
    draws = _draw_assumptions(assumptions, n_draws, random_state)
    promo = np.repeat(_even_split(levers, scenario.budget_amount * scenario.promo_share), n_draws, axis=0)
    loyalty = np.repeat(_even_split(levers, scenario.budget_amount * (1 - scenario.promo_share)), n_draws, axis=0)
    totals = _totals(levers.evaluate(promo, loyalty, draws))
    point = simulate(curves, scenario, assumptions)
    metrics = [name for name in RESULT_COLUMNS if name not in ("promo_amount", "loyalty_amount")]
    rows = {}
    for name in metrics:
        values = totals[name]
        if np.all(np.isnan(values)):
            rows[name] = [point[name], np.nan, np.nan, np.nan]
        else:
            rows[name] = [point[name], *np.nanquantile(values, [0.05, 0.5, 0.95])]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(UNCERTAINTY_COLUMNS))
