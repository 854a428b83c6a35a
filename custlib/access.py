"""Who may do what: the three roles and their permissions, sign-in by password or by a trusted proxy header.

It answers, for the app (which enforces the answers) and the command line:

- What may a role do? ``ROLES`` holds one row of permissions per role; ``Role.allows(permission)``.
- Who is this? ``AccessConfig`` (read from the ``[access]`` section of ``.streamlit/secrets.toml`` or
  from CUSTLIB_ACCESS_* environment variables) turns a user name and password, or the user name a
  company proxy puts in a request header, into a ``User`` with a role, or refuses. With nothing
  configured the studio runs in single-user mode: the local user is an analyst.

What a role may see of a customer's name, email and phone is custlib.masking.

Longer than the ~400 lines a module aims for: the access configuration checks every setting it reads
from two sources (secrets file, environment) with a message naming the setting, and those checks
belong with the settings they guard.

Passwords are kept only as salted PBKDF2-HMAC-SHA256 hashes in a self-describing string,
``pbkdf2_sha256$<iterations>$<salt>$<hash>`` (salt and hash in base64: the format Django uses), with
600,000 iterations (OWASP Password Storage Cheat Sheet, 2023). Make one with
``python -m custlib hash-password``.
"""
from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from .errors import AccessConfigError, PermissionDenied

# --- roles ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """What one role may do. Each ``can_*`` flag is a permission the app checks by name."""
    name: str
    can_see_customer_rows: bool       # lists and profiles of single customers (ids, scores, reasons)
    can_see_contacts_unmasked: bool   # name, email and phone as stored, on pages and in exports
    can_export_lists: bool            # download lists of customers as CSV
    can_import_and_delete: bool       # the Data page: imports, renaming, deleting, the default dataset
    can_save_plans: bool              # save or delete capacity settings and simulator scenarios

    def allows(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}; the permissions are {', '.join(PERMISSIONS)}")
        return getattr(self, permission)


PERMISSIONS = tuple(f.name for f in fields(Role) if f.name.startswith("can_"))

ROLES: dict[str, Role] = {role.name: role for role in (
    #    name          customer rows  contacts unmasked  export lists  import and delete  save plans
    Role("executive",  False,         False,             False,        False,             False),  # aggregates only
    Role("marketing",  True,          False,             True,         False,             True),   # lists, masked
    Role("analyst",    True,          True,              True,         True,              True),   # everything
)}


_ROLE_CHOICES = ", ".join(ROLES)


def role_named(name: str) -> Role:
    """The role called ``name``; KeyError naming the roles when there is none."""
    try:
        return ROLES[name]
    except KeyError:
        raise KeyError(f"unknown role {name!r}; the roles are {_ROLE_CHOICES}") from None


