"""Sign-in and roles in the running app: single-user by default; in password mode only the sign-in form until
someone signs in; executives see aggregate pages only, marketing sees contact details masked on pages and in
downloads, analysts see everything; refusals, sign-out and downloads are in the audit log."""
from __future__ import annotations

import re

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from custlib import access, audit, throttle

from tests.app.conftest import APP
from ui import format as fmt

PASSWORD = "Tea for two, 2 for tea"
HASH = access.hash_password(PASSWORD)
USERS = {"boss": "executive", "li": "marketing", "wang": "analyst"}
SECRETS = {"mode": "password", "users": {name: {"role": role, "password": HASH} for name, role in USERS.items()}}
EVERY_PAGE = ["Overview", "Segments", "Retention & lifecycle", "Promotion vs loyalty", "Capacity",
              "At-risk customers", "Customer profile", "Customer value", "Data"]
AGGREGATE_PAGES = ["Overview", "Segments", "Retention & lifecycle", "Promotion vs loyalty", "Capacity",
                   "Customer value"]
SEGMENTS = "pages/segments.py"
MASKED_EMAIL = re.compile(r"^.\*\*\*@\S+$")
# Before sign-in every page's address leads to the form (a shared link keeps its page): one form per page.
ONLY_THE_FORM = ["Sign in"] * len(EVERY_PAGE)


@pytest.fixture
def navigation(monkeypatch):
    """The titles of the pages in the menu app.py passed to st.navigation on its last run (AppTest does not
    show the menu; pages a role may not open are passed hidden, so that a link meets their refusal)."""
    offered: list[list[str]] = []
    real = st.navigation

    def spy(pages, *args, **kwargs):
        groups = pages.values() if isinstance(pages, dict) else [pages]
        offered.append([page.title for group in groups for page in group if page.visibility == "visible"])
        return real(pages, *args, **kwargs)
    monkeypatch.setattr(st, "navigation", spy)
    return lambda: offered[-1]


@pytest.fixture
def downloads(monkeypatch):
    """The files the page's download buttons would make when clicked: {file name: function making it}.

    Streamlit registers a download's callable with its media file manager and calls it on click; AppTest
    cannot click through to it, so the registration is observed here and the test calls the function.
    """
    registered = {}
    real = MediaFileManager.add_deferred

    def remember(self, data_callable, *args, **kwargs):
        registered[kwargs.get("file_name")] = data_callable
        return real(self, data_callable, *args, **kwargs)
    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return registered


def studio(secrets: dict | None = SECRETS) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if secrets is not None:
        at.secrets["access"] = secrets
    return at.run()


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="auth_user").input(name)
    at.text_input(key="auth_password").input(password)
    at.button(key="auth_submit").click().run()
    assert not at.exception
    return at


def members(at):
    return next((df.value for df in at.dataframe if "Customer id" in df.value.columns), None)


def actions(con) -> list[tuple]:
    return [(e["action"], e["user_name"], e["role"]) for e in reversed(audit.entries(con, limit=100))
            if e["action"] != "import"]


def test_single_user_mode_is_the_default_and_the_local_user_is_an_analyst(demo, start_app, navigation):
    at = start_app()
    assert at.title[0].value == "Overview" and navigation() == EVERY_PAGE
    assert not at.text_input and not [b for b in at.sidebar.button if b.key == "auth_sign_out"]
    assert not [c for c in at.sidebar.caption if c.value.startswith("Signed in as")]
    at.switch_page(SEGMENTS).run()
    assert not members(at)["Email"].str.match(MASKED_EMAIL).any()


def test_password_mode_shows_only_the_sign_in_form(demo, navigation):
    at = studio()
    assert at.title[0].value == "Sign in"
    assert navigation() == ONLY_THE_FORM
    assert [w.label for w in at.text_input] == ["User name", "Password"]
    assert not at.metric and not at.dataframe
    at.sidebar.selectbox(key="sidebar_language").set_value("zh").run()
    assert at.title[0].value == "登录"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(demo, open_db):
    at = studio()
    sign_in(at, "li", "tea for two")
    wrong_password = at.error[0].value
    sign_in(at, "nobody", PASSWORD)
    assert at.error[0].value == wrong_password == ("The user name or password is not right. Try again, or ask "
                                                   "your administrator.")
    assert at.title[0].value == "Sign in" and not at.metric
    assert actions(open_db()) == [("login_failed", "li", None), ("login_failed", "nobody", None)]


