"""Who is using the studio and what they may see: the sign-in gate, permissions, and audited downloads.

``app.py`` calls :func:`current_user` before ``st.navigation``. With nothing configured (single-user
mode) the local user is an analyst; in password mode :func:`sign_in_page` is the only page until
someone signs in; in header mode the company proxy's header says who it is. The settings are the
``[access]`` section of ``.streamlit/secrets.toml``, or else CUSTLIB_ACCESS_* environment variables
(custlib.access reads and checks them; a broken configuration lets nobody in). Pages a role may not
open are left out of the navigation, and those pages check again with :func:`require`, so a link
cannot get round the navigation. Names, emails and phones are masked where they are read
(``ui.data.contacts``), so pages and exports show the same.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.errors import StreamlitSecretNotFoundError

from custlib import access, audit, datasets, export, throttle
from custlib.errors import AccessConfigError

from . import data, password_session, state, upload_gate
from . import format as fmt
from .i18n import t

# What stays in a session when someone signs out: their display choices, nothing of their work.
KEPT_ON_SIGN_OUT = (state.LANGUAGE, state.CURRENCY)


def load_config() -> access.AccessConfig:
    """The access settings: secrets.toml's ``[access]`` section, else the environment, else single-user."""
    try:
        section = st.secrets["access"] if "access" in st.secrets else None
    except StreamlitSecretNotFoundError as exc:
        # No secrets file at all is normal (the environment or single-user mode applies); a file that
        # exists but cannot be read must not quietly open the studio to everyone.
        if getattr(exc, "error_id", None) != "no-secrets-found":
            raise AccessConfigError(f"the secrets file could not be read: {exc}") from None
        section = None
    config = (access.AccessConfig.from_mapping(section) if section is not None
              else access.AccessConfig.from_environment())
    if config.mode == "oidc" and "auth" not in st.secrets:
        raise AccessConfigError("access.mode is oidc, but secrets.toml has no [auth] section (redirect_uri, "
                                "cookie_secret, client_id, client_secret, server_metadata_url) for st.login.")
    return config


def _oidc_identity() -> dict | None:
    """The identity the company's OpenID Connect provider signed in (st.user's claims), or None."""
    try:
        return st.user.to_dict() if st.user.is_logged_in is True else None
    except (AttributeError, KeyError):
        return None


def _headers():
    """The request headers of this session (the proxy's); empty where there are none (tests, bare runs)."""
    headers = st.context.headers
    return headers if headers is not None else {}


def _cookies() -> Mapping:
    """The cookies this session's connection presented (empty where there is no connection)."""
    cookies = st.context.cookies
    return cookies if isinstance(cookies, Mapping) else {}


def _browser_mark() -> str | None:
    """Which browser this connection comes from: a hash of Streamlit's per-browser XSRF cookie."""
    xsrf = _cookies().get("_streamlit_xsrf")
    return hashlib.sha256(xsrf.encode()).hexdigest() if isinstance(xsrf, str) and xsrf else None


def _session_id() -> str | None:
    context = get_script_run_ctx()
    return context.session_id if context is not None else None


