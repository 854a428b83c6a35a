"""What a role may see of a customer's name, email and phone: masked copies of personal data.

A role either sees contact details as stored (``Role.can_see_contacts_unmasked``, custlib.access) or a
masked copy: the first character of a name, the first character of an email's mailbox and its domain,
the last four digits of a phone number. ``mask_contacts`` is the one rule for pages and exports alike;
``mask_contacts_in_text`` finds contact details in free text (interaction notes).
"""
from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from .access import Role, role_named


CONTACT_COLUMNS = ("name", "email", "phone")
_EMAIL_IN_TEXT = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE_IN_TEXT = r"\+?\d[\d ()./-]{5,}\d"  # 7 or more characters of digits and separators


def _text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values as stripped text, and where there is some (missing and empty values stay as they are)."""
    text = values.astype("string").str.strip()
    return text, text.str.len().fillna(0).gt(0)


def mask_names(values: pd.Series) -> pd.Series:
    """First character and ``**``: 张三丰 -> 张**, Alice Smith -> A**."""
    text, present = _text(values)
    return (text.str.slice(0, 1) + "**").where(present, text)


def mask_emails(values: pd.Series) -> pd.Series:
    """First character of the mailbox and the domain: alice@example.com -> a***@example.com."""
    text, present = _text(values)
    parts = text.str.extract(r"^(.)[^@]*@(.+)$")
    masked = (parts[0] + "***@" + parts[1]).fillna(text.str.slice(0, 1) + "***")  # no "@": like a name
    return masked.where(present, text)


def mask_phones(values: pd.Series) -> pd.Series:
    """Only the last 4 digits: +86 138 1234 5678 -> ***5678 (4 digits or fewer: ***)."""
    text, present = _text(values)
    digits = text.str.replace(r"\D", "", regex=True)
    masked = ("***" + digits.str.slice(-4)).where(digits.str.len().fillna(0).gt(4), "***")
    return masked.where(present, text)


_MASKS: dict[str, Callable[[pd.Series], pd.Series]] = {"name": mask_names, "email": mask_emails,
                                                        "phone": mask_phones}


def _one(mask: Callable[[pd.Series], pd.Series], value):
    result = mask(pd.Series([value], dtype="object")).iloc[0]
    return None if pd.isna(result) else result


def mask_name(value: str | None) -> str | None:
    return _one(mask_names, value)


def mask_email(value: str | None) -> str | None:
    return _one(mask_emails, value)


def mask_phone(value: str | None) -> str | None:
    return _one(mask_phones, value)


def may_see_contacts(role: Role | str | None) -> bool:
    """Whether ``role`` sees names, emails and phones as stored (None, nobody signed in: no)."""
    if isinstance(role, str):
        role = role_named(role)
    return role is not None and role.can_see_contacts_unmasked


def mask_contacts(frame: pd.DataFrame, role: Role | str | None) -> pd.DataFrame:
    """``frame`` with its ``name``, ``email`` and ``phone`` columns masked unless ``role`` may see them.

    The one rule for pages and exports alike; ``role`` None (nobody signed in) masks. Other columns and
    the index are unchanged; a frame the role may see whole is returned as it is.
    """
    if may_see_contacts(role):
        return frame
    return frame.assign(**{column: mask(frame[column]) for column, mask in _MASKS.items() if column in frame})


# Emails spelt out to get past filters: "alice.smith at gmail dot com", "alice(at)gmail(dot)com", "alice 艾特 qq 点 com".
_AT = r"(?:@|＠|\(at\)|\[at\]|\bat\b|艾特)"
_DOT = r"(?:\.|。|\(dot\)|\[dot\]|\bdot\b|点)"
_SPELT_EMAIL = rf"([\w.+-]+)\s*{_AT}\s*([\w-]+(?:\s*{_DOT}\s*[\w-]+)+)"
# A messaging handle after its app's name: "微信: alice_2024", "WeChat ID zs1988", "QQ号 123456", "vx：abc123".
_HANDLE = (r"((?:微信号?|威信|V信|WeChat(?:\s*ID)?|weixin|wx|vx|QQ号?|QQ)\s*(?:号码|账号|ID)?\s*[:：是为]?\s*)"
           r"([A-Za-z0-9][A-Za-z0-9_.-]{3,29})")


def _name_variants(name: str) -> set[str]:
    """What a note may call a customer: the full name, each word of it (two letters or more), and a
    Chinese name without its one-character surname (张三丰 -> 三丰)."""
    name = " ".join(name.split())
    variants = {name} | {part for part in name.split(" ") if len(part) >= 2}
    if " " not in name and len(name) >= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in name):
        variants.add(name[1:])
    return variants


def mask_contacts_in_text(values: pd.Series, role: Role | str | None, names: tuple[str, ...] = ()) -> pd.Series:
    """Free text (interaction notes) with contact details masked, unless ``role`` may see contacts:
    email addresses (also spelt out with "at" and "dot"), phone numbers, WeChat and QQ handles after
    their app's name, and the given ``names`` in any letter case, word by word (a Chinese name also
    without its surname). A name spelt another way still cannot be found: keep contact details out of notes."""
    if may_see_contacts(role):
        return values
    text = values.astype("string")
    text = text.str.replace(_EMAIL_IN_TEXT, lambda m: mask_email(m.group(0)), regex=True)
    text = text.str.replace(_SPELT_EMAIL, lambda m: f"{m.group(1)[:1]}***@***", regex=True, flags=re.IGNORECASE)
    text = text.str.replace(_HANDLE, lambda m: f"{m.group(1)}{m.group(2)[:1]}***", regex=True, flags=re.IGNORECASE)
    text = text.str.replace(_PHONE_IN_TEXT, lambda m: mask_phone(m.group(0)), regex=True)
    variants = set().union(*(_name_variants(n) for n in names if isinstance(n, str) and n.strip()))
    for variant in sorted(variants, key=len, reverse=True):  # the full name before its parts
        pattern = re.escape(variant)
        if variant.isascii():
            pattern = rf"\b{pattern}\b"  # "Al" must not mask "Also"
        text = text.str.replace(pattern, lambda m: mask_name(m.group(0)), regex=True, flags=re.IGNORECASE)
    return text
