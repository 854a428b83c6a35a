"""Sign-in in a real browser: password mode, an executive's menu, a marketer's masked member list."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from custlib import access

from .conftest import _serve, demo_database

pytestmark = pytest.mark.e2e

LOAD = 30_000  # ms: the first run of a page, including Python imports
PASSWORDS = {"erin": "exec-pass-1", "mark": "mkt-pass-2"}


@pytest.fixture(scope="module")
def password_url(tmp_path_factory):
    """The studio over a small demo company, with two users who sign in by password."""
    path = demo_database(tmp_path_factory.mktemp("access") / "access.duckdb", n_customers=1_000, seed=3)
    users = ",".join([f"erin=executive:{access.hash_password(PASSWORDS['erin'])}",
                      f"mark=marketing:{access.hash_password(PASSWORDS['mark'])}"])
    with _serve(path, tmp_path_factory.mktemp("access_log"), CUSTLIB_ACCESS_MODE="password",
                CUSTLIB_ACCESS_USERS=users) as url:
        yield url


def sign_in(page: Page, user: str, password: str) -> None:
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def menu(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
    return [text.strip().split("\n")[-1] for text in links]  # each link's text starts with its icon's name


def test_sign_in_roles_and_masking_in_a_browser(page: Page, password_url, screenshots):
    page.goto(password_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # nothing but the form before sign-in

    sign_in(page, "erin", "not-her-password")
    expect(page.get_by_text("The user name or password is not right")).to_be_visible(timeout=LOAD)

    sign_in(page, "erin", PASSWORDS["erin"])
    expect(page.get_by_text("Signed in as erin")).to_be_visible(timeout=LOAD)
    titles = menu(page)
    assert "Overview" in titles and "Segments" in titles
    assert not {"At-risk customers", "Customer profile", "Data"} & set(titles), titles
    page.screenshot(path=screenshots / "access_executive_en.png")
    # A shared link to a page outside her menu: a new session, still signed in (the browser's cookie), and
    # not that page.
    page.goto(password_url + "/at_risk")
    expect(page.get_by_text("Signed in as erin")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text("may not open this page")).to_be_visible(timeout=LOAD)
    expect(page.get_by_role("heading", name="At-risk customers")).to_have_count(0)
    assert "At-risk customers" not in menu(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)

    # The same link for a marketer: after signing in, the page the link named opens.
    page.goto(password_url + "/at_risk")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    sign_in(page, "mark", PASSWORDS["mark"])
    expect(page.get_by_role("heading", name="At-risk customers")).to_be_visible(timeout=LOAD)
    assert "At-risk customers" in menu(page) and "Data" not in menu(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    expect(page.get_by_text("Names, emails and phone numbers are masked")).to_be_visible(timeout=LOAD)
    page.screenshot(path=screenshots / "access_marketing_en.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_a_password_sign_in_survives_a_reload_and_stays_in_its_browser(browser, password_url):
    """Issue 14, rows 7 and 8 in password mode: a reload used to sign the user out (the sign-in lived in the
    session); the session now rests on an HttpOnly cookie that only this browser holds."""
    mine = browser.new_context()
    page = mine.new_page()
    page.goto(password_url)
    sign_in(page, "mark", PASSWORDS["mark"])
    expect(page.get_by_text("Signed in as mark")).to_be_visible(timeout=LOAD)
    page.wait_for_timeout(500)  # the page fetches its cookie right after signing in
    cookie = next(c for c in mine.cookies() if c["name"] == "custlib_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.reload()
    expect(page.get_by_text("Signed in as mark")).to_be_visible(timeout=LOAD)

    other = browser.new_context()  # another browser: nothing of mark's sign-in
    stranger = other.new_page()
    stranger.goto(password_url)
    expect(stranger.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    other.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    page.reload()  # the cookie is still in the browser, but its sign-in has ended
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    mine.close()