def _peer() -> str | None:
    """The connection's address (None: loopback, or no connection at all, as under AppTest)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def actor_of(signed_in: access.User) -> audit.Actor:
    return audit.Actor(signed_in.name, signed_in.role.name, "app")


def current_user() -> access.User | None:
    """Who is using this session now, also kept in session state for the pages; None while nobody may
    (the sign-in page then says why). Called by app.py on every run, so a changed role applies at once."""
    try:
        config = load_config()
    except AccessConfigError:
        config = None
    signed_in = _user_of(config) if config is not None else None
    st.session_state[state.USER] = signed_in
    st.session_state[state.ACCESS_MODE] = config.mode if config is not None else None
    if (session_id := _session_id()) is not None:  # only a user who may import may send files (ui/upload_gate)
        if signed_in is not None and signed_in.role.allows("can_import_and_delete"):
            upload_gate.allow(session_id)
        else:
            upload_gate.revoke(session_id)
    if ticket := st.session_state.pop(state.SIGN_IN_TICKET, None):  # the browser fetches its sign-in cookie
        st.html(f'<img src="{password_session.BIND_PATH}?ticket={ticket}" alt="" width="1" height="1" '
                f'style="position:absolute;opacity:0">')
    return signed_in


def server_address() -> str | None:
    """The address this server listens on (server.address; None or empty: every interface)."""
    return st.get_option("server.address")


def _user_of(config: access.AccessConfig) -> access.User | None:
    if config.mode == "single-user":  # fail closed: nobody, when other machines can reach the server
        return None if access.exposure_problem(config, server_address()) else config.local_user()
    if not upload_gate.installed():  # started as `streamlit run app.py`: uploads unguarded, so nobody
        return None
    if config.mode == "password":
        return _password_user(config)
    if config.mode == "oidc":  # the identity lives in Streamlit's signed cookie: a reload keeps it
        identity = _oidc_identity()
        signed_in = config.user_from_identity(identity) if identity else None
    else:
        signed_in = config.user_from_headers(_headers(), _peer())
    if signed_in is not None and st.session_state.get(state.USER_NAME) != signed_in.name:  # the session's first run
        st.session_state[state.USER_NAME] = signed_in.name
        audit.log(data.get_conn(), actor_of(signed_in), "login")
    return signed_in


def _password_user(config: access.AccessConfig) -> access.User | None:
    """Password mode: the user of this browser's live sign-in (its cookie, or, on the connection that signed
    in, before the cookie arrived, the sign-in this session holds if the browser is the same), else None."""
    own = st.session_state.get(state.SIGN_IN_SECRET)
    same_browser = own is not None and st.session_state.get(state.SIGN_IN_BROWSER) == _browser_mark()
    for secret in (_cookies().get(password_session.COOKIE), own if same_browser else None):
        name = password_session.resume(secret, config.idle_minutes * 60)
        if name is not None:
            st.session_state[state.SIGN_IN_SECRET] = secret
            st.session_state[state.SIGN_IN_BROWSER] = _browser_mark()
            st.session_state[state.USER_NAME] = name
            return config.signed_in_user(name)
    name = st.session_state.get(state.USER_NAME)
    if own is not None and same_browser and name is not None:  # this browser's sign-in ran out: idle too long
        account = config.account(name)
        actor = audit.Actor(account.name, account.role.name, "app") if account else audit.Actor(name, None, "app")
        audit.log(data.get_conn(), actor, "logout", detail={"reason": f"no click for {config.idle_minutes:g} minutes"})
        _forget_session()
        st.session_state[state.SIGNED_OUT_IDLE] = config.idle_minutes
    return None


@st.cache_resource(show_spinner=False)
def sign_in_throttle() -> throttle.SignInThrottle:
    """The server's one sign-in throttle (per user name and per address, shared by every session)."""
    return throttle.SignInThrottle()


