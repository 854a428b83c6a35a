"""Every page goes through app.py, even a link opened on a freshly started server.

Until app.py has called ``st.navigation`` once, Streamlit serves the scripts of a ``pages/`` folder
directly (its older multipage mode): a shared link to ``/simulator`` would then run the page without
the sidebar, the navigation or the shared settings. Each page calls :func:`through_app` first; when
app.py did not run in this session, the page hands its own path and the link's query string to app.py,
which opens that page again inside the navigation (``app.py`` reads :data:`PENDING`).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

ENTERED = "app_entered"          # set by app.py on every run of this session
PENDING = "app_pending_page"     # (page script relative to app.py, query parameters) to open after app.py


def through_app(page_file: str) -> None:
    if st.session_state.get(ENTERED):
        return
    script = Path(page_file).resolve()
    params = st.query_params.to_dict()
    st.session_state[PENDING] = (f"{script.parent.name}/{script.name}", params)
    st.switch_page("app.py", query_params=params or None)  # app.py reads the link's settings from them


def open_pending(allowed: list[str]) -> None:
    """In app.py, after st.navigation: go to the page a link asked for before app.py had run, if it is one
    of the ``allowed`` scripts (the pages in this user's navigation; the default page opens otherwise)."""
    st.session_state[ENTERED] = True
    pending = st.session_state.pop(PENDING, None)
    if pending and pending[0] in allowed:
        page, params = pending
        st.switch_page(page, query_params=params or None)
