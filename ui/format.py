"""Number and date formatting for everything users read: one place, one convention.

Amounts are shown with the currency symbol chosen in the sidebar and thousands
separators; shares are fractions (0.125) shown as percentages ("12.5%").
"""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import streamlit as st

from . import state

CURRENCIES = ("¥", "$", "€", "£", "HK$")


def currency() -> str:
    """The currency symbol chosen in the sidebar."""
    return st.session_state.get(state.CURRENCY, state.DEFAULTS[state.CURRENCY])


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def number(value, decimals: int = 0) -> str:
    """1234.5 -> "1,235"; missing -> "–"."""
    if _missing(value):
        return "–"
    return f"{value:,.{decimals}f}"


def money(value, decimals: int = 0, symbol: str | None = None, compact: bool = False) -> str:
    """1234.5 -> "¥1,235"; -80 -> "-¥80"; in the sidebar's currency unless ``symbol`` is given.

    ``compact`` (for metric cards) shortens amounts of a million or more: "¥4.39M" in English,
    "¥438.8万" / "¥1.25亿" in Chinese.
    """
    if _missing(value):
        return "–"
    symbol = currency() if symbol is None else symbol
    size = abs(value)
    if compact and size >= 1e6:
        if st.session_state.get(state.LANGUAGE) == "zh":
            text = f"{size / 1e8:,.2f}亿" if size >= 1e8 else f"{size / 1e4:,.1f}万"
        else:
            text = f"{size / 1e9:,.2f}B" if size >= 1e9 else f"{size / 1e6:,.2f}M"
    else:
        text = f"{size:,.{decimals}f}"
    sign = "-" if value < 0 and round(size, decimals) > 0 else ""
    return f"{sign}{symbol}{text}"


def money_compact(value) -> str:
    """money(value, compact=True): for metric cards, where width is short."""
    return money(value, compact=True)


def percent(share, decimals: int = 1, signed: bool = False) -> str:
    """0.125 -> "12.5%" (``signed``: "+12.5%")."""
    if _missing(share):
        return "–"
    return f"{share * 100:{'+' if signed else ''},.{decimals}f}%"


def change(current, previous, decimals: int = 1) -> str | None:
    """Relative change as a signed percentage ("+12.5%"); None when there is nothing to compare with."""
    if _missing(current) or _missing(previous) or previous == 0:
        return None
    return percent((current - previous) / abs(previous), decimals, signed=True)


def day(value) -> str:
    """A date as ISO 8601 (2024-12-31), the same in every language."""
    if _missing(value):
        return "–"
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, (pd.Timestamp, datetime)):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)


def month(value, language: str | None = None) -> str:
    """A month as "Dec 2024" (English) or "2024年12月" (Chinese)."""
    stamp = pd.Timestamp(value)
    language = language or st.session_state.get(state.LANGUAGE, "en")
    if language == "zh":
        return f"{stamp.year}年{stamp.month}月"
    return stamp.strftime("%b %Y")


def points(current, previous, scale: float = 1.0, decimals: int = 1) -> str | None:
    """Difference in points, signed ("+2.5 pts"); ``scale`` 100 turns fractions into percentage points."""
    if _missing(current) or _missing(previous):
        return None
    from .i18n import t  # here: format is imported by i18n's users, not the other way round
    return t("points_delta", value=f"{(current - previous) * scale:+,.{decimals}f}")


MARKDOWN_CHARACTERS = set("\\`*_{}[]()<>#+-.!|~$:")  # CommonMark escapes any of these


def plain(text: str) -> str:
    """``text`` shown as written inside markdown (st.caption, st.error): markdown characters escaped, so a
    user name like ``*admin*`` or ``[x](http://…)`` is not formatted or made a link."""
    return "".join("\\" + ch if ch in MARKDOWN_CHARACTERS else ch for ch in str(text))