def sign_in_page() -> None:
    """What a session sees until someone may use the studio: the sign-in form, or why access is refused."""
    st.title(t("auth_title"))
    try:
        config = load_config()
    except AccessConfigError as exc:
        st.error(t("auth_config_broken", error=str(exc)), icon=":material/error:")
        return
    if config.mode == "single-user":  # only reached when access.exposure_problem refused this address
        st.error(t("auth_exposed", address=server_address() or "0.0.0.0"), icon=":material/lock:")
        return
    if not upload_gate.installed():
        st.error(t("auth_unguarded"), icon=":material/lock:")
        return
    if config.mode == "oidc":
        oidc_sign_in()
        return
    if config.mode == "header":
        name = config.header_user_name(_headers())
        if not config.is_trusted_proxy(_peer()):
            st.error(t("auth_untrusted_peer"), icon=":material/lock:")
            if st.session_state.get(state.ACCESS_REFUSAL_LOGGED) != "untrusted":  # once per session
                st.session_state[state.ACCESS_REFUSAL_LOGGED] = "untrusted"
                audit.log(data.get_conn(), audit.Actor(name or "-", None, "app"), "login_refused",
                          detail={"reason": "not through a trusted proxy", "address": _peer()})
        elif name is None:
            st.error(t("auth_no_header", header=config.header), icon=":material/lock:")
        else:
            st.error(t("auth_not_listed", user=fmt.plain(name)), icon=":material/lock:")
            if st.session_state.get(state.ACCESS_REFUSAL_LOGGED) != name:  # once per session, not per click
                st.session_state[state.ACCESS_REFUSAL_LOGGED] = name
                audit.log(data.get_conn(), audit.Actor(name, None, "app"), "login_refused")
        return
    if idle := st.session_state.pop(state.SIGNED_OUT_IDLE, None):
        st.info(t("auth_idle_signed_out", minutes=f"{idle:g}"), icon=":material/timer:")
    st.caption(t("auth_intro"))
    # clear_on_submit: the password does not stay in the form (or in session state) after it was checked.
    with st.form("auth_sign_in", clear_on_submit=True):
        name = st.text_input(t("auth_user"), key="auth_user", autocomplete="username")
        password = st.text_input(t("auth_password"), type="password", key="auth_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("auth_sign_in"), type="primary", key="auth_submit")
    if not submitted:
        return
    limiter, address = sign_in_throttle(), _peer()
    if (wait := limiter.wait_seconds(name, address)) > 0:  # refused before any password is hashed
        if not st.session_state.get(state.SIGN_IN_LOCK_LOGGED):  # once per lockout and session, not per click
            st.session_state[state.SIGN_IN_LOCK_LOGGED] = True
            audit.log(data.get_conn(), audit.Actor(name.strip() or "-", None, "app"), "login_locked",
                      detail={"wait_seconds": round(wait)})
        st.error(t("auth_locked", seconds=max(1, round(wait))), icon=":material/timer:")
        return
    st.session_state.pop(state.SIGN_IN_LOCK_LOGGED, None)
    signed_in = config.sign_in(name, password)
    if signed_in is None:
        limiter.failed(name, address)
        audit.log(data.get_conn(), audit.Actor(name.strip() or "-", None, "app"), "login_failed")
        st.error(t("auth_wrong"), icon=":material/lock:")  # the same words whichever of the two was wrong
        return
    limiter.succeeded(name, address)
    secret, ticket = password_session.begin(signed_in.name, config.idle_minutes * 60)
    st.session_state[state.USER_NAME] = signed_in.name
    st.session_state[state.SIGN_IN_SECRET], st.session_state[state.SIGN_IN_TICKET] = secret, ticket
    st.session_state[state.SIGN_IN_BROWSER] = _browser_mark()
    audit.log(data.get_conn(), actor_of(signed_in), "login")
    st.rerun()


def oidc_sign_in() -> None:
    """OIDC mode: the button that goes to the company's sign-in, or why a signed-in identity has no access."""
    identity = _oidc_identity()
    if identity is None:
        st.caption(t("auth_oidc_intro"))
        st.button(t("auth_oidc_sign_in"), key="auth_oidc_sign_in", type="primary", on_click=st.login,
                  icon=":material/login:")
        return
    name = str(identity.get("email") or identity.get("sub") or "-")
    st.error(t("auth_not_listed", user=fmt.plain(name)), icon=":material/lock:")
    if st.session_state.get(state.ACCESS_REFUSAL_LOGGED) != name:  # once per session, not per click
        st.session_state[state.ACCESS_REFUSAL_LOGGED] = name
        audit.log(data.get_conn(), audit.Actor(name, None, "app"), "login_refused")
    st.button(t("auth_sign_out"), key="auth_oidc_sign_out", on_click=st.logout, icon=":material/logout:")


def sign_out() -> None:
    """Sign-out button callback: log it and forget everything of this session but its display choices
    (in OIDC mode also the signed cookie, so a reload does not sign the user in again)."""
    signed_in, mode = st.session_state.get(state.USER), st.session_state.get(state.ACCESS_MODE)
    if signed_in is not None:
        audit.log(data.get_conn(), actor_of(signed_in), "logout")
    password_session.end(st.session_state.get(state.SIGN_IN_SECRET))  # the browser's cookie now opens nothing
    password_session.end(_cookies().get(password_session.COOKIE))
    _forget_session()
    if mode == "oidc":
        st.logout()


def _forget_session() -> None:
    for key in list(st.session_state):
        if key not in KEPT_ON_SIGN_OUT:
            del st.session_state[key]


def user_box() -> None:
    """In the sidebar (not in single-user mode): who is signed in with which role, and the sign-out button."""
    signed_in, mode = st.session_state.get(state.USER), st.session_state.get(state.ACCESS_MODE)
    if signed_in is None or mode in (None, "single-user"):
        return
    st.caption(t("auth_signed_in_as", user=fmt.plain(signed_in.name), role=role_label(signed_in.role.name)))
    if mode in ("password", "oidc"):
        st.button(t("auth_sign_out"), key="auth_sign_out", on_click=sign_out, icon=":material/logout:")
    else:
        st.caption(t("auth_via_proxy"))


def role_label(role: str) -> str:
    return t(f"role_{role}")


# --- what the signed-in user may do ---------------------------------------------------------------

def user() -> access.User | None:
    return st.session_state.get(state.USER)


def allows(permission: str) -> bool:
    """Whether the signed-in user's role has ``permission`` (custlib.access.PERMISSIONS); nobody: no."""
    role = state.signed_in_role()
    return role is not None and role.allows(permission)


def require(permission: str) -> None:
    """Stop the page, with a message, unless the signed-in user has ``permission``.

    For pages a role may not open: the navigation leaves them out, and this stops a link or a
    bookmark that gets there anyway.
    """
    if not allows(permission):
        signed_in = user()
        log_once("refused", ("page", permission), detail={"permission": permission, "asked": "open a page"})
        st.error(t("auth_page_refused", role=role_label(signed_in.role.name) if signed_in else "–"),
                 icon=":material/lock:")
        st.stop()


def log_once(action: str, token: tuple, dataset=None, detail: dict | None = None) -> None:
    """Write an audit entry for an event of this session once (a rerun of the same view is not a new event)."""
    seen = st.session_state.setdefault(state.AUDITED_EVENTS, set())
    if (action, token) in seen:
        return
    seen.add((action, token))
    audit.log(data.get_conn(), actor(), action, dataset=dataset, detail=detail)


def rows_hidden_note() -> None:
    """Where a page leaves out a list of single customers for this role, say so."""
    st.caption(t("auth_rows_hidden", role=role_label(user().role.name)))


def masked_note() -> None:
    """Under a list with contact details: say they are masked, when they are."""
    signed_in = user()
    if signed_in is not None and not signed_in.role.can_see_contacts_unmasked:
        st.caption(t("auth_masked", role=role_label(signed_in.role.name)))


def actor() -> audit.Actor:
    """The signed-in user as the audit log records them."""
    signed_in = user()
    return actor_of(signed_in) if signed_in is not None else audit.Actor("-", None, "app")


# --- downloads ------------------------------------------------------------------------------------

def audited_csv(frame: pd.DataFrame, export_name: str, file_name: str, dataset: datasets.Dataset | None,
                index: bool = False):
    """The data of a CSV download: a function that makes the file when the user clicks and writes the
    export to the audit log. Streamlit calls it on another thread, so who and where are captured now."""
    con, who = data.get_conn(), actor()

    def build() -> bytes:
        payload = export.csv_bytes(frame, index=index)
        audit.log_export(con, who, export_name, file_name, len(frame), dataset)
        return payload
    return build


def download_csv(label: str, frame: pd.DataFrame, *, file_name: str, export_name: str,
                 dataset: datasets.Dataset | None, key: str, index: bool = False, customer_list: bool = False,
                 **button_options) -> None:
    """A CSV download button whose file is made on click and audited. ``frame`` is exported as the page
    shows it, so contact details are masked the same way. A ``customer_list`` is offered only to roles
    that may export lists."""
    if customer_list and not allows("can_export_lists"):
        return
    st.download_button(label, audited_csv(frame, export_name, file_name, dataset, index=index), file_name=file_name,
                       mime="text/csv", key=key, icon=":material/download:", **button_options)
