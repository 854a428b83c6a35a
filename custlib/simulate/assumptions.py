"""What the simulator takes as given: each parameter's value, unit, plausible range and source.

A parameter is either estimated from the history (:data:`ESTIMATED`, see
:func:`custlib.simulate.estimates.estimate_promotion_effects`) or an assumption (:data:`ASSUMED`).
Reach saturation and everything about loyalty cannot be read from a history without a programme:
they are assumptions with stated ranges, shown beside results (:meth:`Assumptions.table`), and their
ranges drive the Monte Carlo bands. :func:`default_assumptions` starts from the estimates where the
history can tell and scales the currency amounts to the data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from .curves import MAX_DROPOUT_REDUCTION
from .estimates import PromotionEstimates
from .periods import DAYS_PER_QUARTER

ESTIMATED = "estimated from data"
ASSUMED = "assumption"


def _assumption(default: float, low: float, high: float, unit: str, text: str):
    return field(default=default, metadata={"low": low, "high": high, "unit": unit, "text": text})


@dataclass(frozen=True)
class Assumptions:
    """The simulator's parameters. Defaults in brackets, plausible range after them; ``sources`` says
    for each whether it was estimated from data or assumed, ``ranges`` holds the range used for the
    Monte Carlo bands (default: the one below). Build it with :func:`default_assumptions` to get the
    data's estimates and currency amounts scaled to the data; edit with ``dataclasses.replace``.

    promo_uplift [0.30; 0.05-1.0], share: extra orders per order that would have been placed, on
        promotion days, among reached customers. Estimated: repeat-order rate on promotion days over
        the rate on the same month's other days, minus 1 (historical promotions taken as full reach).
    promo_days [14; 3-30], days: promotion days this quarter. Estimated: promotion days per quarter
        in the history.
    promo_saturation_amount [20; 5-80], currency per targeted customer: promotion spend at which 63%
        (1 - 1/e) of the targeted customers are reached. Assumption (default 2% of the average order
        value, range 0.5%-8%).
    promo_take_rate [0.30; 0.10-0.60], share: of the orders reached customers would have placed anyway
        on promotion days, the share that takes the discount. Estimated: promotion share of repeat
        orders on promotion days s, take rate = s (1 + uplift) - uplift.
    promo_discount_share [0.15; 0.05-0.30], share of list price: discount depth of promotion orders.
        Estimated: discount / (paid + discount) over promotion sale lines.
    promo_pull_forward_share [0.20; 0-0.50], share: extra orders that would have been placed in the
        next quarter anyway. Estimated: orders missing in the days after promotions / extra orders.
    promo_new_customers_per_order [0.05; 0-0.30], customers per extra order: new customers a promotion
        brings. Estimated: extra first orders on promotion days / extra repeat orders. Set it to 0 for
        a promotion only existing customers can see.
    promo_acquired_value_ratio [0.60; 0.30-1.0], ratio: expected repeat purchases over the next 12
        months of a promotion-acquired new customer against a new customer of the fitted model.
        Estimated: BG/NBD fitted on promotion-acquired customers against BG/NBD on all customers.
    loyalty_max_dropout_reduction [0.25; 0.05-0.50], share: how much lower the dropout of fully reached
        customers is (at most 0.9). Assumption.
    loyalty_saturation_amount [50; 10-200], currency per targeted customer: loyalty spend at which 63% of
        the maximum reduction is reached. Assumption (default 6% of the average order value, range
        1%-25%).
    """

    promo_uplift: float = _assumption(0.30, 0.05, 1.0, "share", "extra orders per usual order on promotion days")
    promo_days: float = _assumption(14.0, 3.0, 30.0, "days", "promotion days this quarter")
    promo_saturation_amount: float = _assumption(
        20.0, 5.0, 80.0, "currency per customer", "promotion spend per customer reaching 63% of them")
    promo_take_rate: float = _assumption(
        0.30, 0.10, 0.60, "share", "usual orders on promotion days that take the discount")
    promo_discount_share: float = _assumption(0.15, 0.05, 0.30, "share", "discount depth of promotion orders")
    promo_pull_forward_share: float = _assumption(
        0.20, 0.0, 0.50, "share", "extra orders that would have come next quarter anyway")
    promo_new_customers_per_order: float = _assumption(
        0.05, 0.0, 0.30, "customers per order", "new customers per extra promotion order")
    promo_acquired_value_ratio: float = _assumption(
        0.60, 0.30, 1.0, "ratio", "repeat purchases of a promotion-acquired new customer vs a typical new one")
    loyalty_max_dropout_reduction: float = _assumption(
        0.25, 0.05, 0.50, "share", "dropout reduction of fully reached customers")
    loyalty_saturation_amount: float = _assumption(
        50.0, 10.0, 200.0, "currency per customer", "loyalty spend per customer reaching 63% of the reduction")
    ranges: dict = field(default_factory=dict, compare=False)
    sources: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for name in self.names():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"Assumption {name} must be a number >= 0; got {value!r}.")
            low, high = self.range(name)
            if not low <= high:
                raise ValueError(f"The range of {name} must have low <= high; got ({low}, {high}).")
        for name in ("promo_take_rate", "promo_discount_share", "promo_pull_forward_share"):
            if getattr(self, name) > 1 or self.range(name)[1] > 1:
                raise ValueError(f"{name} is a share of at most 1; got {getattr(self, name)}.")
        if self.promo_days > DAYS_PER_QUARTER or self.range("promo_days")[1] > DAYS_PER_QUARTER:
            raise ValueError(f"promo_days cannot exceed the {DAYS_PER_QUARTER:.0f} days of a quarter.")
        for name in ("promo_saturation_amount", "loyalty_saturation_amount"):
            if getattr(self, name) <= 0 or self.range(name)[0] <= 0:
                raise ValueError(f"{name} must be a positive amount of currency per customer.")
        if (self.loyalty_max_dropout_reduction > MAX_DROPOUT_REDUCTION
                or self.range("loyalty_max_dropout_reduction")[1] > MAX_DROPOUT_REDUCTION):
            raise ValueError(f"loyalty_max_dropout_reduction can be at most {MAX_DROPOUT_REDUCTION}.")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.metadata)

    def range(self, name: str) -> tuple[float, float]:
        """The plausible (low, high) of assumption ``name``: given in ``ranges`` or the documented one."""
        if name in self.ranges:
            low, high = self.ranges[name]
            return float(low), float(high)
        meta = _FIELD_META[name]
        return float(meta["low"]), float(meta["high"])

    def source(self, name: str) -> str:
        return self.sources.get(name, ASSUMED)

    def table(self) -> pd.DataFrame:
        """One row per assumption, to show beside results: ``name``, ``value``, ``low``, ``high``,
        ``unit``, ``source`` ("estimated from data" or "assumption"), ``description``."""
        rows = [{"name": name, "value": float(getattr(self, name)), "low": self.range(name)[0],
                 "high": self.range(name)[1], "unit": _FIELD_META[name]["unit"], "source": self.source(name),
                 "description": _FIELD_META[name]["text"]} for name in self.names()]
        return pd.DataFrame(rows, columns=ASSUMPTION_TABLE_COLUMNS)

    def to_dict(self) -> dict:
        return {"values": {name: float(getattr(self, name)) for name in self.names()},
                "ranges": {name: list(self.range(name)) for name in self.names()},
                "sources": {name: self.source(name) for name in self.names()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Assumptions":
        return cls(**data["values"], ranges={k: tuple(v) for k, v in data.get("ranges", {}).items()},
                   sources=dict(data.get("sources", {})))


_FIELD_META = {f.name: f.metadata for f in fields(Assumptions) if f.metadata}
ASSUMPTION_TABLE_COLUMNS = ("name", "value", "low", "high", "unit", "source", "description")
# Saturation defaults as shares of the average order value (value, low, high).
_SATURATION_SHARES = {"promo_saturation_amount": (0.02, 0.005, 0.08),
                      "loyalty_saturation_amount": (0.06, 0.01, 0.25)}


def default_assumptions(estimates: PromotionEstimates | None = None,
                        average_order_amount: float | None = None) -> Assumptions:
    """The :class:`Assumptions` to start from: the history's estimates where it can tell, the
    documented defaults elsewhere; saturation amounts scaled to ``average_order_amount`` (currency,
    e.g. :attr:`ResponseCurves.average_order_amount`). An estimate's range is its 95% interval when
    there is one, else the documented range widened to contain the estimate."""
    values, ranges, sources = {}, {}, {}
    if average_order_amount is not None and average_order_amount > 0:
        for name, (share, low, high) in _SATURATION_SHARES.items():
            values[name] = share * average_order_amount
            ranges[name] = (low * average_order_amount, high * average_order_amount)
    if estimates is not None:
        found = {
            "promo_uplift": (estimates.promo_uplift, estimates.promo_uplift_interval),
            "promo_days": (estimates.promo_days_per_quarter, None),
            "promo_take_rate": (estimates.promo_take_rate, None),
            "promo_discount_share": (estimates.promo_discount_share, None),
            "promo_pull_forward_share": (estimates.promo_pull_forward_share, estimates.promo_pull_forward_interval),
            "promo_new_customers_per_order": (estimates.new_customers_per_extra_order, None),
            "promo_acquired_value_ratio": (estimates.promo_acquired_value_ratio, None),
        }
        for name, (value, interval) in found.items():
            if value is None or not np.isfinite(value):
                continue
            meta = _FIELD_META[name]
            value = float(np.clip(value, 0.0, 1.0 if meta["unit"] == "share" and name != "promo_uplift" else np.inf))
            if name == "promo_days":
                value = float(np.clip(value, 1.0, DAYS_PER_QUARTER))
            low, high = interval if interval is not None else (min(meta["low"], value), max(meta["high"], value))
            low, high = max(0.0, min(low, value)), max(high, value)
            if name in ("promo_take_rate", "promo_discount_share", "promo_pull_forward_share"):
                high = min(high, 1.0)
            if name == "promo_days":
                high = min(high, DAYS_PER_QUARTER)
            values[name], ranges[name], sources[name] = value, (low, high), ESTIMATED
    return Assumptions(**values, ranges=ranges, sources=sources)
