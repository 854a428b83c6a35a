"""Customer Value Studio: the entrypoint. Page config, shared state, sidebar, navigation.

Run with ``streamlit run app.py`` (the database is $CUSTLIB_DB, default data/studio.duckdb).
"""
from __future__ import annotations

import streamlit as st

from ui import entry, sidebar, state, urlstate
from ui.i18n import t

# One line per page: (audience section, script, title key, icon). Sections appear in this order;
# the first page is the default. List only pages that exist.
PAGES = [
    ("nav_management", "pages/overview.py", "nav_overview", ":material/monitoring:"),
    ("nav_marketing", "pages/segments.py", "nav_segments", ":material/donut_small:"),
    ("nav_marketing", "pages/retention.py", "nav_retention", ":material/autorenew:"),
    ("nav_marketing", "pages/simulator.py", "sim_nav", ":material/balance:"),
    ("cap_nav_section", "pages/capacity.py", "cap_nav", ":material/groups:"),
    ("cap_nav_section", "pages/at_risk.py", "risk_nav", ":material/person_alert:"),
    ("cap_nav_section", "pages/customer_profile.py", "profile_nav", ":material/person_search:"),
    ("nav_analysts", "pages/customer_value.py", "nav_customer_value", ":material/savings:"),
    ("nav_analysts", "pages/data.py", "nav_data", ":material/database:"),
]

st.set_page_config(page_title="Customer Value Studio", page_icon=":material/insights:", layout="wide")
state.init()
urlstate.read()  # a shared link's settings, before anything is drawn in its language

sections: dict[str, list[st.Page]] = {}
for number, (section, script, title, icon) in enumerate(PAGES):
    sections.setdefault(t(section), []).append(st.Page(script, title=t(title), icon=icon, default=number == 0))
page = st.navigation(sections)
entry.open_pending()

sidebar.draw()
page.run()