def require(actor, permission: str, what: str) -> None:
    """Raise PermissionDenied unless ``actor`` (a custlib.audit.Actor) may use ``permission``.

    Every write in custlib calls this (through ``custlib.audit.authorize``, which also logs a refusal), so
    a role is enforced below the pages. An actor without a role outside the app is the program that opened
    the database file itself (the command line, a Python call): whoever can open the file has it all anyway.
    In the app every actor needs a role: nobody signed in may do nothing.
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}; the permissions are {', '.join(PERMISSIONS)}")
    if actor is None or (actor.role is None and actor.via != "app"):
        return
    role = ROLES.get(actor.role)
    if role is None or not role.allows(permission):
        if actor.role is None:
            raise PermissionDenied(code="error_not_signed_in", params={"verb": what.split(" ", 1)[0]})
        raise PermissionDenied(code="error_not_permitted",
                               params={"user": actor.user, "role": actor.role, "what": what})


@dataclass(frozen=True)
class User:
    """Someone signed in to the studio: the name they are known by and their role."""
    name: str
    role: Role


# --- passwords --------------------------------------------------------------------------------------

HASH_ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
# A stored hash is accepted only within these bounds: fewer iterations make a stolen hash cheap to crack,
# more let one sign-in attempt cost the server seconds of CPU (600,000 take about 0.2 s here).
MIN_ITERATIONS = 100_000
MAX_ITERATIONS = 5_000_000
SALT_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _password_bytes(password: str) -> bytes:
    # NFKC: the same password typed on another keyboard (full-width letters, composed accents) still matches.
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def hash_password(password: str, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>`` of ``password`` with a new random salt (unless given)."""
    if not password:
        raise ValueError("A password cannot be empty.")
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", _password_bytes(password), salt, iterations)
    return f"{HASH_ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def parse_password_hash(stored: str) -> tuple[int, bytes, bytes]:
    """(iterations, salt, hash) of a stored hash; ValueError saying what is wrong with it."""
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 4 or parts[0] != HASH_ALGORITHM:
        raise ValueError(f"it should look like {HASH_ALGORITHM}$<iterations>$<salt>$<hash>")
    if not parts[1].isdigit() or int(parts[1]) < 1:
        raise ValueError("its iteration count is not a positive whole number")
    if not MIN_ITERATIONS <= int(parts[1]) <= MAX_ITERATIONS:
        raise ValueError(f"its iteration count {int(parts[1]):,} is outside {MIN_ITERATIONS:,} .. {MAX_ITERATIONS:,} "
                         f"(make a new hash with `python -m custlib hash-password`)")
    try:
        salt, digest = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("its salt or hash is not base64") from None
    if not salt or len(digest) != hashlib.sha256().digest_size:
        raise ValueError("its salt is empty or its hash is not 32 bytes")
    return int(parts[1]), salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (compared in constant time); False for a malformed hash."""
    try:
        iterations, salt, expected = parse_password_hash(stored)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", _password_bytes(password or ""), salt, iterations)
    return hmac.compare_digest(digest, expected)


@lru_cache(maxsize=4)
def _decoy_hash(iterations: int) -> str:
    """A hash no password is checked against for real: an unknown user name costs as much time as a known one,
    so response times do not tell which user names exist."""
    return hash_password(secrets.token_urlsafe(16), iterations)


# --- configuration ----------------------------------------------------------------------------------

MODES = ("single-user", "password", "header", "oidc")
DEFAULT_HEADER = "X-Forwarded-User"
SETTINGS = ("mode", "users", "header", "default_role", "trusted_proxies", "idle_minutes")
# Password mode signs a user out after this long without a click (access.idle_minutes).
DEFAULT_IDLE_MINUTES = 30.0
MAX_IDLE_MINUTES = 24 * 60.0
# Header mode believes the header only on connections from these addresses (the proxy's); by default a
# proxy on this machine. Streamlit reports loopback connections as no address at all (st.context.ip_address).
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1/128")
ENVIRONMENT = {f"CUSTLIB_ACCESS_{setting.upper()}": setting for setting in SETTINGS}
MAX_USER_NAME = 200
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # an HTTP header name (RFC 9110 token)


@dataclass(frozen=True)
class Account:
    """A user the configuration lists: their name as written there, their role, and (password mode) the hash."""
    name: str
    role: Role
    password_hash: str | None = None


@dataclass(frozen=True)
class _SettingNames:
    """How the person who configures the studio wrote each setting, so an error names it as they know it."""
    setting: Callable[[str], str]
    user_setting: Callable[[str, str], str]


_IN_SECRETS = _SettingNames(setting=lambda key: f"access.{key}",
                            user_setting=lambda user, key: f"access.users.{user}.{key}")
_IN_ENVIRONMENT = _SettingNames(setting=lambda key: f"CUSTLIB_ACCESS_{key.upper()}",
                                user_setting=lambda user, key: f"CUSTLIB_ACCESS_USERS (the {key} of {user!r})")


@dataclass(frozen=True)
class AccessConfig:
    """How people sign in and which role each has. Build with ``from_mapping`` or ``from_environment``.

    Modes: ``single-user`` (the default: one local user, an analyst), ``password`` (listed users with a
    role and a password hash), ``header`` (a company proxy signs people in and passes the user name in
    ``header``; listed users get their role, others get ``default_role``, or no access when it is unset),
    ``oidc`` (the company's OpenID Connect provider signs people in through Streamlit's ``st.login``, set
    up in secrets.toml's ``[auth]``; users are listed by email or subject, others get ``default_role``).
    """
    mode: str = "single-user"
    accounts: tuple[Account, ...] = ()
    header: str = DEFAULT_HEADER
    default_role: Role | None = None
    trusted_proxies: tuple = tuple(ipaddress.ip_network(n) for n in DEFAULT_TRUSTED_PROXIES)
    idle_minutes: float = DEFAULT_IDLE_MINUTES

    @classmethod
    def from_mapping(cls, section: Mapping | None) -> AccessConfig:
        """From the ``[access]`` section of secrets.toml (``st.secrets["access"]``); None: single-user."""
        if section is None:
            return cls()
        names = _IN_SECRETS
        if not isinstance(section, Mapping):
            raise AccessConfigError("access must be a section: write [access] on its own line, then mode = ...")
        unknown = sorted(set(section) - set(SETTINGS))
        if unknown:
            raise AccessConfigError(f"{names.setting(unknown[0])} is not an access setting; the settings are "
                                    f"{', '.join(names.setting(s) for s in SETTINGS)}.")
        if "mode" not in section:
            raise AccessConfigError(f"access.mode is missing: set it to {', '.join(MODES)}.")
        listed = section.get("users", {})
        if not isinstance(listed, Mapping):
            raise AccessConfigError("access.users must be a table of users, one [access.users.NAME] section each "
                                    "with a role (and a password in password mode).")
        users = {}
        for name, entry in listed.items():
            if not isinstance(entry, Mapping):
                raise AccessConfigError(f"access.users.{name} must be a table with a role (and a password in "
                                        f"password mode), e.g. [access.users.{name}] role = \"marketing\".")
            extra = sorted(set(entry) - {"role", "password"})
            if extra:
                raise AccessConfigError(f"{names.user_setting(name, extra[0])} is not a user setting; a user has "
                                        f"a role and, in password mode, a password.")
            users[str(name)] = (entry.get("role"), entry.get("password"))
        return cls._build(section["mode"], users, section.get("header"), section.get("default_role"), names,
                          section.get("trusted_proxies"), section.get("idle_minutes"))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> AccessConfig:
        """From CUSTLIB_ACCESS_MODE, _USERS, _HEADER and _DEFAULT_ROLE; none set: single-user.

        CUSTLIB_ACCESS_USERS lists ``name=role`` (header mode) or ``name=role:hash`` (password mode),
        separated by commas.
        """
        environ = os.environ if environ is None else environ
        present = sorted(key for key in environ if key.startswith("CUSTLIB_ACCESS_"))
        if not present:
            return cls()
        names = _IN_ENVIRONMENT
        unknown = [key for key in present if key not in ENVIRONMENT]
        if unknown:
            raise AccessConfigError(f"{unknown[0]} is not an access setting; the settings are "
                                    f"{', '.join(ENVIRONMENT)}.")
        if "CUSTLIB_ACCESS_MODE" not in environ:
            raise AccessConfigError(f"CUSTLIB_ACCESS_MODE is missing: set it to {', '.join(MODES)}.")
        users = {}
        for number, entry in enumerate(filter(None, (e.strip() for e in
                                                     environ.get("CUSTLIB_ACCESS_USERS", "").split(","))), 1):
            name, equals, rest = entry.partition("=")
            if not equals:
                raise AccessConfigError(f"CUSTLIB_ACCESS_USERS entry {number} has no '=': write name=role "
                                        f"(header mode) or name=role:hash (password mode), separated by commas.")
            role, _, password = rest.partition(":")
            users[name.strip()] = (role.strip(), password.strip() or None)
        proxies = environ.get("CUSTLIB_ACCESS_TRUSTED_PROXIES")
        return cls._build(environ["CUSTLIB_ACCESS_MODE"], users, environ.get("CUSTLIB_ACCESS_HEADER"),
                          environ.get("CUSTLIB_ACCESS_DEFAULT_ROLE"), names,
                          None if proxies is None else [p.strip() for p in proxies.split(",") if p.strip()],
                          environ.get("CUSTLIB_ACCESS_IDLE_MINUTES"))

    @classmethod
    def _build(cls, mode, users: dict[str, tuple], header, default_role, names: _SettingNames,
               trusted_proxies=None, idle_minutes=None) -> AccessConfig:
        mode = str(mode).strip().lower()
        if mode not in MODES:
            raise AccessConfigError(f"{names.setting('mode')} is {mode!r}; choose {', '.join(MODES)}.")
        if mode == "single-user" and users:
            raise AccessConfigError(f"{names.setting('users')} applies only in password, header and oidc mode, but "
                                    f"{names.setting('mode')} is single-user (where everyone is an analyst).")
        if header is not None and mode != "header":
            raise AccessConfigError(f"{names.setting('header')} applies only in header mode.")
        if default_role is not None and mode not in ("header", "oidc"):
            raise AccessConfigError(f"{names.setting('default_role')} applies only in header and oidc mode.")
        if trusted_proxies is not None and mode != "header":
            raise AccessConfigError(f"{names.setting('trusted_proxies')} applies only in header mode.")
        if idle_minutes is not None and mode != "password":
            raise AccessConfigError(f"{names.setting('idle_minutes')} applies only in password mode (the company's "
                                    f"sign-in decides how long a session lasts in header and oidc mode).")
        idle = DEFAULT_IDLE_MINUTES
        if idle_minutes is not None:
            try:
                idle = float(idle_minutes)
            except (TypeError, ValueError):
                idle = -1.0
            if not 0 < idle <= MAX_IDLE_MINUTES:
                raise AccessConfigError(f"{names.setting('idle_minutes')} is {str(idle_minutes)!r}; give the minutes "
                                        f"without a click after which a user is signed out, above 0 and at most "
                                        f"{MAX_IDLE_MINUTES:,.0f}.")
        proxies = []
        for entry in (DEFAULT_TRUSTED_PROXIES if trusted_proxies is None else
                      [trusted_proxies] if isinstance(trusted_proxies, str) else trusted_proxies):
            try:
                proxies.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                raise AccessConfigError(f"{names.setting('trusted_proxies')} holds {str(entry)!r}, which is not an "
                                        f"address or network (e.g. 10.0.0.5 or 10.0.0.0/24).") from None
        if mode == "header" and not proxies:
            raise AccessConfigError(f"{names.setting('trusted_proxies')} is empty, so no proxy would be believed; "
                                    f"list the proxy's address.")
        header = DEFAULT_HEADER if header is None else str(header).strip()
        if not _HEADER_NAME.match(header):
            raise AccessConfigError(f"{names.setting('header')} is {header!r}, which is not an HTTP header name "
                                    f"(e.g. {DEFAULT_HEADER}).")
        if default_role is not None and default_role not in ROLES:
            raise AccessConfigError(f"{names.setting('default_role')} is {default_role!r}; choose {_ROLE_CHOICES}.")
        accounts, seen = [], {}
        for name, (role, password) in users.items():
            if not name.strip() or len(name) > MAX_USER_NAME:
                raise AccessConfigError(f"{names.setting('users')} has a user name that is empty or longer than "
                                        f"{MAX_USER_NAME} characters.")
            if role not in ROLES:
                raise AccessConfigError(f"{names.user_setting(name, 'role')} is {role!r}; choose {_ROLE_CHOICES}.")
            if mode == "password":
                if not password:
                    raise AccessConfigError(f"{names.user_setting(name, 'password')} is missing: make a hash with "
                                            f"`python -m custlib hash-password`.")
                try:
                    parse_password_hash(password)
                except ValueError as exc:  # the value itself is never repeated: it may be a password typed in clear
                    raise AccessConfigError(f"{names.user_setting(name, 'password')} is not a password hash ({exc}); "
                                            f"make one with `python -m custlib hash-password`.") from None
            elif password:
                raise AccessConfigError(f"{names.user_setting(name, 'password')} applies only in password mode "
                                        f"(in header and oidc mode the company's sign-in checks who people are).")
            key = name.strip().casefold()
            if key in seen:
                raise AccessConfigError(f"{names.setting('users')} lists {seen[key]!r} and {name!r}: user names "
                                        f"are compared ignoring case, so these are the same user.")
            seen[key] = name
            accounts.append(Account(name.strip(), ROLES[role], password if mode == "password" else None))
        if mode == "password" and not accounts:
            raise AccessConfigError(f"{names.setting('users')} is empty: password mode needs at least one user.")
        if mode in ("header", "oidc") and not accounts and default_role is None:
            raise AccessConfigError(f"{names.setting('users')} is empty and {names.setting('default_role')} is "
                                    f"unset, so nobody could use the studio; list users or set a default role.")
        return cls(mode, tuple(accounts), header, ROLES[default_role] if default_role is not None else None,
                   tuple(proxies), idle)

    # --- who is this? ---

    def account(self, name: str | None) -> Account | None:
        """The listed user called ``name`` (ignoring case and surrounding spaces), or None."""
        wanted = (name or "").strip().casefold()
        return next((a for a in self.accounts if a.name.casefold() == wanted), None) if wanted else None

    def local_user(self) -> User:
        """Single-user mode: whoever runs the studio on this machine, as an analyst."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError, ImportError):  # no login name (e.g. a container without a passwd entry)
            name = "local user"
        return User(name, ROLES["analyst"])

    def sign_in(self, name: str, password: str) -> User | None:
        """Password mode: the user if ``password`` is theirs, else None (whether the name or the password was
        wrong is not told, and takes the same time)."""
        if self.mode != "password":
            raise ValueError(f"sign_in needs password mode, not {self.mode}")
        account = self.account(name)
        if account is None:
            iterations = parse_password_hash(self.accounts[0].password_hash)[0]
            verify_password(password, _decoy_hash(iterations))
            return None
        return User(account.name, account.role) if verify_password(password, account.password_hash) else None

    def signed_in_user(self, name: str | None) -> User | None:
        """Password mode: a signed-in user as the configuration has them now (None when no longer listed),
        so a changed role or a removed user takes effect on their next click."""
        account = self.account(name)
        return User(account.name, account.role) if account is not None else None

    def header_user_name(self, headers: Mapping[str, str]) -> str | None:
        """Header mode: the user name the proxy sent in ``header`` (header names ignore case), or None."""
        wanted = self.header.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == wanted), None)
        value = (value or "").strip()
        return value[:MAX_USER_NAME] if value else None

    def user_from_identity(self, claims: Mapping) -> User | None:
        """OIDC mode: the signed-in identity (the ID token's claims, ``st.user``) with the role listed for its
        email or its subject, else the default role; None when neither is listed and there is no default."""
        email, subject = str(claims.get("email") or "").strip(), str(claims.get("sub") or "").strip()
        name = (email or subject)[:MAX_USER_NAME]
        if not name:
            return None
        account = self.account(email) or self.account(subject)
        if account is not None:
            return User(account.name, account.role)
        return User(name, self.default_role) if self.default_role is not None else None

    def is_trusted_proxy(self, peer: str | None) -> bool:
        """Whether a connection from ``peer`` comes through a trusted proxy (None: loopback, as Streamlit
        reports it)."""
        try:
            addresses = [ipaddress.ip_address(a) for a in ([peer] if peer else ["127.0.0.1", "::1"])]
        except ValueError:
            return False
        return any(address in network for address in addresses for network in self.trusted_proxies
                   if network.version == address.version)

    def user_from_headers(self, headers: Mapping[str, str], peer: str | None = None) -> User | None:
        """Header mode: the user the proxy signed in, with their listed role or the default role; None when
        the connection does not come from a trusted proxy (``peer``: its address, None for loopback), the
        header is missing, or the user is not listed and there is no default role."""
        if not self.is_trusted_proxy(peer):
            return None
        name = self.header_user_name(headers)
        if name is None:
            return None
        account = self.account(name)
        if account is not None:
            return User(account.name, account.role)
        return User(name, self.default_role) if self.default_role is not None else None


