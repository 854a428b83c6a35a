"""The sidebar every page shares: who is signed in, active dataset, as-of date, customer filters, language,
currency.

The settings live in their own session-state keys (ui.state); the widgets have keys of their
own and copy their value into the setting when changed. So a setting survives any run in
which the sidebar is not drawn (Streamlit forgets the state of widgets it did not draw).
The settings are also written to the URL (ui.urlstate), so a view can be shared as a link.
"""
from __future__ import annotations

import streamlit as st

from custlib import audit
from custlib.errors import CustlibError
from custlib.filters import FILTER_FIELDS, CustomerFilter

from . import auth, data, state, urlstate, view
from .format import CURRENCIES
from .i18n import LANGUAGES, error_text, t

DATASET_WIDGET, LANGUAGE_WIDGET, CURRENCY_WIDGET = "sidebar_dataset", "sidebar_language", "sidebar_currency"
AS_OF_WIDGET = "sidebar_as_of"
FILTER_WIDGETS = {name: f"sidebar_filter_{name}" for name in FILTER_FIELDS}


def _switch_dataset() -> None:
    try:
        data.view_dataset(st.session_state[DATASET_WIDGET])  # this session only
    except CustlibError as exc:
        st.session_state[state.SIDEBAR_ERROR] = error_text(exc)
        return
    chosen = data.active_dataset()
    audit.log(data.get_conn(), auth.actor(), "switch_dataset", dataset=chosen)


def _copy(widget_key: str, setting_key: str) -> None:
    st.session_state[setting_key] = st.session_state[widget_key]


def _set_as_of(dataset_id: int) -> None:
    st.session_state[state.AS_OF] = st.session_state[AS_OF_WIDGET]
    st.session_state[state.AS_OF_DATASET] = dataset_id


def _set_filters() -> None:
    st.session_state[state.FILTERS] = CustomerFilter(**{name: tuple(st.session_state.get(key) or ())
                                                        for name, key in FILTER_WIDGETS.items()})


def _clear_filters() -> None:
    st.session_state[state.FILTERS] = CustomerFilter()


def _filters(current: view.View) -> None:
    options = data.filter_options(current.key, current.as_of)
    chosen = current.customer_filter
    label = t("sidebar_filters") + (f" ({len(chosen.active())})" if not chosen.is_empty else "")
    with st.expander(label, expanded=not chosen.is_empty, icon=":material/filter_alt:"):
        st.caption(t("sidebar_filters_help"))
        for name, key in FILTER_WIDGETS.items():
            st.session_state[key] = list(getattr(chosen, name))
            st.multiselect(t(f"filter_{name}"), options[name], key=key, on_change=_set_filters,
                           placeholder=t("filter_any"), disabled=not options[name],
                           help=t(f"filter_{name}_help"))
        st.button(t("sidebar_clear_filters"), key="sidebar_clear_filters", on_click=_clear_filters,
                  disabled=chosen.is_empty, icon=":material/filter_alt_off:")


def language() -> None:
    """The language selector (also on the sign-in page, before anyone is signed in)."""
    st.session_state[LANGUAGE_WIDGET] = st.session_state[state.LANGUAGE]
    st.selectbox(t("sidebar_language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                 key=LANGUAGE_WIDGET, on_change=_copy, args=(LANGUAGE_WIDGET, state.LANGUAGE))


def draw() -> None:
    current = None
    with st.sidebar:
        auth.user_box()
        if error := state.pop(state.SIDEBAR_ERROR):
            st.error(error)
        active = data.active_dataset()
        if active is None:
            st.caption(t("sidebar_no_data"))
        else:
            st.session_state[DATASET_WIDGET] = active.name  # a rename or deletion elsewhere may have changed it
            st.selectbox(t("sidebar_dataset"), [d.name for d in data.datasets()], key=DATASET_WIDGET,
                         on_change=_switch_dataset, help=t("sidebar_dataset_help"))
            current = view.current()
        if current is not None:
            st.session_state[AS_OF_WIDGET] = current.as_of
            st.date_input(t("sidebar_as_of"), min_value=current.first_date, max_value=current.last_date,
                          key=AS_OF_WIDGET, on_change=_set_as_of, args=(current.dataset.dataset_id,),
                          format="YYYY-MM-DD", help=t("sidebar_as_of_help", last=current.last_date.isoformat()))
            _filters(current)
        language()
        st.session_state[CURRENCY_WIDGET] = st.session_state[state.CURRENCY]
        st.selectbox(t("sidebar_currency"), CURRENCIES, key=CURRENCY_WIDGET, help=t("sidebar_currency_help"),
                     on_change=_copy, args=(CURRENCY_WIDGET, state.CURRENCY))
    urlstate.write(current)
