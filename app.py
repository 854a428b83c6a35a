"""Customer Value Studio: the entrypoint. Page config, shared state, sign-in, sidebar, navigation.

Run with ``streamlit run app.py`` (the database is $CUSTLIB_DB, default data/studio.duckdb). Who may
use it, and with which role, is set in .streamlit/secrets.toml or the environment (ui/auth.py).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import auth, data, entry, sidebar, state, urlstate
from ui.i18n import t

# One line per page: (audience section, script, title key, icon, permission needed to open it or None).
# Sections appear in this order; the first page is the default (every role may open it). List only
# pages that exist. Pages listing single customers also check the permission themselves (ui.auth.require).
PAGES = [
    ("nav_management", "pages/overview.py", "nav_overview", ":material/monitoring:", None),
    ("nav_marketing", "pages/segments.py", "nav_segments", ":material/donut_small:", None),
    ("nav_marketing", "pages/retention.py", "nav_retention", ":material/autorenew:", None),
    ("nav_marketing", "pages/simulator.py", "sim_nav", ":material/balance:", None),
    ("cap_nav_section", "pages/capacity.py", "cap_nav", ":material/groups:", None),
    ("cap_nav_section", "pages/at_risk.py", "risk_nav", ":material/person_alert:", "can_see_customer_rows"),
    ("cap_nav_section", "pages/customer_profile.py", "profile_nav", ":material/person_search:",
     "can_see_customer_rows"),
    ("nav_analysts", "pages/customer_value.py", "nav_customer_value", ":material/savings:", None),
    ("nav_analysts", "pages/data.py", "nav_data", ":material/database:", "can_import_and_delete"),
]

st.set_page_config(page_title="Customer Value Studio", page_icon=":material/insights:", layout="wide")
state.init()
urlstate.read()  # a shared link's settings, before anything is drawn in its language

user = auth.current_user()
if user is None:  # the sign-in form, or why this session may not use the studio: no page, no data
    with st.sidebar:
        sidebar.language()
    # Every page's address shows the form, so a shared link neither meets "Page not found" nor loses
    # its page: once signed in, the same address opens the page itself (when the role may open it).
    gate = [st.Page(auth.sign_in_page, title=t("auth_title"), icon=":material/login:", default=True)]
    gate += [st.Page(auth.sign_in_page, title=t("auth_title"), url_path=Path(script).stem) for _, script, *_ in PAGES[1:]]
    st.navigation(gate, position="hidden").run()
    st.stop()

sections: dict[str, list[st.Page]] = {}
allowed = [line for line in PAGES if line[4] is None or user.role.allows(line[4])]
for number, (section, script, title, icon, _) in enumerate(allowed):
    sections.setdefault(t(section), []).append(st.Page(script, title=t(title), icon=icon, default=number == 0))
# A link to a page this role may not open reaches that page, hidden from the menu, whose own check
# (ui.auth.require) says so and logs it, instead of Streamlit's "page not found".
for section, script, title, icon, _ in (line for line in PAGES if line not in allowed):
    sections[t(section)] = sections.get(t(section), []) + [st.Page(script, title=t(title), icon=icon,
                                                                   visibility="hidden")]
page = st.navigation(sections)
entry.open_pending([script for _, script, *_ in allowed])

sidebar.draw()
data.sweep_waiting_uploads()  # upload copies of sessions that have ended
page.run()
