"""Which customers a dashboard view is about: the sidebar's filters, and safe CSV export of a selection.

What it answers: given the values chosen for region, channel, industry, company size, account
manager and acquisition cohort, which customers match? Every page then computes its numbers over
those customers only (the purchase and spend models are still fitted once on everybody, so a
customer's CLV does not depend on the view; see ui/data.py).

How a customer matches (the choice, and why):

* **region, industry, company size, account manager** are attributes of the *customer*, taken from
  the customers table (its latest record). Region falls back to the region of the customer's earliest
  order line that names one when the customers table has none -- the one rule of
  ``sql/int/int_customer_regions.sql``, which every page reads, so a customer has exactly one region
  and group shares add up to 100%.
* **channel** is an attribute of *orders*: customers buy online and in store. A customer matches a
  channel when they made at least one purchase (a line with amount >= 0) in it on or before the
  as-of date. The page numbers then cover *all* purchases of the matching customers, not only the
  channel's: the filter chooses customers, never lines.
* **acquisition cohort** is the calendar quarter of the customer's first purchase day ("2024-Q3").

Several values of one filter are alternatives (OR); different filters must all hold (AND). A
customer with no value for a filtered attribute does not match it. Only customers with a purchase
on or before the as-of date are listed (a customer with only returns has no cohort).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from . import db
from .contracts import checked
from .features import as_date

#: The filters, in the order the sidebar shows them (also their query-string names).
FILTER_FIELDS: tuple[str, ...] = ("region", "channel", "industry", "company_size", "account_manager", "cohort")

#: Column contract of ``mart_page_customer_attributes.sql`` (one row per customer).
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("customer_id", "region", "industry", "company_size", "account_manager",
                                      "channels", "first_purchase_date", "cohort")

@dataclass(frozen=True)
class CustomerFilter:
    """The chosen values of each filter; an empty tuple means "any". Hashable, so results can be cached by it."""
    region: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    company_size: tuple[str, ...] = ()
    account_manager: tuple[str, ...] = ()
    cohort: tuple[str, ...] = ()

    def __post_init__(self):  # any iterable (or one string) -> a sorted tuple of distinct values
        for item in fields(self):
            value = getattr(self, item.name)
            object.__setattr__(self, item.name, tuple(sorted({value} if isinstance(value, str) else set(value))))

    @property
    def is_empty(self) -> bool:
        """True when no filter is set: every customer is selected."""
        return not any(self.active().values())

    def active(self) -> dict[str, tuple[str, ...]]:
        """The filters that are set, in FILTER_FIELDS order: {name: values}."""
        return {name: getattr(self, name) for name in FILTER_FIELDS if getattr(self, name)}

    def restricted_to(self, options: dict[str, list[str]]) -> "CustomerFilter":
        """The same filter without values that ``options`` (from :func:`filter_options`) no longer has."""
        return CustomerFilter(**{name: tuple(v for v in getattr(self, name) if v in set(options.get(name, ())))
                                 for name in FILTER_FIELDS})


def customer_attributes(con, dataset_id: int, as_of) -> pd.DataFrame:
    """One row per customer with a purchase on or before ``as_of``: the attributes filters select on.

    Columns :data:`ATTRIBUTE_COLUMNS`; ``channels`` is a list of the channels the customer bought in,
    ``cohort`` the quarter of the first purchase as text ("2024-Q3").
    """
    frame = db.query(con, "mart_page_customer_attributes", dataset_id=int(dataset_id), as_of=as_date(as_of))
    return checked(frame, ATTRIBUTE_COLUMNS, "mart_page_customer_attributes")


def filter_options(attributes: pd.DataFrame) -> dict[str, list[str]]:
    """The values each filter can take in ``attributes``: {filter name: sorted distinct values}."""
    options = {}
    for name in FILTER_FIELDS:
        column = attributes["channels"].explode() if name == "channel" else attributes[name]
        options[name] = sorted(str(v) for v in column.dropna().unique())
    return options


def matching_customers(attributes: pd.DataFrame, customer_filter: CustomerFilter) -> np.ndarray | None:
    """Sorted ids of the customers in ``attributes`` that match every set filter; None when no filter is set.

    None means "everybody" (queries then read all customers instead of a list of all their ids).
    """
    if customer_filter.is_empty:
        return None
    keep = np.ones(len(attributes), dtype=bool)
    for name, values in customer_filter.active().items():
        if name == "channel":
            wanted = set(values)
            keep &= attributes["channels"].map(lambda bought: bool(wanted.intersection(bought))).to_numpy(bool)
        else:
            keep &= attributes[name].isin(values).to_numpy(bool)
    return np.sort(attributes["customer_id"].to_numpy()[keep].astype(str))


# --- export -----------------------------------------------------------------------------------------
