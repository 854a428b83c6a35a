"""Which customers carry the value: tiers from predicted CLV (core, potential, low-value).

:func:`value_tiers` ranks predicted CLV: the top 20% are **core**, the next 30%
**potential**, the rest **low-value** (shares configurable). The counts are
``round(n * share)`` exactly; ties at a cut-off are broken by customer id, so the
same data always give the same tiers.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

TIERS: tuple[str, ...] = ("core", "potential", "low-value")


def value_tiers(clv: pd.Series, core_share: float = 0.20, potential_share: float = 0.30) -> pd.Series:
    """Tier per customer from predicted CLV: top ``core_share`` core, next ``potential_share`` potential, rest low-value.

    ``clv`` is indexed by customer id. The numbers of core and core-or-potential
    customers are ``round(n * core_share)`` and ``round(n * (core_share +
    potential_share))`` (halves round up); customers are ranked by CLV, highest
    first, and equal CLVs by customer id ascending, so a tie at a cut-off is
    resolved the same way every time. Returns an ordered categorical Series with
    the same index.
    """
    if not (0 <= core_share <= 1 and 0 <= potential_share <= 1 and core_share + potential_share <= 1):
        raise ValueError("tier shares must be between 0 and 1 and add up to at most 1; "
                         f"got core {core_share}, potential {potential_share}")
    values = pd.Series(clv, dtype=float)
    if values.isna().any():
        missing = values.index[values.isna()]
        raise ValueError(f"value_tiers: {len(missing)} customers have no CLV (first: {missing[0]!r}); "
                         "predict a CLV for every customer or drop them first")
    if not values.index.is_unique:
        raise ValueError("value_tiers: the CLV series has duplicate customer ids")
    n = len(values)
    n_core = math.floor(n * core_share + 0.5)
    n_top = math.floor(n * (core_share + potential_share) + 0.5)
    order = pd.DataFrame({"clv": values.to_numpy(), "key": values.index.astype(str)}).sort_values(
        ["clv", "key"], ascending=[False, True], kind="mergesort").index.to_numpy()
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    codes = np.where(position < n_core, 0, np.where(position < n_top, 1, 2))
    return pd.Series(pd.Categorical.from_codes(codes, categories=TIERS, ordered=True), index=values.index,
                     name="tier")
