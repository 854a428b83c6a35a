"""The shared settings in the URL's query string, so that a view can be sent as a link.

``read()`` runs once per session, before the first page is drawn, and copies the link's settings
into session state; ``write(view)`` runs at the end of every run and puts the current settings in
the address bar. Session state stays the one truth while the session lasts.

Query string: ``lang``, ``currency``, ``dataset``, ``as_of`` (YYYY-MM-DD), one parameter per filter
(repeated for several values: ``region=East China&region=North China``), and the value settings
``horizon`` (months), ``margin`` and ``discount`` (fractions) and ``model``. Values that are not
valid are ignored. A link's dataset becomes the dataset of the session that opens it (of no other).
"""
from __future__ import annotations

from datetime import date

import streamlit as st

from custlib.filters import FILTER_FIELDS, CustomerFilter
from custlib.valuation import PURCHASE_MODELS

from . import data, state
from .format import CURRENCIES
from .i18n import LANGUAGES

MODELS = (*PURCHASE_MODELS, "auto")
HORIZONS = (3, 6, 12, 24, 36, 60)


def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high else None


def read() -> None:
    """Copy the link's settings into session state, once per session."""
    if st.session_state.get(state.URL_READ):
        return
    st.session_state[state.URL_READ] = True
    params = st.query_params
    if params.get("lang") in LANGUAGES:
        st.session_state[state.LANGUAGE] = params["lang"]
    if params.get("currency") in CURRENCIES:
        st.session_state[state.CURRENCY] = params["currency"]
    if (model := params.get("model")) in MODELS:
        st.session_state[state.MODEL] = model
    if (horizon := _number(params.get("horizon"), 1, 120)) is not None and int(horizon) in HORIZONS:
        st.session_state[state.HORIZON] = int(horizon)
    if (margin := _number(params.get("margin"), 0.01, 1.0)) is not None:
        st.session_state[state.MARGIN] = margin
    if (discount := _number(params.get("discount"), 0.0, 0.5)) is not None:
        st.session_state[state.DISCOUNT] = discount
    st.session_state[state.FILTERS] = CustomerFilter(**{name: tuple(params.get_all(name))
                                                        for name in FILTER_FIELDS})
    linked = next((d for d in data.datasets() if d.name == params.get("dataset")), None)
    if linked is not None:
        st.session_state[state.VIEW_DATASET_ID] = linked.dataset_id
    else:
        linked = data.active_dataset()
    if linked is not None and (text := params.get("as_of")):
        try:
            st.session_state[state.AS_OF] = date.fromisoformat(text)
            st.session_state[state.AS_OF_DATASET] = linked.dataset_id
        except ValueError:
            pass


def write(view) -> None:
    """Put the current settings in the address bar: the dataset, and every setting that is not its default.

    The address is rewritten only when it differs, so browser history is not flooded.
    """
    wanted: dict[str, str | list[str]] = {key: st.session_state[setting] for key, setting in
                                          (("lang", state.LANGUAGE), ("currency", state.CURRENCY))
                                          if st.session_state[setting] != state.DEFAULTS[setting]}
    if view is not None:
        wanted["dataset"] = view.dataset.name
        if view.as_of != view.last_date:
            wanted["as_of"] = view.as_of.isoformat()
        for name, values in view.customer_filter.active().items():
            wanted[name] = list(values)
        settings = view.settings
        defaults = state.DEFAULTS
        for key, setting, value in (("horizon", state.HORIZON, settings.horizon_months),
                                    ("margin", state.MARGIN, settings.margin),
                                    ("discount", state.DISCOUNT, settings.annual_discount_rate),
                                    ("model", state.MODEL, settings.model)):
            if value != defaults[setting]:
                wanted[key] = f"{value:g}" if isinstance(value, float) else str(value)
    current = {key: (st.query_params.get_all(key) if key in FILTER_FIELDS else st.query_params.get(key))
               for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)
