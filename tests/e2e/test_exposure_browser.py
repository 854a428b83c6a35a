"""Fail closed on the network (issue 14, row 1): the shipped settings listen on this machine only, and a
server that other machines can reach serves nothing until sign-in is configured."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from custlib import access

from .conftest import _serve, demo_database

pytestmark = pytest.mark.e2e

LOAD = 30_000  # ms


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address_hex)
            # /proc prints each 32-bit word in host (little-endian) order
            words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(str(ipaddress.ip_address(words)))
    return found


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    return demo_database(tmp_path_factory.mktemp("exposure") / "exposure.duckdb", n_customers=1_000, seed=3)


def test_the_shipped_settings_listen_on_this_machine_only(small_db, tmp_path):
    with _serve(small_db, tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        addresses = listening_addresses(port)
    assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses


def test_reachable_from_other_machines_without_sign_in_it_serves_nothing(page: Page, small_db, tmp_path):
    with _serve(small_db, tmp_path, "--server.address", "0.0.0.0") as url:
        assert "0.0.0.0" in listening_addresses(int(url.rsplit(":", 1)[1]))
        page.goto(url)
        expect(page.get_by_text("no sign-in is configured, so it serves nothing")).to_be_visible(timeout=LOAD)
        body = page.inner_text("body")
        assert "Revenue" not in body and "Customer equity" not in body
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        page.goto(f"{url}/data")  # a page address: the same refusal, not the Data page
        expect(page.get_by_text("no sign-in is configured, so it serves nothing")).to_be_visible(timeout=LOAD)
        expect(page.get_by_role("heading", name="Data", exact=True)).to_have_count(0)


def test_with_sign_in_configured_it_may_listen_on_every_interface(page: Page, small_db, tmp_path):
    users = f"erin=executive:{access.hash_password('exec-pass-1')}"
    with _serve(small_db, tmp_path, "--server.address", "0.0.0.0", CUSTLIB_ACCESS_MODE="password",
                CUSTLIB_ACCESS_USERS=users) as url:
        page.goto(url)
        expect(page.get_by_role("textbox", name="User name")).to_be_visible(timeout=LOAD)


def test_header_mode_refuses_a_header_that_does_not_come_through_the_proxy(browser, small_db, tmp_path):
    """Issue 14, row 2: a script that reached Streamlit directly and sent X-Forwarded-User was signed in.
    Here the proxy is 10.9.9.9; a client that says it is 203.0.113.7 (the forwarded address uvicorn
    believes on loopback) is refused, while the proxy on this machine's default is believed."""
    with _serve(small_db, tmp_path, CUSTLIB_ACCESS_MODE="header", CUSTLIB_ACCESS_DEFAULT_ROLE="analyst",
                CUSTLIB_ACCESS_TRUSTED_PROXIES="10.9.9.9") as url:
        context = browser.new_context(extra_http_headers={"X-Forwarded-User": "wang",
                                                          "X-Forwarded-For": "203.0.113.7"})
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_text("does not come from it")).to_be_visible(timeout=LOAD)
        assert "Revenue" not in page.inner_text("body")
        context.close()
    with _serve(small_db, tmp_path, CUSTLIB_ACCESS_MODE="header", CUSTLIB_ACCESS_DEFAULT_ROLE="analyst") as url:
        context = browser.new_context(extra_http_headers={"X-Forwarded-User": "wang"})
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_text("Signed in as wang")).to_be_visible(timeout=LOAD)
        context.close()
