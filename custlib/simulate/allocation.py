"""Where the budget does most: short term against long term over splits, and across segments.

:func:`frontier` traces this quarter's incremental revenue against the long-term NPV over promotion
shares of the same budget, :func:`best_split` finds the share that maximises a weighted sum of the
two, and :func:`allocate` spreads the budget over segments (and levers) by marginal return.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .assumptions import Assumptions
from .curves import ResponseCurves
from .levers import RESULT_COLUMNS, Scenario, _assumption_values, _even_split, _Levers, _totals, simulate
from .uncertainty import BAND_METRICS, _draw_assumptions


FRONTIER_COLUMNS = ("promo_share",) + RESULT_COLUMNS + ("is_chosen",)


def frontier(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions, n_points: int = 21,
             n_draws: int = 0, random_state=0) -> pd.DataFrame:
    """Short-term against long-term outcome over promotion shares 0, 1/(n-1), ..., 1 of the same budget.

    One row per share (the scenario's own share added when it is not on the grid), columns
    ``promo_share``, :data:`RESULT_COLUMNS` and ``is_chosen`` (the scenario's share). Plot
    ``quarter_incremental_revenue`` (short term) against ``npv`` (long term). With ``n_draws`` > 0,
    columns ``<metric>_p05`` and ``<metric>_p95`` are added for quarter_incremental_revenue,
    quarter_incremental_margin, incremental_value and npv: Monte Carlo bands as in
    :func:`simulate_uncertainty`, with the same draws at every share.
    """
    if n_points < 2:
        raise ValueError("n_points must be at least 2.")
    shares = np.unique(np.append(np.linspace(0.0, 1.0, n_points), scenario.promo_share))
    levers = _Levers(curves, scenario, curves.segment_index(scenario.target_segments))
    budget = scenario.budget_amount
    totals = _totals(levers.evaluate(_even_split(levers, budget * shares), _even_split(levers, budget * (1 - shares)),
                                     _assumption_values(assumptions)))
    frame = pd.DataFrame({"promo_share": shares, **{name: totals[name] for name in RESULT_COLUMNS}})
    frame["is_chosen"] = np.isclose(shares, scenario.promo_share, rtol=0, atol=1e-12)
    if n_draws > 0:
        draws = _draw_assumptions(assumptions, n_draws, random_state)
        promo = np.repeat(_even_split(levers, budget * shares), n_draws, axis=0)
        loyalty = np.repeat(_even_split(levers, budget * (1 - shares)), n_draws, axis=0)
        tiled = {name: np.tile(value, (len(shares), 1)) for name, value in draws.items()}
        banded = _totals(levers.evaluate(promo, loyalty, tiled))
        for name in BAND_METRICS:
            values = banded[name].reshape(len(shares), n_draws)
            frame[f"{name}_p05"], frame[f"{name}_p95"] = np.quantile(values, [0.05, 0.95], axis=1)
    return frame


@dataclass(frozen=True)
class BestSplit:
    """The promotion share that maximises ``weight * quarter_incremental_revenue + (1 - weight) * npv``
    (``weight`` 1 = only this quarter's sales count, 0 = only long-term value), its ``score`` and the
    scenario result there (``result``, as :func:`simulate`)."""

    promo_share: float
    weight: float
    score: float
    result: pd.Series


def best_split(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions, weight: float,
               n_points: int = 201) -> BestSplit:
    """The best promotion share for ``weight`` between short and long term, on a grid of ``n_points``
    shares refined by a bounded scalar search around the best grid point (both in currency)."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must be between 0 and 1; got {weight!r}.")
    from scipy import optimize

    grid = frontier(curves, replace(scenario, promo_share=0.0), assumptions, n_points=n_points)
    score = weight * grid["quarter_incremental_revenue"] + (1 - weight) * grid["npv"]
    best = int(np.argmax(score.to_numpy()))
    share, value = float(grid["promo_share"].iloc[best]), float(score.iloc[best])
    lo, hi = grid["promo_share"].iloc[max(best - 1, 0)], grid["promo_share"].iloc[min(best + 1, len(grid) - 1)]

    def negative(s):
        r = simulate(curves, replace(scenario, promo_share=float(s)), assumptions)
        return -(weight * r["quarter_incremental_revenue"] + (1 - weight) * r["npv"])

    if hi > lo:
        found = optimize.minimize_scalar(negative, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
        if -found.fun > value:
            share, value = float(found.x), float(-found.fun)
    result = simulate(curves, replace(scenario, promo_share=share), assumptions)
    return BestSplit(promo_share=share, weight=weight, score=value, result=result)


ALLOCATION_COLUMNS = ("segment", "customers", "promo_amount", "loyalty_amount", "total_amount", "budget_share",
                     "quarter_incremental_revenue", "incremental_value", "npv", "marginal_return")


def allocate(curves: ResponseCurves, scenario: Scenario, assumptions: Assumptions, weight: float = 0.0,
             n_steps: int = 400, keep_split: bool = True) -> pd.DataFrame:
    """Allocate the budget across the targeted segments (and levers) by marginal return.

    Greedy in ``n_steps`` equal increments of the budget: each increment goes to the (segment, lever)
    whose score ``weight * quarter_incremental_revenue + (1 - weight) * incremental_value`` it raises
    most. With ``keep_split`` the promotion part (promo_share of the budget) and the loyalty part are
    allocated separately, else the levers compete too. Every response here is concave in spend for the
    promotion lever (1 - exp(-s/S)); for loyalty it is concave over the usual ranges, where greedy
    increments are optimal up to one increment. The amounts sum exactly to the budget (in cents; the
    last cent of rounding goes to the largest allocation).

    Returns one row per targeted segment: ``segment``, ``customers``, ``promo_amount``,
    ``loyalty_amount``, ``total_amount`` (currency), ``budget_share``, ``quarter_incremental_revenue``,
    ``incremental_value``, ``npv`` (= incremental_value - total_amount) and ``marginal_return``
    (score gained per currency unit by the segment's last increment; NaN without one).
    """
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must be between 0 and 1; got {weight!r}.")
    index = curves.segment_index(scenario.target_segments)
    levers = _Levers(curves, scenario, index)
    k = len(index)
    budget_cents = int(round(scenario.budget_amount * 100))
    parts = ([("promo", int(round(budget_cents * scenario.promo_share))),
              ("loyalty", budget_cents - int(round(budget_cents * scenario.promo_share)))]
             if keep_split else [("both", budget_cents)])
    a = _assumption_values(assumptions)
    cents = {"promo": np.zeros(k, dtype=np.int64), "loyalty": np.zeros(k, dtype=np.int64)}
    last_gain = {"promo": np.full(k, np.nan), "loyalty": np.full(k, np.nan)}
    for part, total in parts:
        if total <= 0:
            continue
        steps = max(1, min(n_steps, total))
        step_cents = np.full(steps, total // steps)
        step_cents[: total - step_cents.sum()] += 1  # whole cents that add up to the part exactly
        levers_here = ("promo", "loyalty") if part == "both" else (part,)
        grid = np.concatenate([[0], np.cumsum(step_cents)]) / 100.0  # amounts after j steps
        scores = {lever: _lever_scores(levers, lever, grid, a, weight) for lever in levers_here}
        taken = {lever: np.zeros(k, dtype=np.int64) for lever in levers_here}
        for step in range(steps):
            best_gain, best = -np.inf, None
            for lever in levers_here:
                j = taken[lever]
                # the amount a lever holds after j steps is grid[j]; the gain of one more is the difference
                gain = (scores[lever][j + 1, np.arange(k)] - scores[lever][j, np.arange(k)])
                choice = int(np.argmax(gain))
                if gain[choice] > best_gain:
                    best_gain, best = gain[choice], (lever, choice)
            lever, choice = best
            taken[lever][choice] += 1
            last_gain[lever][choice] = best_gain / (step_cents[step] / 100.0)
        for lever in levers_here:
            cents[lever] += np.round(grid[taken[lever]] * 100).astype(np.int64)
    # the grid is shared by segments, so a lever's segments hold grid[j] each; fix the rounding drift
    for lever, total in ((p, t) for p, t in parts if p != "both"):
        cents[lever][np.argmax(cents[lever])] += total - cents[lever].sum()
    if not keep_split:
        drift = budget_cents - cents["promo"].sum() - cents["loyalty"].sum()
        target = "promo" if cents["promo"].max() >= cents["loyalty"].max() else "loyalty"
        cents[target][np.argmax(cents[target])] += drift
    promo, loyalty = cents["promo"] / 100.0, cents["loyalty"] / 100.0
    per = levers.evaluate(promo[None, :], loyalty[None, :], a)
    total = promo + loyalty
    value = (per["promo_value"] + per["loyalty_value"])[0]
    with np.errstate(invalid="ignore"):
        marginal = np.fmax(last_gain["promo"], last_gain["loyalty"])
    return pd.DataFrame({
        "segment": [curves.segments[i] for i in index], "customers": levers.n.astype(np.int64),
        "promo_amount": promo, "loyalty_amount": loyalty, "total_amount": total,
        "budget_share": total / scenario.budget_amount if scenario.budget_amount > 0 else np.zeros(k),
        "quarter_incremental_revenue": per["quarter_incremental_revenue"][0], "incremental_value": value,
        "npv": value - total, "marginal_return": marginal,
    }, columns=list(ALLOCATION_COLUMNS))


def _lever_scores(levers: _Levers, lever: str, grid: np.ndarray, a: dict, weight: float) -> np.ndarray:
    """Score of each segment when one lever holds ``grid[j]`` (rows j) and the other nothing."""
    amounts = np.repeat(grid[:, None], len(levers.n), axis=1)
    zero = np.zeros_like(amounts)
    per = levers.evaluate(amounts, zero, a) if lever == "promo" else levers.evaluate(zero, amounts, a)
    value = per["promo_value"] if lever == "promo" else per["loyalty_value"]
    return weight * per["quarter_incremental_revenue"] + (1 - weight) * value

