"""Number formatting (ui.format): one convention for every page."""
from __future__ import annotations

import pytest
import streamlit as st

from ui import format as fmt


@pytest.fixture
def language():
    def use(code: str) -> None:
        st.session_state["app_language"] = code
    yield use
    st.session_state.pop("app_language", None)


def test_amounts_counts_and_shares():
    assert fmt.money(1234.5, symbol="¥") == "¥1,234"       # Python rounds half to even
    assert fmt.money(-80, symbol="$") == "-$80"
    assert fmt.money(-0.4, symbol="$") == "$0"              # no "-$0"
    assert fmt.money(25.5, decimals=2, symbol="€") == "€25.50"
    assert fmt.number(1234567) == "1,234,567"
    assert fmt.percent(0.125) == "12.5%" and fmt.percent(0.125, signed=True) == "+12.5%"
    assert fmt.change(330, 170) == "+94.1%" and fmt.change(1, 0) is None
    assert fmt.money(None) == fmt.number(float("nan")) == fmt.percent(None) == "–"


def test_compact_amounts_follow_the_language(language):
    language("en")
    assert fmt.money(4_387_601, symbol="¥", compact=True) == "¥4.39M"
    assert fmt.money(999_999, symbol="¥", compact=True) == "¥999,999"
    language("zh")
    assert fmt.money(4_387_601, symbol="¥", compact=True) == "¥438.8万"
    assert fmt.money(-125_000_000, symbol="¥", compact=True) == "-¥1.25亿"


def test_months_and_days(language):
    language("en")
    assert fmt.month("2024-02-01") == "Feb 2024"
    language("zh")
    assert fmt.month("2024-02-01") == "2024年2月"
    assert fmt.day("2024-03-10T00:00:00") == "2024-03-10"
