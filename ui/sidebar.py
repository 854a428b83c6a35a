"""The sidebar every page shares: active dataset, language, currency.

The settings live in their own session-state keys (ui.state); the widgets have keys of their
own and copy their value into the setting when changed. So a setting survives any run in
which the sidebar is not drawn (Streamlit forgets the state of widgets it did not draw).
"""
from __future__ import annotations

import streamlit as st

from custlib import db
from custlib.errors import CustlibError

from . import data, state
from .format import CURRENCIES
from .i18n import LANGUAGES, t

DATASET_WIDGET, LANGUAGE_WIDGET, CURRENCY_WIDGET = "sidebar_dataset", "sidebar_language", "sidebar_currency"


def _switch_dataset() -> None:
    try:
        db.set_active(data.get_conn(), st.session_state[DATASET_WIDGET])
    except CustlibError as exc:
        st.session_state[state.SIDEBAR_ERROR] = str(exc)


def _copy(widget_key: str, setting_key: str) -> None:
    st.session_state[setting_key] = st.session_state[widget_key]


def draw() -> None:
    with st.sidebar:
        if error := state.pop(state.SIDEBAR_ERROR):
            st.error(error)
        active = data.active_dataset()
        if active is None:
            st.caption(t("sidebar_no_data"))
        else:
            # The database says which dataset is active (an import or the Data page may have changed it).
            st.session_state[DATASET_WIDGET] = active.name
            st.selectbox(t("sidebar_dataset"), [d.name for d in data.datasets()], key=DATASET_WIDGET,
                         on_change=_switch_dataset, help=t("sidebar_dataset_help"))
        st.session_state[LANGUAGE_WIDGET] = st.session_state[state.LANGUAGE]
        st.selectbox(t("sidebar_language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                     key=LANGUAGE_WIDGET, on_change=_copy, args=(LANGUAGE_WIDGET, state.LANGUAGE))
        st.session_state[CURRENCY_WIDGET] = st.session_state[state.CURRENCY]
        st.selectbox(t("sidebar_currency"), CURRENCIES, key=CURRENCY_WIDGET, help=t("sidebar_currency_help"),
                     on_change=_copy, args=(CURRENCY_WIDGET, state.CURRENCY))
