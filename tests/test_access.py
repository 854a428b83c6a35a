"""Roles, password hashes, the access configuration (secrets.toml and environment) and masking."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custlib import access, masking, throttle
from custlib.access import AccessConfig
from custlib.errors import AccessConfigError

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
HASH = access.hash_password(PASSWORD)  # one hash for the module: 600,000 iterations take ~0.1 s


# --- roles ------------------------------------------------------------------------------------------

def test_each_role_is_one_row_of_permissions():
    assert list(access.ROLES) == ["executive", "marketing", "analyst"]
    assert access.PERMISSIONS == ("can_see_customer_rows", "can_see_contacts_unmasked", "can_export_lists",
                                  "can_import_and_delete", "can_save_plans")
    granted = {name: [p for p in access.PERMISSIONS if role.allows(p)] for name, role in access.ROLES.items()}
    assert granted == {"executive": [],  # aggregates only
                       "marketing": ["can_see_customer_rows", "can_export_lists", "can_save_plans"],  # masked
                       "analyst": list(access.PERMISSIONS)}


def test_a_misspelt_permission_fails_loudly():
    with pytest.raises(KeyError, match="unknown permission 'can_see_rows'"):
        access.ROLES["analyst"].allows("can_see_rows")


# --- passwords --------------------------------------------------------------------------------------

def test_hash_matches_the_rfc_7914_pbkdf2_sha256_vector():
    # RFC 7914 section 11: PBKDF2-HMAC-SHA256, P = "passwd", S = "salt", c = 1; its first 32 bytes.
    stored = access.hash_password("passwd", iterations=1, salt=b"salt")
    algorithm, iterations, salt, digest = stored.split("$")
    assert (algorithm, iterations, base64.b64decode(salt)) == ("pbkdf2_sha256", "1", b"salt")
    assert base64.b64decode(digest).hex() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"


def test_hash_and_verify_round_trip_with_a_random_salt_each_time():
    assert HASH.startswith("pbkdf2_sha256$600000$")
    assert access.verify_password(PASSWORD, HASH)
    assert not access.verify_password("correct horse battery stapl", HASH)
    assert not access.verify_password("", HASH)
    again = access.hash_password(PASSWORD, iterations=access.MIN_ITERATIONS)
    assert again.split("$")[2] != HASH.split("$")[2]  # a new salt per hash
    assert access.verify_password(PASSWORD, again)


def test_the_same_password_typed_in_full_width_letters_matches():
    stored = access.hash_password("Pass1", iterations=access.MIN_ITERATIONS)
    assert access.verify_password("Ｐａｓｓ１", stored)  # NFKC: full-width forms from a Chinese input method


@pytest.mark.parametrize("stored", ["", "plain text password", "md5$1$abc$def", "pbkdf2_sha256$x$c2FsdA==$AA==",
                                    "pbkdf2_sha256$1000$!!!$AAAA", "pbkdf2_sha256$1000$c2FsdA==$AAAA"])
def test_a_malformed_hash_never_verifies(stored):
    assert not access.verify_password("plain text password", stored)
    with pytest.raises(ValueError):
        access.parse_password_hash(stored)


def test_an_empty_password_cannot_be_hashed():
    with pytest.raises(ValueError, match="cannot be empty"):
        access.hash_password("")


def test_hash_password_command_reads_stdin_and_prints_a_verifiable_hash():
    out = subprocess.run([sys.executable, "-m", "custlib", "hash-password"], input="s3cret pass\n",
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert access.verify_password("s3cret pass", out.stdout.strip())
    empty = subprocess.run([sys.executable, "-m", "custlib", "hash-password"], input="\n", capture_output=True,
                           text=True, cwd=REPO)
    assert empty.returncode == 1 and "The password is empty" in empty.stderr and "Traceback" not in empty.stderr


# --- configuration ----------------------------------------------------------------------------------

def password_config(**users) -> AccessConfig:
    return AccessConfig.from_mapping({"mode": "password", "users": {
        name: {"role": role, "password": HASH} for name, role in users.items()}})


def test_nothing_configured_is_single_user_mode_with_the_local_user_as_analyst():
    for config in (AccessConfig.from_mapping(None), AccessConfig.from_environment({}), AccessConfig()):
        assert config.mode == "single-user"
        local = config.local_user()
        assert local.role is access.ROLES["analyst"] and local.name


def test_password_mode_signs_in_listed_users_only():
    config = password_config(wang="marketing", boss="executive")
    assert config.sign_in("wang", PASSWORD) == access.User("wang", access.ROLES["marketing"])
    assert config.sign_in("  WANG ", PASSWORD).name == "wang"  # names ignore case and spaces
    assert config.sign_in("wang", "wrong") is None
    assert config.sign_in("nobody", PASSWORD) is None
    assert config.sign_in("", "") is None
    assert config.signed_in_user("boss").role.name == "executive"
    assert config.signed_in_user("gone") is None and config.signed_in_user(None) is None


def test_a_changed_role_applies_to_a_signed_in_user():
    before, after = password_config(wang="analyst"), password_config(wang="marketing")
    assert before.signed_in_user("wang").role.name == "analyst"
    assert after.signed_in_user("wang").role.name == "marketing"


def test_header_mode_maps_the_proxy_user_to_a_role():
    config = AccessConfig.from_mapping({"mode": "header", "header": "X-Auth-Request-User",
                                        "users": {"li.lei@corp.example": {"role": "analyst"}}})
    assert config.user_from_headers({"x-auth-request-user": "Li.Lei@corp.example"}).role.name == "analyst"
    assert config.user_from_headers({"X-Auth-Request-User": "stranger@corp.example"}) is None  # no default role
    assert config.user_from_headers({"X-Forwarded-User": "li.lei@corp.example"}) is None  # another header
    assert config.user_from_headers({}) is None
    assert config.header_user_name({"X-AUTH-REQUEST-USER": "  stranger  "}) == "stranger"


def test_header_mode_default_role_for_users_not_listed():
    config = AccessConfig.from_mapping({"mode": "header", "default_role": "executive"})
    assert config.header == "X-Forwarded-User"
    assert config.user_from_headers({"X-Forwarded-User": "anyone"}) == access.User("anyone", access.ROLES["executive"])


def test_environment_settings():
    config = AccessConfig.from_environment({"CUSTLIB_ACCESS_MODE": "password",
                                            "CUSTLIB_ACCESS_USERS": f"wang=marketing:{HASH}, boss=executive:{HASH}"})
    assert [(a.name, a.role.name) for a in config.accounts] == [("wang", "marketing"), ("boss", "executive")]
    assert config.sign_in("boss", PASSWORD).role.name == "executive"
    header = AccessConfig.from_environment({"CUSTLIB_ACCESS_MODE": "header", "CUSTLIB_ACCESS_USERS": "ann=analyst",
                                            "CUSTLIB_ACCESS_HEADER": "X-Remote-User",
                                            "CUSTLIB_ACCESS_DEFAULT_ROLE": "marketing"})
    assert header.user_from_headers({"X-Remote-User": "ann"}).role.name == "analyst"
    assert header.user_from_headers({"X-Remote-User": "bob"}).role.name == "marketing"


@pytest.mark.parametrize("section, message", [
    ({"mode": "open"}, r"access.mode is 'open'; choose single-user, password, header"),
    ({"mdoe": "password"}, r"access.mdoe is not an access setting"),
    ({"users": {}}, r"access.mode is missing"),
    ({"mode": "password", "users": {}}, r"access.users is empty: password mode needs at least one user"),
    ({"mode": "password", "users": {"bob": {"role": "admin", "password": HASH}}},
     r"access.users.bob.role is 'admin'; choose executive, marketing, analyst"),
    ({"mode": "password", "users": {"bob": {"role": "analyst"}}}, r"access.users.bob.password is missing"),
    ({"mode": "password", "users": {"bob": {"role": "analyst", "password": HASH, "email": "b@x"}}},
     r"access.users.bob.email is not a user setting"),
    ({"mode": "password", "users": {"bob": "analyst"}}, r"access.users.bob must be a table"),
    ({"mode": "password", "users": {"bob": {"role": "analyst", "password": HASH},
                                    "BOB": {"role": "executive", "password": HASH}}}, r"the same user"),
    ({"mode": "password", "header": "X-User", "users": {"bob": {"role": "analyst", "password": HASH}}},
     r"access.header applies only in header mode"),
    ({"mode": "single-user", "users": {"bob": {"role": "analyst"}}}, r"access.users applies only in password"),
    ({"mode": "header", "users": {"bob": {"role": "analyst", "password": HASH}}},
     r"access.users.bob.password applies only in password mode"),
    ({"mode": "header"}, r"nobody could use the studio"),
    ({"mode": "header", "default_role": "boss"}, r"access.default_role is 'boss'"),
    ({"mode": "header", "header": "X User", "default_role": "executive"}, r"access.header is 'X User'"),
])
def test_invalid_settings_name_the_setting(section, message):
    with pytest.raises(AccessConfigError, match=message):
        AccessConfig.from_mapping(section)


def test_a_password_written_in_clear_is_refused_without_repeating_it():
    with pytest.raises(AccessConfigError) as caught:
        AccessConfig.from_mapping({"mode": "password", "users": {"bob": {"role": "analyst",
                                                                          "password": "Summer2026!"}}})
    assert "access.users.bob.password is not a password hash" in str(caught.value)
    assert "python -m custlib hash-password" in str(caught.value)
    assert "Summer2026" not in str(caught.value)


@pytest.mark.parametrize("environ, message", [
    ({"CUSTLIB_ACCESS_USERS": "bob=analyst"}, "CUSTLIB_ACCESS_MODE is missing"),
    ({"CUSTLIB_ACCESS_MODE": "header", "CUSTLIB_ACCESS_USER": "bob=analyst"},
     "CUSTLIB_ACCESS_USER is not an access setting"),
    ({"CUSTLIB_ACCESS_MODE": "header", "CUSTLIB_ACCESS_USERS": "bob"}, "CUSTLIB_ACCESS_USERS entry 1 has no '='"),
    ({"CUSTLIB_ACCESS_MODE": "password", "CUSTLIB_ACCESS_USERS": "bob=analyst:nothash"},
     r"CUSTLIB_ACCESS_USERS \(the password of 'bob'\) is not a password hash"),
    ({"CUSTLIB_ACCESS_MODE": "header", "CUSTLIB_ACCESS_USERS": "bob=boss"},
     r"CUSTLIB_ACCESS_USERS \(the role of 'bob'\) is 'boss'"),
])
def test_invalid_environment_names_the_variable(environ, message):
    with pytest.raises(AccessConfigError, match=message):
        AccessConfig.from_environment(environ)


# --- masking ----------------------------------------------------------------------------------------

def test_names_keep_their_first_character():
    assert masking.mask_name("张三丰") == "张**"
    assert masking.mask_name("欧阳 娜娜") == "欧**"
    assert masking.mask_name(" Alice Smith") == "A**"
    assert masking.mask_name("") == ""
    assert masking.mask_name(None) is None and masking.mask_name(np.nan) is None


def test_emails_keep_the_first_character_and_the_domain():
    assert masking.mask_email("alice@example.com") == "a***@example.com"
    assert masking.mask_email("王芳@公司.中国") == "王***@公司.中国"
    assert masking.mask_email("not-an-address") == "n***"
    assert masking.mask_email(None) is None


def test_phones_keep_the_last_four_digits():
    assert masking.mask_phone("+86 138-1234-5678") == "***5678"
    assert masking.mask_phone("(020) 8888 1234") == "***1234"
    assert masking.mask_phone("1234") == "***"  # four digits or fewer would show the whole number
    assert masking.mask_phone(13812345678) == "***5678"
    assert masking.mask_phone(None) is None


def test_mask_contacts_masks_only_for_roles_that_may_not_see_them():
    frame = pd.DataFrame({"name": ["张三丰", None, "Bob"], "email": ["zs@corp.cn", "x@y.com", np.nan],
                          "phone": ["+86 138 1234 5678", None, "555"], "clv": [1.5, 2.0, 3.0]},
                         index=pd.Index(["c1", "c2", "c3"], name="customer_id"))
    for role in ("executive", "marketing", None, access.ROLES["marketing"]):
        masked = masking.mask_contacts(frame, role)
        assert masked["name"].tolist() == ["张**", pd.NA, "B**"]
        assert masked["email"].tolist() == ["z***@corp.cn", "x***@y.com", pd.NA]
        assert masked["phone"].tolist() == ["***5678", pd.NA, "***"]
        assert masked["clv"].tolist() == [1.5, 2.0, 3.0] and masked.index.equals(frame.index)
    assert masking.mask_contacts(frame, "analyst") is frame
    assert frame["name"].tolist()[0] == "张三丰"  # the input is never changed
    only_ids = frame[["clv"]]
    assert masking.mask_contacts(only_ids, "marketing").equals(only_ids)


def test_contact_details_in_free_text_notes_are_masked():
    notes = pd.Series(["Called 张三丰 on +86 138 1234 5678, wrote to zs@corp.cn", None, "Quote sent"])
    masked = masking.mask_contacts_in_text(notes, "marketing", names=("张三丰",)).tolist()
    assert masked == ["Called 张** on ***5678, wrote to z***@corp.cn", pd.NA, "Quote sent"]
    assert masking.mask_contacts_in_text(notes, "analyst", names=("张三丰",)) is notes


# --- fail closed on the network (issue 14, row 1) ---------------------------------------------------

@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("", False), (None, False), ("192.168.1.20", False),
    ("studio.example.com", False)])
def test_only_loopback_addresses_count_as_this_machine(address, loopback):
    assert access.is_loopback(address) is loopback


def test_single_user_mode_is_refused_on_any_other_address():
    single = access.AccessConfig()
    assert access.exposure_problem(single, "127.0.0.1") is None
    refusal = access.exposure_problem(single, "0.0.0.0")
    assert "without sign-in" in refusal and 'server.address = "127.0.0.1"' in refusal and "[access]" in refusal
    assert "every network interface" in access.exposure_problem(single, None)
    signed = access.AccessConfig.from_mapping({"mode": "header", "default_role": "executive"})
    assert access.exposure_problem(signed, "0.0.0.0") is None


def test_check_access_refuses_to_start_an_exposed_server_without_sign_in(tmp_path):
    def check(*args, **env):
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CUSTLIB_ACCESS_")} | env
        return subprocess.run([sys.executable, "-m", "custlib", "check-access", *args], capture_output=True,
                              text=True, cwd=REPO, env=environ)
    missing = str(tmp_path / "no-secrets.toml")
    assert check("--address", "127.0.0.1", "--secrets", missing).returncode == 0
    refused = check("--address", "0.0.0.0", "--secrets", missing)
    assert refused.returncode == 1 and "without sign-in" in refused.stderr and "Traceback" not in refused.stderr
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[access]\nmode = "header"\ndefault_role = "executive"\n')
    assert check("--address", "0.0.0.0", "--secrets", str(secrets)).returncode == 0
    assert check("--address", "0.0.0.0", "--secrets", missing, CUSTLIB_ACCESS_MODE="header",
                 CUSTLIB_ACCESS_DEFAULT_ROLE="marketing").returncode == 0
    secrets.write_text("[access\n")
    broken = check("--address", "127.0.0.1", "--secrets", str(secrets))
    assert broken.returncode == 1 and "could not be read" in broken.stderr


# --- bounded hashes and the sign-in throttle (issue 14, rows 9 and 10) --------------------------------

@pytest.mark.parametrize("iterations", [1, 1_000, access.MIN_ITERATIONS - 1, access.MAX_ITERATIONS + 1])
def test_a_stored_hash_outside_the_iteration_bounds_is_refused(iterations):
    weak = access.hash_password("Tea for two", iterations=iterations)
    assert not access.verify_password("Tea for two", weak)
    with pytest.raises(AccessConfigError, match="iteration count .* is outside 100,000 .. 5,000,000"):
        AccessConfig.from_mapping({"mode": "password", "users": {"wang": {"role": "analyst", "password": weak}}})


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_throttle_backs_off_per_user_name_and_per_address():
    clock = FakeClock()
    limiter = throttle.SignInThrottle(free_failures=5, base_delay=2.0, max_delay=60.0, clock=clock)
    for _ in range(5):
        assert limiter.wait_seconds("Wang", "10.0.0.9") == 0
        limiter.failed("wang ", "10.0.0.9")
    assert limiter.wait_seconds("wang", None) == 2.0           # the user name, from any address
    assert limiter.wait_seconds("li", "10.0.0.9") == 2.0       # the address, for any user name
    assert limiter.wait_seconds("li", "10.0.0.8") == 0
    clock.now += 2.0
    assert limiter.wait_seconds("wang", "10.0.0.9") == 0
    limiter.failed("wang", "10.0.0.9")
    assert limiter.wait_seconds("wang", "10.0.0.9") == 4.0     # doubles with every further failure
    for _ in range(10):
        limiter.failed("wang", "10.0.0.9")
    assert limiter.wait_seconds("wang", "10.0.0.9") == 60.0    # capped
    limiter.succeeded("wang", "10.0.0.9")
    assert limiter.wait_seconds("wang", "10.0.0.9") == 0


def test_free_text_masking_catches_first_names_spelt_out_emails_and_messaging_handles():
    """Issue 14, row 18: "Alice", "alice.smith at gmail dot com" and WeChat/QQ handles passed the masking."""
    notes = pd.Series([
        "Spoke to Alice; she prefers alice.smith at gmail dot com or ALICE(at)corp(dot)cn",
        "SMITH asked for a call back. Also: alice's WeChat ID alice_1988, QQ 12345678",
        "三丰说微信号：zsf_2024，QQ号是 5201314，邮箱 zsf 艾特 qq 点 com",
        "Albert and Smithers are other people",
    ])
    masked = masking.mask_contacts_in_text(notes, "marketing", names=("Alice Smith", "张三丰")).tolist()
    assert masked[0] == "Spoke to A**; she prefers a***@*** or A***@***"
    assert masked[1] == "S** asked for a call back. Also: a**'s WeChat ID a***, QQ 1***"
    assert masked[2] == "三**说微信号：z***，QQ号是 5***，邮箱 z***@***"
    assert masked[3] == "Albert and Smithers are other people"  # whole words only
    assert masking.mask_contacts_in_text(notes, "analyst", names=("Alice Smith",)) is notes


# --- header mode believes only its proxy (issue 14, row 2) ---------------------------------------------

def test_header_mode_believes_the_header_only_from_trusted_proxies():
    local = AccessConfig.from_mapping({"mode": "header", "default_role": "marketing"})
    headers = {"X-Forwarded-User": "wang"}
    assert local.user_from_headers(headers, None).name == "wang"          # loopback: a proxy on this machine
    assert local.user_from_headers(headers, "203.0.113.7") is None        # anyone else reaching the studio
    remote = AccessConfig.from_mapping({"mode": "header", "default_role": "marketing",
                                        "trusted_proxies": ["10.0.0.5", "192.0.2.0/24"]})
    assert remote.user_from_headers(headers, "10.0.0.5").name == "wang"
    assert remote.user_from_headers(headers, "192.0.2.77").name == "wang"
    assert remote.user_from_headers(headers, None) is None               # then not even this machine
    assert remote.user_from_headers(headers, "not an address") is None
    from_env = AccessConfig.from_environment({"CUSTLIB_ACCESS_MODE": "header", "CUSTLIB_ACCESS_DEFAULT_ROLE":
                                              "executive", "CUSTLIB_ACCESS_TRUSTED_PROXIES": "10.0.0.5, ::1"})
    assert from_env.is_trusted_proxy("10.0.0.5") and from_env.is_trusted_proxy(None)
    with pytest.raises(AccessConfigError, match="not an address or network"):
        AccessConfig.from_mapping({"mode": "header", "default_role": "executive", "trusted_proxies": ["proxy"]})
    with pytest.raises(AccessConfigError, match="applies only in header mode"):
        AccessConfig.from_mapping({"mode": "password", "users": {"a": {"role": "analyst", "password": HASH}},
                                   "trusted_proxies": ["10.0.0.5"]})


# --- OIDC sign-in (issue 14, deliverable 2) ----------------------------------------------------------

def test_oidc_roles_come_from_the_identitys_email_or_subject():
    config = AccessConfig.from_mapping({"mode": "oidc", "users": {"Alice@Example.com": {"role": "marketing"},
                                                                   "svc-7f3a": {"role": "analyst"}}})
    assert config.user_from_identity({"sub": "x1", "email": "alice@example.com"}) == \
        access.User("Alice@Example.com", access.ROLES["marketing"])
    assert config.user_from_identity({"sub": "svc-7f3a"}).role.name == "analyst"
    assert config.user_from_identity({"sub": "x2", "email": "mallory@example.com"}) is None
    assert config.user_from_identity({}) is None
    everyone = AccessConfig.from_mapping({"mode": "oidc", "default_role": "executive"})
    assert everyone.user_from_identity({"sub": "x3", "email": "new@example.com"}).name == "new@example.com"
    assert access.exposure_problem(everyone, "0.0.0.0") is None  # sign-in is configured
    with pytest.raises(AccessConfigError, match="applies only in password mode"):
        AccessConfig.from_mapping({"mode": "oidc", "users": {"a": {"role": "analyst", "password": HASH}}})
    with pytest.raises(AccessConfigError, match="nobody could use the studio"):
        AccessConfig.from_mapping({"mode": "oidc"})