def test_executive_sees_aggregate_pages_only_and_no_customer_rows(demo, navigation, open_db):
    at = sign_in(studio(), "boss")
    assert at.title[0].value == "Overview" and at.metric
    assert navigation() == AGGREGATE_PAGES
    assert "Signed in as boss · Executive" in [c.value for c in at.sidebar.caption]
    at.switch_page(SEGMENTS).run()
    assert at.title[0].value == "Segments" and members(at) is None
    assert "Lists of single customers are not shown to your role (Executive)" in at.caption[-1].value
    assert not at.get("download_button")
    at.switch_page("pages/customer_value.py").run()
    assert members(at) is None
    # A link to a page outside the executive's navigation: the page itself refuses.
    at.switch_page("pages/customer_profile.py").run()
    assert at.error[0].value.startswith("Your role (Executive) may not open this page")
    assert not at.dataframe and not at.text_input
    at.run()  # the same refusal again is not a new event
    # the refused page is logged (issue 14, row 12), once per session
    assert actions(open_db()) == [("login", "boss", "executive"), ("refused", "boss", "executive")]


def test_marketing_sees_contact_details_masked_on_the_page_and_in_the_download(demo, navigation, downloads,
                                                                               open_db):
    at = sign_in(studio(), "li")
    assert navigation() == [page for page in EVERY_PAGE if page != "Data"]
    at.switch_page(SEGMENTS).run()
    shown = members(at)
    assert shown["Email"].str.match(MASKED_EMAIL).all()
    assert shown["Name"].str.fullmatch(r".\*\*").all()
    assert "masked for your role (Marketing)" in at.caption[-1].value
    file_name = next(name for name in downloads if name.startswith("demo_Champions_"))
    csv = downloads[file_name]().decode("utf-8-sig").splitlines()
    assert csv[0].startswith("Customer id,Name,Email")
    emails = [line.split(",")[2] for line in csv[1:]]
    assert len(emails) == len(shown) and all(MASKED_EMAIL.match(email) for email in emails)
    [export] = [e for e in audit.entries(open_db()) if e["action"] == "export"]
    assert (export["user_name"], export["role"], export["dataset_name"]) == ("li", "marketing", "demo")
    assert export["detail"] == {"export": "segment members", "file_name": file_name, "rows": len(shown)}


def test_marketing_cannot_find_a_customer_by_their_real_name(demo, open_db):
    con = open_db()
    customer = con.execute("select customer_id, name from customers order by customer_id limit 1").fetchall()[0]
    con.close()
    at = sign_in(studio(), "li")
    at.switch_page("pages/customer_profile.py").run()
    at.text_input(key="profile_search").input(customer[1]).run()
    assert at.warning[0].value == f"No customer id contains “{customer[1]}”."
    at.text_input(key="profile_search").input(customer[0]).run()
    # the heading is markdown with the name's characters escaped: it shows as "张** · C000001"
    assert at.subheader[0].value == fmt.plain(f"{customer[1][0]}** · {customer[0]}")
    at.switch_page("pages/data.py").run()
    assert at.error[0].value.startswith("Your role (Marketing) may not open this page")


def test_analyst_sees_everything_unmasked(demo, navigation, downloads):
    at = sign_in(studio(), "wang")
    assert navigation() == EVERY_PAGE
    at.switch_page(SEGMENTS).run()
    shown = members(at)
    assert not shown["Email"].str.match(MASKED_EMAIL).any()
    csv = next(make for name, make in downloads.items() if name.startswith("demo_"))().decode("utf-8-sig")
    assert shown["Email"].iloc[0] in csv
    at.switch_page("pages/data.py").run()
    assert at.title[0].value == "Data" and not at.error
    log = next(df.value for df in at.dataframe if "Action" in df.value.columns)  # the audit log, newest first
    assert log[["Action", "User", "Role", "Through"]].values.tolist()[:2] == [
        ["Export", "wang", "Analyst", "App"], ["Sign-in", "wang", "Analyst", "App"]]
    assert log["Action"].tolist()[-1] == "Import" and log["Dataset"].tolist()[-1] == "demo"  # the demo load


def test_sign_out_returns_to_the_form_and_is_logged(demo, open_db):
    at = sign_in(studio(), "wang")
    at.sidebar.button(key="auth_sign_out").click().run()
    assert at.title[0].value == "Sign in" and not at.metric
    assert actions(open_db()) == [("login", "wang", "analyst"), ("logout", "wang", "analyst")]


def test_a_broken_configuration_lets_nobody_in(demo, navigation):
    at = studio({"mode": "passwords", "users": SECRETS["users"]})
    assert navigation() == ONLY_THE_FORM and not at.text_input and not at.metric
    assert "access.mode is 'passwords'; choose single-user, password, header" in at.error[0].value


def test_header_mode_without_the_proxy_header_refuses(demo, navigation):
    at = studio({"mode": "header", "header": "X-Forwarded-User", "default_role": "executive"})
    assert navigation() == ONLY_THE_FORM and not at.metric
    assert "header X-Forwarded-User" in at.error[0].value