def config_from_secrets_file(path: os.PathLike | str, environ: Mapping[str, str] | None = None) -> AccessConfig:
    """The access settings as the app reads them, for programs outside Streamlit: the ``[access]`` section of
    the secrets file at ``path`` when it has one, else the CUSTLIB_ACCESS_* environment, else single-user."""
    import tomllib

    path = Path(path)
    if path.is_file():
        try:
            secrets_ = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AccessConfigError(f"{path} could not be read: {exc}") from None
        if "access" in secrets_:
            return AccessConfig.from_mapping(secrets_["access"])
    return AccessConfig.from_environment(environ)


# --- who can reach the server ----------------------------------------------------------------------

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` can be reached only from this machine (127.0.0.0/8, ::1,
    localhost). An empty address means every interface, so it is not loopback."""
    address = (address or "").strip().strip("[]").lower()
    if not address:
        return False
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def exposure_problem(config: AccessConfig, address: str | None) -> str | None:
    """Why the studio must not serve on ``address`` with ``config`` (None: it may). Fail closed: without
    sign-in (single-user mode) everyone who reaches the server is an analyst, so only this machine may."""
    if config.mode != "single-user" or is_loopback(address):
        return None
    where = f"address {address!r}" if (address or "").strip() else "every network interface (no address set)"
    return (f"The studio is set to listen on {where} without sign-in: everyone who can reach it would be an "
            f"analyst, with unmasked contact details and the right to import and delete. Either listen on "
            f"this machine only (server.address = \"127.0.0.1\" in .streamlit/config.toml, the shipped "
            f"setting), or configure sign-in in the [access] section of .streamlit/secrets.toml (see "
            f"docs/reliability.md).")
