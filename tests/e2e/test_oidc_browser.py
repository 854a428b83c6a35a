"""Real sign-in for teams (issue 14, deliverable 2; rows 7 and 8): Streamlit's st.login against a real
OpenID Connect provider (oidc-provider-mock, started here on loopback), roles from the identity, a reload
that keeps the user signed in, sign-out, and a second browser that resumes nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import _free_port, _serve, demo_database, wait_until_answers

pytestmark = pytest.mark.e2e

LOAD = 30_000  # ms


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The OpenID Connect provider: any user name typed into its form signs in as that subject."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("oidc_log") / "provider.log").open("w")
    process = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        wait_until_answers(f"{url}/.well-known/openid-configuration", "the OIDC provider", log.name)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def oidc_url(provider, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc")
    port = _free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "a-long-random-test-secret-0123456789abcdef"
client_id = "studio"
client_secret = "studio-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
mode = "oidc"

[access.users."alice@example.com"]
role = "marketing"

[access.users."erin@example.com"]
role = "executive"
""")
    path = demo_database(folder / "oidc.duckdb", n_customers=1_000, seed=3)
    with _serve(path, folder, "--secrets.files", str(secrets), port=port) as url:
        yield url


def sign_in(page: Page, url: str, subject: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in with your company account").click(timeout=LOAD)
    page.locator("input[name=sub]").fill(subject)
    page.locator("button, input[type=submit]").first.click()


def test_a_company_sign_in_survives_a_reload_and_sign_out_ends_it(page: Page, browser: Browser, oidc_url):
    sign_in(page, oidc_url, "alice@example.com")
    expect(page.get_by_text("Signed in as alice@example.com · Marketing")).to_be_visible(timeout=LOAD)
    page.reload()  # row 8: a reload used to sign the user out
    expect(page.get_by_text("Signed in as alice@example.com · Marketing")).to_be_visible(timeout=LOAD)
    other = browser.new_context()  # row 7: another browser, no cookie: nothing to resume
    stranger = other.new_page()
    stranger.goto(oidc_url)
    expect(stranger.get_by_role("button", name="Sign in with your company account")).to_be_visible(timeout=LOAD)
    assert "alice@example.com" not in stranger.inner_text("body")
    other.close()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=LOAD)  # the provider ends its session too
    expect(page.get_by_role("button", name="Sign in with your company account")).to_be_visible(timeout=LOAD)
    page.reload()
    expect(page.get_by_role("button", name="Sign in with your company account")).to_be_visible(timeout=LOAD)


def test_roles_come_from_the_identity_and_an_unlisted_one_gets_nothing(page: Page, browser: Browser, oidc_url):
    sign_in(page, oidc_url, "erin@example.com")
    expect(page.get_by_text("Signed in as erin@example.com · Executive")).to_be_visible(timeout=LOAD)
    menu = page.get_by_test_id("stSidebarNav").inner_text()
    assert "Data" not in menu.split() and "At-risk customers" not in menu
    other = browser.new_context()
    mallory = other.new_page()
    sign_in(mallory, oidc_url, "mallory@example.com")
    expect(mallory.get_by_text("this user has no access to the studio")).to_be_visible(timeout=LOAD)
    assert "Revenue" not in mallory.inner_text("body")
    other.close()
