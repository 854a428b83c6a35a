"""A password sign-in that survives a reload, is bound to one browser, and ends when idle or signed out.

Streamlit keeps a session's state only as long as its connection, so a sign-in kept there was lost on
every reload, and a second connection presenting the session's id (visible in upload URLs) resumed it
without a password. Here a sign-in is a server-side record keyed by a random secret (:func:`begin`), which
reaches the browser only as an HttpOnly, SameSite=Strict cookie: the page loads ``/_custlib/bind?ticket=..``
once (a one-time ticket for this record, valid a minute), and that route sets the cookie. Every run then
finds the user from the cookie of its connection (:func:`resume`); until the browser holds the cookie, the
connection that signed in is recognised by Streamlit's own per-browser XSRF cookie. The record ends after
``access.idle_minutes`` without a click, or at sign-out (:func:`end`); a restarted server asks everyone to
sign in again. ``serve.py`` mounts :func:`routes`.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "custlib_session"
BIND_PATH = "/_custlib/bind"
TICKET_SECONDS = 60.0


@dataclass
class _SignIn:
    user_name: str
    last_seen: float


_records: dict[str, _SignIn] = {}       # sha256 of the cookie's secret -> the sign-in
_tickets: dict[str, tuple[str, float]] = {}  # one-time ticket -> (secret, expiry)
_lock = threading.Lock()


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def begin(user_name: str, idle_seconds: float) -> tuple[str, str]:
    """A new sign-in for ``user_name``: (its secret, a one-time ticket that sets it as the browser's cookie).
    Sign-ins idle longer than ``idle_seconds`` and unused tickets are dropped meanwhile."""
    secret, ticket, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), time.monotonic()
    with _lock:
        for key in [k for k, record in _records.items() if now - record.last_seen > idle_seconds]:
            del _records[key]
        for old in [t for t, (_, expiry) in _tickets.items() if expiry < now]:
            del _tickets[old]
        _records[_key(secret)] = _SignIn(user_name, now)
        _tickets[ticket] = (secret, now + TICKET_SECONDS)
    return secret, ticket


def resume(secret: str | None, idle_seconds: float) -> str | None:
    """The user of a live sign-in (and it counts as a click), or None: unknown, ended, or idle too long."""
    if not isinstance(secret, str) or not secret:
        return None
    now = time.monotonic()
    with _lock:
        record = _records.get(_key(secret))
        if record is None:
            return None
        if now - record.last_seen > idle_seconds:
            del _records[_key(secret)]
            return None
        record.last_seen = now
        return record.user_name


def end(secret: str | None) -> None:
    if isinstance(secret, str) and secret:
        with _lock:
            _records.pop(_key(secret), None)


def _redeem(ticket: str | None) -> str | None:
    with _lock:
        secret, expiry = _tickets.pop(ticket or "", (None, 0.0))
    return secret if secret is not None and expiry >= time.monotonic() else None


async def _bind(request):
    from starlette.responses import Response

    secret = _redeem(request.query_params.get("ticket"))
    response = Response(status_code=204 if secret else 404, headers={"Cache-Control": "no-store"})
    if secret:
        response.set_cookie(COOKIE, secret, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
    return response


def routes() -> list:
    from starlette.routing import Route

    return [Route(BIND_PATH, _bind, methods=["GET"])]
