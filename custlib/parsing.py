"""How the values of a column are written: date formats, amount styles, flags.

Detection looks at a sample of a column's raw text in Python; the chosen format
then becomes a DuckDB SQL expression that parses the whole column in bulk. The
SQL fragments contain only our own column names (``c1``, ``c2``, ...) and
format literals from the fixed lists below, never text from the user's file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .errors import ImportRejected, NeedsDecision

DAY_FIRST, MONTH_FIRST = "day-first", "month-first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)

_TIME_SUFFIXES = ["", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f", "T%H:%M:%SZ",
                  "T%H:%M:%S.%fZ"]
_YEAR_FIRST = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
_DAY_FIRST = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
_MONTH_FIRST = ["%m/%d/%Y", "%m-%d-%Y"]


def _with_times(bases: list[str]) -> list[str]:
    return [base + suffix for base in bases for suffix in _TIME_SUFFIXES]


DATE_FAMILIES: dict[str, list[str]] = {
    "year-first": _with_times(_YEAR_FIRST) + ["%Y%m%d"],
    DAY_FIRST: _with_times(_DAY_FIRST),
    MONTH_FIRST: _with_times(_MONTH_FIRST),
}
FAMILY_LABELS = {"year-first": "year first (2024-07-31)", DAY_FIRST: "day first (31/07/2024)",
                 MONTH_FIRST: "month first (07/31/2024)", "excel": "Excel serial numbers (45500)"}
# Excel serial day numbers for 1954..2119: wide enough for real data, narrow enough not to be amounts.
EXCEL_SERIAL_RANGE = (20000, 80000)
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_YEAR_LED = re.compile(r"^\d{4}")
_CJK_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日")


@dataclass(frozen=True)
class DateFormat:
    formats: tuple[str, ...]      # strptime formats tried in order
    excel_serial: bool            # also accept Excel serial day numbers
    families: tuple[str, ...]

    @property
    def label(self) -> str:
        return ", ".join(FAMILY_LABELS[f] for f in self.families)

    def sql(self, column: str, timestamp: bool = False) -> str:
        """A DuckDB expression parsing ``column`` (trimmed text) to DATE (or TIMESTAMP), NULL when it fails."""
        formats = ", ".join("'" + f.replace("'", "''") + "'" for f in self.formats)
        parts = []
        if self.formats:
            parts.append(f"try_strptime({column}, [{formats}])")
        if self.excel_serial:
            low, high = EXCEL_SERIAL_RANGE
            parts.append(
                f"case when regexp_full_match({column}, '\\d{{5}}(\\.\\d+)?') "
                f"and try_cast({column} as double) between {low} and {high} "
                f"then timestamp '1899-12-30' + to_microseconds(cast(round(try_cast({column} as double) "
                f"* 86400000000) as bigint)) end")
        expr = f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]
        return expr if timestamp else f"cast({expr} as date)"


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def detect_date_format(values: list[str], column_label: str, date_order: str | None = None) -> DateFormat:
    """Choose the date format(s) of a column from a sample of its non-empty values.

    Day-first and month-first are told apart by values whose first or second part
    exceeds 12. When every value fits both (03/04/2024), guessing could be silently
    wrong, so we raise NeedsDecision unless ``date_order`` says which.
    """
    sample = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))  # each distinct value once
    if not sample:
        return DateFormat(tuple(DATE_FAMILIES["year-first"]), True, ("year-first",))
    # Every format starts with a number: other values cannot match any, so they are not tried (a column
    # of 20,000 words would otherwise cost a second of failing strptime calls).
    candidates = [i for i, v in enumerate(sample) if v[0].isdigit()]
    # Year-first formats start with a four-digit year, the others with a day or month of one or two digits:
    # a value is tried only with the family it can match (2024-07-31 would fail 32 day-first formats).
    year_led = {i for i in candidates if _YEAR_LED.match(sample[i])}
    matched: dict[str, set[int]] = {}
    used_formats: dict[str, list[str]] = {}
    for family, formats in DATE_FAMILIES.items():
        hits: set[int] = set()
        used: list[str] = []
        tried = [i for i in candidates if (i in year_led) == (family == "year-first")]
        for fmt in formats:
            new = {i for i in tried if i not in hits and _parses(sample[i], fmt)}
            if new:
                hits |= new
                used.append(fmt)
        if hits:
            matched[family] = hits
            used_formats[family] = used
    excel = {i for i, v in enumerate(sample)
             if _EXCEL_SERIAL.match(v) and EXCEL_SERIAL_RANGE[0] <= float(v) <= EXCEL_SERIAL_RANGE[1]}
    if not matched and not excel:  # no value is a date: read as ISO, so that every row is reported
        return DateFormat(tuple(DATE_FAMILIES["year-first"]), True, ("year-first",))

    day, month = matched.get(DAY_FIRST, set()), matched.get(MONTH_FIRST, set())
    if day and month:
        if date_order in DATE_ORDERS:
            matched.pop(MONTH_FIRST if date_order == DAY_FIRST else DAY_FIRST)
        elif day == month:
            example = sample[min(day)]
            raise NeedsDecision(
                f"{column_label}: dates such as {example!r} could be day-first or month-first, and no value "
                f"tells them apart. Choose one: --date-order day-first or --date-order month-first "
                f"(on the Data page, 'Date order').", option="date_order", choices=list(DATE_ORDERS))
        elif day > month:
            matched.pop(MONTH_FIRST)
        elif month > day:
            matched.pop(DAY_FIRST)
        else:
            only_day = sample[min(day - month)]
            only_month = sample[min(month - day)]
            raise ImportRejected(kind="mixed_date_orders", code="import_mixed_date_orders", prefix=column_label,
                                 params={"day_first": only_day, "month_first": only_month})
    families = tuple(f for f in DATE_FAMILIES if f in matched)
    formats = tuple(fmt for f in families for fmt in used_formats[f])
    return DateFormat(formats, bool(excel), families + (("excel",) if excel else ()))


# --- amounts ------------------------------------------------------------------

_COMMA_DECIMAL = re.compile(r"^[-+(]?(\d{1,3}(\.\d{3})*|\d+),\d+\)?-?$")  # 1.234,50 and 1234,50
_DOT_DECIMAL = re.compile(r"^[-+(]?\d{1,3}(,\d{3})*\.\d+\)?-?$|^[-+(]?\d+\.\d+\)?-?$|^[-+(]?\d{1,3}(,\d{3})+\)?-?$")
_CURRENCY = r"(?i)(rmb|cny|usd|eur|gbp|hkd|jpy|元|人民币|¥|￥|\$|€|£|\s|\x{00a0}|\x{202f}|'')"
_FULLWIDTH_FROM = "０１２３４５６７８９．，－＋（）"
_FULLWIDTH_TO = "0123456789.,-+()"


def detect_decimal_style(values: list[str]) -> str:
    """'comma' when the sample writes amounts as 1.234,50 or 1 234,50; otherwise 'dot' (1,234.50)."""
    comma = dot = 0
    for value in values:
        if not value:
            continue
        raw = value.translate(str.maketrans(_FULLWIDTH_FROM, _FULLWIDTH_TO)).strip()
        # Currency and every space go, as in amount_sql: "- € 1 234,50" is read as "-1234,50".
        raw = re.sub(r"(?i)(rmb|cny|usd|eur|gbp|hkd|jpy|元|人民币|¥|￥|\$|€|£)|\s", "", raw)
        if _COMMA_DECIMAL.match(raw) and not _DOT_DECIMAL.match(raw):
            comma += 1
        elif _DOT_DECIMAL.match(raw):
            dot += 1
    return "comma" if comma > dot else "dot"


def amount_sql(column: str, style: str) -> str:
    """DuckDB expression: text like ¥1,234.50 / ￥1,234.50 / $1,234.50 / 1 234,50 / (12.00) -> DOUBLE or NULL."""
    cleaned = (f"regexp_replace(translate({column}, '{_FULLWIDTH_FROM}', '{_FULLWIDTH_TO}'), "
               f"'{_CURRENCY}', '', 'g')")
    # Accounting negatives: (12.50) and 12.50- both mean -12.50.
    signed = (f"regexp_replace(regexp_replace({cleaned}, '^\\((.*)\\)$', '-\\1'), '^([^-].*)-$', '-\\1')")
    if style == "comma":
        numeric = f"replace(replace({signed}, '.', ''), ',', '.')"
    else:
        numeric = f"replace({signed}, ',', '')"
    # Plain numbers skip the regular expressions: most rows of large files are plain.
    return f"coalesce(try_cast({column} as double), try_cast({numeric} as double))"


# A cell of only whitespace is empty: DuckDB's trim() drops spaces (also no-break and ideographic ones)
# but not tabs, line breaks, zero-width spaces or a stray byte-order mark (RE2: \s, \pZ = separators).
_BLANK = r"[\s\pZ\x{0b}\x{85}\x{200b}-\x{200d}\x{2060}\x{feff}]*"


def blank_sql(column: str) -> str:
    """DuckDB condition: ``column`` is NULL or holds only whitespace and invisible characters."""
    return f"({column} is null or regexp_full_match({column}, '{_BLANK}'))"


FLAG_TRUE = ("1", "true", "t", "yes", "y", "是", "促销", "活动", "promo", "on", "x")
FLAG_FALSE = ("0", "false", "f", "no", "n", "否", "", "none", "off", "-", "正常")


def flag_sql(column: str) -> str:
    true_list = ", ".join(f"'{v}'" for v in FLAG_TRUE)
    false_list = ", ".join(f"'{v}'" for v in FLAG_FALSE)
    return (f"case when lower({column}) in ({true_list}) then true "
            f"when lower({column}) in ({false_list}) then false end")


INTERACTION_KIND_WORDS = {
    "call": ["call", "phone", "电话", "通话", "来电", "去电"],
    "visit": ["visit", "meeting", "拜访", "上门", "面访", "会议"],
    "email": ["email", "e-mail", "mail", "邮件"],
    "ticket": ["ticket", "support", "工单", "服务单", "售后"],
    "complaint": ["complaint", "投诉", "客诉"],
    "survey": ["survey", "nps", "questionnaire", "调查", "问卷", "回访", "满意度调查"],
}


def kind_sql(column: str) -> str:
    cases = " ".join(
        f"when lower({column}) in ({', '.join(repr(w) for w in words)}) then '{kind}'"
        for kind, words in INTERACTION_KIND_WORDS.items())
    return f"case {cases} end"
