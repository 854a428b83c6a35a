"""Who may send files to the server: only sessions signed in with a role that may import.

Streamlit accepts a file for any open session at ``/_stcore/upload_file/<session id>/<file id>`` and holds it
in memory until the session ends, whether or not that session shows an uploader or has signed in: three
100 MB uploads from a client that never signed in took the server from 373 to 664 MB. :class:`UploadGate`
is ASGI middleware (``serve.py`` installs it with ``st.App``) that refuses such uploads before a byte of
the body is read, unless the app's own script has marked the session as allowed (:func:`allow`, called on
every run by ``ui.auth`` for a user whose role has ``can_import_and_delete``).

An app started as ``streamlit run app.py`` has no gate; with sign-in configured it refuses to serve
(:func:`installed`), so the only way to run the studio for a team is the guarded one.
"""
from __future__ import annotations

import re
import threading

UPLOAD_ROUTE = re.compile(r"/_stcore/upload_file/(?P<session_id>[^/]+)/[^/]+/?$")
REFUSAL = b"Uploads need a signed-in user whose role may import files."

_allowed: set[str] = set()
_lock = threading.Lock()
_installed = threading.Event()


def allow(session_id: str) -> None:
    with _lock:
        _allowed.add(session_id)


def revoke(session_id: str) -> None:
    with _lock:
        _allowed.discard(session_id)


def allowed(session_id: str) -> bool:
    with _lock:
        return session_id in _allowed


def installed() -> bool:
    """Whether this server process checks uploads (it was started through ``serve.py``)."""
    return _installed.is_set()


def mark_installed() -> None:
    """For servers without an HTTP layer of their own (AppTest): no upload route exists to guard."""
    _installed.set()


class UploadGate:
    """ASGI middleware: a PUT or POST to the upload route of a session not :func:`allowed` gets 403."""

    def __init__(self, app):
        self.app = app
        _installed.set()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") in ("PUT", "POST"):
            route = UPLOAD_ROUTE.search(scope.get("path", ""))
            if route is not None and not allowed(route.group("session_id")):
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(REFUSAL)).encode())]})
                await send({"type": "http.response.body", "body": REFUSAL})
                return
        await self.app(scope, receive, send)
