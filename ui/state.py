"""Session-state keys, one place. Keys are prefixed by the page that owns them ("app_" = shared).

Shared settings (language, currency, dataset) are initialised by ``init()`` from ``app.py``
before any page runs, so every page can read them.
"""
from __future__ import annotations

import streamlit as st

from custlib.filters import CustomerFilter

# Shared settings, chosen in the sidebar (ui/sidebar.py; its widgets have keys "sidebar_*").
# The dataset a session looks at is its own (VIEW_DATASET_ID, from the sidebar or a link); custlib.datasets'
# is_active flag is only the default for sessions that chose none, an analyst's setting.
LANGUAGE = "app_language"          # "en" | "zh"
CURRENCY = "app_currency"          # a symbol from ui.format.CURRENCIES
SIDEBAR_ERROR = "app_sidebar_error"  # why the last dataset switch failed, shown once
AS_OF = "app_as_of"                # datetime.date chosen in the sidebar: the day every analysis is computed as of
AS_OF_DATASET = "app_as_of_dataset"  # dataset_id AS_OF was chosen for (another dataset starts at its last date)
FILTERS = "app_filters"            # custlib.filters.CustomerFilter: which customers the pages are about
URL_READ = "app_url_read"          # the query string has been read into the settings (once per session)
VIEW_DATASET_ID = "view_dataset_id"  # the dataset this session looks at (None: the default dataset)
# Who uses this session (ui/auth.py sets them on every run of app.py, before any page runs).
USER = "app_user"                  # custlib.access.User, or None while nobody is signed in
USER_NAME = "app_user_name"        # the name signed in with (password mode) or last seen in the proxy's header
ACCESS_MODE = "app_access_mode"    # "single-user" | "password" | "header" (custlib.access.MODES)
ACCESS_REFUSAL_LOGGED = "app_access_refusal_logged"  # header mode: a refused user was written to the audit log
# How value is measured (custlib.valuation.ValueSettings), chosen on the Customer value page, used by every page.
HORIZON = "app_horizon_months"     # int, months
MARGIN = "app_margin"              # float, gross margin as a fraction of spend
DISCOUNT = "app_discount_rate"     # float, annual discount rate
MODEL = "app_purchase_model"       # "bgnbd" | "mbgnbd" | "pareto_nbd" | "auto"

# Data page: state that outlives one run (widget keys are written inline, prefixed "data_").
AUDITED_EVENTS = "audited_events"   # (action, token) of this session's view events already in the audit log
SIGN_IN_LOCK_LOGGED = "sign_in_lock_logged"  # this session's refusal for a lockout is in the audit log
# Password mode (ui/password_session.py): the sign-in's secret, the browser that signed in (a hash of its
# XSRF cookie), a ticket the page still has to hand to the browser, and why the last sign-in ended.
SIGN_IN_SECRET = "sign_in_secret"
SIGN_IN_BROWSER = "sign_in_browser"
SIGN_IN_TICKET = "sign_in_ticket"
SIGNED_OUT_IDLE = "signed_out_idle"
DATA_UPLOAD_FILE = "data_upload_file"      # (file_id, temp path) of the last upload written to disk
DATA_SIGNATURE = "data_mapping_signature"  # what the mapping widgets were last filled for
DATA_DECISION = "data_decision"            # a pending NeedsDecision: {"option", "choices", "message"}
DATA_RESULT = "data_import_result"         # the last import's outcome, shown after the rerun
DATA_IMPORTED_INTO = "data_imported_into"  # dataset of the last import: the form targets it next
DATA_FLASH = "data_flash"                  # one-off message after a dataset action

DEFAULTS = {
    LANGUAGE: "en",
    CURRENCY: "¥",
    HORIZON: 12,
    MARGIN: 0.30,
    DISCOUNT: 0.10,
    MODEL: "bgnbd",
}


def init() -> None:
    """Give every shared setting its default value once per session."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault(FILTERS, CustomerFilter())


def pop(key: str, default=None):
    """Read a one-off value and forget it."""
    return st.session_state.pop(key, default)


def signed_in_role():
    """The custlib.access.Role of whoever uses this session, or None while nobody is signed in."""
    user = st.session_state.get(USER)
    return user.role if user is not None else None
