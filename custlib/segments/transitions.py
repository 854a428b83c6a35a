"""Who moved where between two dates: migration of RFM segments or lifecycle stages, in customers and value.

Each side's labels come from the features as of its own date, so neither sees data after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import features as _features
from .inputs import require_columns
from .lifecycle import STAGES, LifecycleThresholds, lifecycle_stages
from .rfm import SEGMENTS, rfm_segments

NEW_LABEL = "new (not yet a customer)"
GONE_LABEL = "not present"


@dataclass(frozen=True)
class Migration:
    """Who moved where between two dates: ``counts`` (customers) and ``value`` (sum of a value), from x to.

    Rows are the earlier label (``NEW_LABEL`` for customers only present later),
    columns the later label (``GONE_LABEL`` only appears if someone present earlier
    is missing later). Both tables have every label in both axes, zeros included.
    """
    counts: pd.DataFrame
    value: pd.DataFrame
    value_name: str | None = None
    labels: tuple[str, ...] = field(default=())


def migration_matrix(before: pd.Series, after: pd.Series, value: pd.Series | None = None,
                     labels=None, value_name: str | None = None) -> Migration:
    """Cross-tabulate labels per customer at two dates (Series indexed by customer id).

    ``value`` (indexed by customer id, e.g. CLV or trailing-365-day spend at the
    later date) is summed per cell; customers without a value count 0. ``labels``
    fixes the order of the axes (default: categories of ``after`` if categorical,
    else the sorted union). The counts add up to the number of distinct customers
    in ``before`` and ``after`` together.
    """
    for name, series in (("before", before), ("after", after)):
        if not series.index.is_unique:
            raise ValueError(f"migration_matrix: {name} has duplicate customer ids")
    if labels is None:
        if isinstance(after.dtype, pd.CategoricalDtype):
            labels = list(after.cat.categories)
        else:
            labels = sorted(set(before.astype(str)) | set(after.astype(str)))
    labels = [str(label) for label in labels]
    customers = before.index.union(after.index)
    from_side = before.astype(object).reindex(customers).astype(object)
    to_side = after.astype(object).reindex(customers).astype(object)
    from_side = from_side.where(from_side.notna(), NEW_LABEL).astype(str)
    to_side = to_side.where(to_side.notna(), GONE_LABEL).astype(str)
    unknown = (set(from_side) | set(to_side)) - set(labels) - {NEW_LABEL, GONE_LABEL}
    if unknown:
        raise ValueError(f"migration_matrix: labels {sorted(unknown)} are not in the label list {labels}")
    rows = [NEW_LABEL, *labels]
    columns = labels + ([GONE_LABEL] if (to_side == GONE_LABEL).any() else [])
    amounts = (pd.Series(value, dtype=float).reindex(customers).fillna(0.0) if value is not None
               else pd.Series(0.0, index=customers))
    frame = pd.DataFrame({"from": from_side.to_numpy(), "to": to_side.to_numpy(), "value": amounts.to_numpy()})
    grouped = frame.groupby(["from", "to"], sort=False)["value"].agg(["size", "sum"])
    counts = grouped["size"].unstack(fill_value=0).reindex(index=rows, columns=columns, fill_value=0).astype(
        np.int64)
    sums = grouped["sum"].unstack(fill_value=0.0).reindex(index=rows, columns=columns, fill_value=0.0)
    for table in (counts, sums):
        table.index.name, table.columns.name = "from", "to"
    return Migration(counts=counts, value=sums, value_name=value_name, labels=tuple(labels))


def migration(con, dataset_id: int, from_as_of, to_as_of, by: str = "segment",
              value_column: str = "spend_last_365d", value: pd.Series | None = None,
              p_alive_from: pd.Series | None = None, p_alive_to: pd.Series | None = None,
              thresholds: LifecycleThresholds | None = None, monetary: str = "total") -> Migration:
    """Migration of RFM segments (``by="segment"``) or lifecycle stages (``by="stage"``) between two dates.

    Labels are computed from the features as of each date (so each side only
    sees data up to its date). The value that moved is ``value`` when given
    (e.g. CLV per customer), else ``value_column`` of the features at the later
    date (default: trailing-365-day net spend).
    """
    if by not in ("segment", "stage"):
        raise ValueError(f"by must be 'segment' or 'stage'; got {by!r}")
    start, end = _features.as_date(from_as_of), _features.as_date(to_as_of)
    if start >= end:
        raise ValueError(f"from_as_of ({start}) must be before to_as_of ({end})")
    earlier = _features.customer_features(con, dataset_id, start)
    later = _features.customer_features(con, dataset_id, end)
    if by == "segment":
        before = _labels(rfm_segments(earlier, monetary), "segment")
        after = _labels(rfm_segments(later, monetary), "segment")
        labels = SEGMENTS
    else:
        before = _labels(lifecycle_stages(earlier, p_alive_from, thresholds), "stage")
        after = _labels(lifecycle_stages(later, p_alive_to, thresholds), "stage")
        labels = STAGES
    if value is None:
        require_columns(later, (value_column,))
        value = later.set_index("customer_id")[value_column]
        value_name = value_column
    else:
        value_name = value.name
    return migration_matrix(before, after, value, labels=labels, value_name=value_name)


def _labels(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(frame[column].to_numpy(), index=frame["customer_id"].to_numpy(), name=column)
