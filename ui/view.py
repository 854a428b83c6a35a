"""What every analysis page is about: the dataset, the as-of date, the filtered customers, the value settings.

``current()`` reads them from session state (set in the sidebar and on the Customer value page);
``start(...)`` draws a page's title and the line that says which data, date, filters and model the
numbers describe, or an empty state when there is nothing to analyse yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from custlib import datasets
from custlib.filters import CustomerFilter
from custlib.valuation import MODEL_LABELS, ValueSettings

from . import auth, data, state, urlstate
from . import format as fmt
from .i18n import t


@dataclass(frozen=True)
class View:
    dataset: datasets.Dataset
    as_of: date
    first_date: date
    last_date: date
    customer_filter: CustomerFilter
    settings: ValueSettings

    @property
    def key(self) -> tuple[int, int]:
        return self.dataset.cache_key


def value_settings() -> ValueSettings:
    """How CLV is measured, as chosen on the Customer value page (weeks are the models' time unit)."""
    return ValueSettings(horizon_months=int(st.session_state[state.HORIZON]),
                         margin=float(st.session_state[state.MARGIN]),
                         annual_discount_rate=float(st.session_state[state.DISCOUNT]),
                         unit="week", model=st.session_state[state.MODEL])


def order_dates(dataset: datasets.Dataset) -> tuple[date, date] | None:
    """First and last order date of the dataset, or None when it has no transactions."""
    summary = data.dataset_summary(dataset)
    first, last = pd.Timestamp(summary.get("first_order_date")), pd.Timestamp(summary.get("last_order_date"))
    if pd.isna(first) or pd.isna(last):
        return None
    return first.date(), last.date()


def as_of(dataset: datasets.Dataset, bounds: tuple[date, date]) -> date:
    """The as-of date chosen for ``dataset``, kept within its order dates; by default the last order date."""
    chosen = st.session_state.get(state.AS_OF)
    if not chosen or st.session_state.get(state.AS_OF_DATASET) != dataset.dataset_id:
        return bounds[1]
    return min(max(chosen, bounds[0]), bounds[1])


def current() -> View | None:
    """The view of the active dataset, or None when there is no dataset with transactions."""
    if not st.session_state.get(state.URL_READ):
        # A link to a page, the first request of a freshly started server: Streamlit runs the page
        # without app.py (its pages/-folder mode, until app.py calls st.navigation once). Set up here.
        state.init()
        urlstate.read()
    dataset = data.active_dataset()
    if dataset is None:
        return None
    bounds = order_dates(dataset)
    if bounds is None:
        return None
    day = as_of(dataset, bounds)
    options = data.filter_options(dataset.cache_key, day)
    customer_filter = st.session_state.get(state.FILTERS, CustomerFilter()).restricted_to(options)
    return View(dataset, day, bounds[0], bounds[1], customer_filter, value_settings())


def filter_summary(customer_filter: CustomerFilter) -> str:
    """"Region: East China, North China; Channel: online" in the page's language, or "none"."""
    active = customer_filter.active()
    if not active:
        return t("scope_no_filters")
    return t("list_separator_major").join(t("scope_filter", name=t(f"filter_{name}"),
                                            values=t("list_separator").join(values)) for name, values in active.items())


def model_text(settings: ValueSettings, snapshot=None) -> str:
    """"BG/NBD + Gamma-Gamma, 12-month horizon, 30% margin, 10% annual discount"."""
    label = snapshot.model_label if snapshot is not None else MODEL_LABELS.get(settings.model, settings.model)
    return t("scope_model", model=label, horizon=settings.horizon_months, margin=fmt.percent(settings.margin, 0),
             discount=fmt.percent(settings.annual_discount_rate, 0))


def start(title_key: str, intro_key: str | None = None) -> View:
    """Title, intro and scope line of an analysis page; stops the page with an empty state when there is no data."""
    st.title(t(title_key))
    if intro_key:
        st.caption(t(intro_key))
    view = current()
    if view is None:
        dataset = data.active_dataset()
        message = t("page_no_data") if dataset is None else t("overview_no_transactions", dataset=dataset.name)
        st.info(message, icon=":material/info:")
        data_page_link()
        st.stop()
    show_scope(view, selected_count(view))
    return view


def data_page_link() -> None:
    """Where data come from: a link to the Data page for those who may import, a pointer to an analyst otherwise
    (the page is not in their navigation)."""
    if auth.allows("can_import_and_delete"):
        st.page_link("pages/data.py", label=t("overview_go_to_data"), icon=":material/upload:")
    else:
        st.caption(t("auth_ask_analyst"))


def show_scope(view: View, customers: int | None = None) -> None:
    """One line: dataset, as-of date, active filters (and how many customers they select)."""
    text = t("scope_line", dataset=view.dataset.name, as_of=fmt.day(view.as_of))
    if not view.customer_filter.is_empty:
        text += " " + t("scope_filters", filters=filter_summary(view.customer_filter))
    if customers is not None:
        text += " " + t("scope_customers", customers=fmt.number(customers))
    st.caption(text, help=t("scope_help"))


def selected_count(view: View) -> int:
    """Customers (with a purchase by the as-of date) that the filters select."""
    return data.selected_count(view.key, view.as_of, view.customer_filter)