def test_settings_from_the_environment(demo, monkeypatch):
    monkeypatch.setenv("CUSTLIB_ACCESS_MODE", "password")
    monkeypatch.setenv("CUSTLIB_ACCESS_USERS", f"boss=executive:{HASH}")
    at = studio(secrets=None)
    assert at.title[0].value == "Sign in"
    sign_in(at, "boss")
    assert "Signed in as boss · Executive" in [c.value for c in at.sidebar.caption]


def test_every_role_action_and_way_in_has_words_in_both_languages():
    from ui.i18n import TEXT
    keys = ({f"role_{role}" for role in access.ROLES} | {f"audit_action_{action}" for action in audit.ACTIONS}
            | {f"audit_via_{via}" for via in audit.VIAS})
    assert sorted(keys - set(TEXT)) == []


@pytest.mark.parametrize("name, may_save", [("boss", False), ("li", True), ("wang", True)])
def test_saving_plans_is_a_permission_of_its_own(demo, name, may_save):
    """Executives read the capacity plan and the simulator but cannot save either; marketing and analysts can."""
    at = sign_in(studio(), name)
    for page, button in (("pages/capacity.py", "cap_save"), ("pages/simulator.py", "sim_save")):
        at.switch_page(page).run()
        assert not at.exception
        assert at.button(key=button).disabled is (not may_save)
        note = "Your role may read plans but not save them"
        assert any(c.value.startswith(note) for c in at.caption) is (not may_save)


def test_many_wrong_passwords_lock_the_user_name_before_any_hash_is_checked(demo, open_db):
    """Issue 14, row 9: 16 wrong passwords, then the right one, was accepted, and each try cost a hash."""
    at = studio()
    for _ in range(throttle.SignInThrottle().free_failures):
        sign_in(at, "wang", "wrong")
        assert "The user name or password is not right" in at.error[0].value
    for _ in range(10):
        sign_in(at, "wang", "still wrong")
        assert "Too many failed sign-ins" in at.error[0].value
    sign_in(at, "wang")  # the right password, while locked: still refused
    assert at.title[0].value == "Sign in" and "Too many failed sign-ins" in at.error[0].value
    logged = [e["action"] for e in audit.entries(open_db(), 100) if e["user_name"] == "wang"]
    assert logged.count("login_failed") == 5 and logged.count("login_locked") == 1 and "login" not in logged


def test_profile_views_and_dataset_switches_are_logged_once_and_the_log_can_be_filtered(demo, open_db):
    """Issue 14, row 12: profile views and dataset switches were not logged, and a flood of failed sign-ins
    pushed real events out of the Data page's newest 200."""
    from custlib import datasets
    con = open_db()
    for n in range(300):
        audit.log(con, audit.Actor(f"flood{n}", None, "app"), "login_failed")
    con.close()
    at = sign_in(studio(), "li")
    at.switch_page("pages/customer_profile.py").run()
    assert not at.exception
    shown = at.selectbox(key="profile_customer").value
    at.run()
    viewed = [e for e in audit.entries(open_db(), 50) if e["action"] == "view_profile"]
    assert [(e["user_name"], e["detail"]["customer_id"]) for e in viewed] == [("li", shown)]
    at = sign_in(studio(), "wang")
    at.switch_page("pages/data.py").run()
    at.multiselect(key="audit_filter_actions").set_value(["view_profile"]).run()
    log = next(df.value for df in at.dataframe if "Action" in df.value.columns)
    assert log["Action"].tolist() == ["Profile viewed"] and log["User"].tolist() == ["li"]
    at.multiselect(key="audit_filter_actions").set_value([]).run()
    at.text_input(key="audit_filter_user").input("LI").run()
    log = next(df.value for df in at.dataframe if "Action" in df.value.columns)
    assert set(log["User"]) == {"li"} and "Sign-in" in log["Action"].tolist()
    assert datasets.get_dataset(open_db()).name == "demo"


def test_a_password_sign_in_ends_after_the_idle_time(demo, open_db):
    """Issue 14, row 8: password mode had no idle timeout."""
    import time
    at = sign_in(studio({**SECRETS, "idle_minutes": 0.02}), "wang")  # 1.2 s without a click
    assert at.title[0].value == "Overview"
    at.switch_page(SEGMENTS).run()
    assert at.title[0].value == "Segments"  # a click in time keeps the sign-in
    time.sleep(1.5)
    at.switch_page("app.py").run()
    assert at.title[0].value == "Sign in" and "without a click" in at.info[0].value
    ended = [e for e in audit.entries(open_db(), 20) if e["action"] == "logout"]
    assert ended and ended[0]["user_name"] == "wang" and "0.02 minutes" in ended[0]["detail"]["reason"]
    sign_in(at, "wang")
    assert at.title[0].value == "Overview"
