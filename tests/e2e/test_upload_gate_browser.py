"""Issue 14, row 6: a client that has not signed in (or whose role may not import) cannot send files.

Streamlit accepts a PUT to /_stcore/upload_file/<session id>/<file id> for any open session and holds the
file in memory; serve.py puts ui/upload_gate.py in front of that route. The session id is read the way an
attacker reads it: from the websocket traffic of the page.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from custlib import access

from .conftest import _serve, demo_database
from .test_access_browser import LOAD, sign_in

pytestmark = pytest.mark.e2e

PASSWORDS = {"ana": "analyst-pass-1", "mark": "mkt-pass-2"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _users() -> dict[str, str]:
    return {"CUSTLIB_ACCESS_MODE": "password",
            "CUSTLIB_ACCESS_USERS": ",".join([f"ana=analyst:{access.hash_password(PASSWORDS['ana'])}",
                                              f"mark=marketing:{access.hash_password(PASSWORDS['mark'])}"])}


@pytest.fixture(scope="module")
def team_url(tmp_path_factory):
    path = demo_database(tmp_path_factory.mktemp("gate") / "gate.duckdb", n_customers=1_000, seed=3)
    with _serve(path, tmp_path_factory.mktemp("gate_log"), **_users()) as url:
        yield url


def _watch_ids(page: Page) -> list[str]:
    """Every id-shaped string the server sends this page over its websocket (the session id among them)."""
    seen: list[str] = []

    def frame(payload):
        text = payload.decode("latin-1") if isinstance(payload, bytes) else payload
        seen.extend(i for i in UUID.findall(text) if i not in seen)
    page.on("websocket", lambda socket: socket.on("framereceived", frame))
    return seen


def _put(page: Page, url: str, session_id: str, size: int = 1_000) -> int:
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf"), "")
    response = page.request.put(f"{url}/_stcore/upload_file/{session_id}/attacker-file",
                                headers={"X-Xsrftoken": xsrf},
                                multipart={"file": {"name": "big.csv", "mimeType": "text/csv",
                                                    "buffer": b"x" * size}})
    return response.status


def test_only_a_signed_in_importer_can_send_files(page: Page, team_url):
    ids = _watch_ids(page)
    page.goto(team_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    assert ids, "no session id seen on the websocket"
    assert {_put(page, team_url, i) for i in ids} == {403}  # not signed in: refused, whatever the id

    sign_in(page, "ana", PASSWORDS["ana"])  # an analyst: this same session may now send files
    expect(page.get_by_text("Signed in as ana")).to_be_visible(timeout=LOAD)
    accepted = [i for i in ids if _put(page, team_url, i) == 204]
    assert len(accepted) == 1, ids
    session_id = accepted[0]

    page.get_by_role("button", name="Sign out").click()  # the same session, signed out again
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD)
    assert _put(page, team_url, session_id, size=50 << 20) == 403  # refused before the body is read

    sign_in(page, "mark", PASSWORDS["mark"])  # a role that may not import
    expect(page.get_by_text("Signed in as mark")).to_be_visible(timeout=LOAD)
    assert _put(page, team_url, session_id) == 403


def test_the_bare_app_with_sign_in_configured_serves_nothing(page: Page, tmp_path):
    """`streamlit run app.py` has no gate: with sign-in configured it refuses, and says how to start it."""
    path = demo_database(tmp_path / "bare.duckdb", n_customers=1_000, seed=3)
    with _serve(path, tmp_path, script="app.py", **_users()) as url:
        page.goto(url)
        expect(page.get_by_text("which accepts uploads from anyone")).to_be_visible(timeout=LOAD)
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)


def _run_as(url: str, session_id: str) -> bytes:
    """Connect a second websocket presenting ``session_id`` (as a script reads it from upload URLs), ask for
    a run of the app, and return what the server sent back."""
    from websockets.sync.client import connect
    from streamlit.proto.BackMsg_pb2 import BackMsg

    received = b""
    with connect(url.replace("http://", "ws://") + "/_stcore/stream",
                 subprotocols=["streamlit", "no-xsrf-token", session_id], open_timeout=10) as socket:
        message = BackMsg()
        message.rerun_script.query_string = ""
        socket.send(message.SerializeToString())
        try:
            while b"script_finished" not in received.lower() and len(received) < 5 << 20:
                frame = socket.recv(timeout=15)
                received += frame if isinstance(frame, bytes) else frame.encode()
                if b"Sign in" in received or b"Signed in as" in received:
                    socket.recv(timeout=2)  # the rest of the run
        except TimeoutError:
            pass
    return received


def test_a_session_id_alone_resumes_no_password_sign_in(page: Page, team_url):
    """Issue 14, row 7: a second connection presenting a signed-in user's session id resumed their analyst
    session without a password. The sign-in now belongs to the browser that made it."""
    ids = _watch_ids(page)
    page.goto(team_url)
    sign_in(page, "ana", PASSWORDS["ana"])
    expect(page.get_by_text("Signed in as ana")).to_be_visible(timeout=LOAD)
    session_id = next(i for i in ids if _put(page, team_url, i) == 204)  # the one id the server accepts
    seen = _run_as(team_url, session_id)
    assert b"Signed in as" not in seen and b"Sign in" in seen
