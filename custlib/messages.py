"""What custlib tells people, in English and Simplified Chinese: one template per message code.

custlib's analysis never writes sentences: a churn reason, an import finding or a refusal is a code plus
its numbers (``("overdue", {"a": 104, "b": 30})``). This table turns them into words, the same for the
pages (``ui.i18n`` reads it for custlib's codes) and the command line (``--lang en|zh``), so a
Chinese-speaking analyst reads a Chinese rejection report and the same reason a page shows.

Templates fill ``{name}`` with the parameter: a whole number when it is a number (rounded), else its text.
``{name:one|many}`` writes "one" when the number is 1, else "many" (English plurals; Chinese needs none).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LANGUAGES = ("en", "zh")

# code: (English, 简体中文)
TEXTS: dict[str, tuple[str, str]] = {
    # --- churn reasons (custlib.churn.reasons): a = the customer's value, b = what it is compared with ---
    "reason_overdue": ("no order for {a} days, usually orders every {b}", "已 {a} 天未下单，通常每 {b} 天下单一次"),
    "reason_single_purchase": ("bought only once, {a} days ago", "只购买过一次，在 {a} 天前"),
    "reason_spend_down": ("spend down {a}% on the previous half-year", "消费比上一个半年下降 {a}%"),
    "reason_orders_down": ("{a} {a:order|orders} in the last year, down from {b} the year before",
                           "过去一年 {a} 笔订单，前一年为 {b} 笔"),
    "reason_low_nps": ("gave NPS {a} (out of 10) in the latest survey", "最近一次调查的 NPS 为 {a}（满分 10）"),
    "reason_low_satisfaction": ("rated satisfaction {a} out of 5 in the latest survey",
                                "最近一次调查的满意度为 {a}（满分 5）"),
    "reason_complaints": ("{a} {a:complaint|complaints} in 90 days", "90 天内投诉 {a} 次"),
    "reason_returns": ("returned {a}% of what they bought", "退货金额占购买金额的 {a}%"),
    "reason_promo_buyer": ("{a}% of orders on promotion", "{a}% 的订单使用了促销"),
    "reason_lapsed": ("no purchase in the last {a} days: already lapsed", "最近 {a} 天没有购买：已经流失"),
}

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^|{}]*)\|([^{}]*))?\}")


def template(code: str, lang: str = "en") -> str:
    """The template of ``code`` in ``lang``; KeyError for an unknown code (a typo fails in tests)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return TEXTS[code][LANGUAGES.index(lang)]


def _number_text(value) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{int(np.rint(float(value)))}" if np.isfinite(float(value)) else ""
    return str(value)


def render(code: str, params: Mapping | None = None, lang: str = "en") -> str:
    """One message in words: ``render("reason_overdue", {"a": 104, "b": 30})``."""
    params = params or {}

    def fill(match: re.Match) -> str:
        value = params[match[1]]
        if match[2] is not None:
            return match[2] if float(value) == 1 else match[3]
        return _number_text(value)
    return _PLACEHOLDER.sub(fill, template(code, lang))


def _whole(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.rint(np.asarray(values, dtype=float)).astype(np.int64)), pa.string())


def render_column(codes, params: Mapping[str, np.ndarray], lang: str = "en") -> pd.Series:
    """Many messages in words, vectorised: ``codes`` (missing: no message) and one numeric array per parameter,
    aligned with it. No Python string is built per row; a missing code gives a missing text."""
    codes = pd.Series(codes, dtype="object").reset_index(drop=True)
    params = {name: np.asarray(values, dtype=float) for name, values in params.items()}
    out = np.full(len(codes), -1, dtype=np.int64)
    pieces, start = [], 0
    for code in pd.unique(codes.dropna()):
        rows = np.flatnonzero((codes == code).to_numpy())
        parts: list = []
        text = template(str(code), lang)
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position:match.start()])
            values = params[match[1]][rows]
            parts.append(_whole(values) if match[2] is None
                         else pc.if_else(pa.array(np.rint(values) == 1), match[2], match[3]))
            position = match.end()
        parts.append(text[position:])
        joined = pc.binary_join_element_wise(*[p if isinstance(p, pa.Array) else pa.scalar(p) for p in parts], "")
        if not isinstance(joined, pa.Array):  # a template without placeholders: the same text on every row
            joined = pa.array([joined.as_py()] * rows.size, type=pa.string())
        pieces.append(joined.cast(pa.large_string()))
        out[rows] = start + np.arange(rows.size)
        start += rows.size
    texts = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.large_string())
    return pd.Series(pc.take(texts, pa.array(out, mask=out < 0)), dtype="str")
