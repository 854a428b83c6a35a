"""Names of things that come from the data and the models, in the page's language.

Segments, value tiers, lifecycle stages, k-means cluster descriptions, periods, and the Overview's
findings (custlib.findings) filled with formatted numbers. Every name goes through ui.i18n.
"""
from __future__ import annotations

import pandas as pd

from custlib import segments
from custlib.findings import Finding

from . import format as fmt
from .i18n import t, t_or


def _key(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(text)).strip("_")


def segment(name: str) -> str:
    """An RFM segment's name ("can't lose them" -> "Can't lose them" / "不能失去")."""
    return t_or(f"segment_{_key(name)}", str(name))


def tier(name: str) -> str:
    return t_or(f"tier_{_key(name)}", str(name))


def stage(name: str) -> str:
    return t_or(f"stage_{_key(name)}", str(name))


def tiers() -> dict[str, str]:
    return {name: tier(name) for name in segments.TIERS}


def stages() -> dict[str, str]:
    return {name: stage(name) for name in segments.STAGES}


def cluster(number: int, description: str) -> str:
    """"Cluster 1: recent, frequent, high spend" (clusters are numbered from 1 for readers)."""
    words = t("list_separator").join(t_or(f"cluster_word_{_key(w)}", w) for w in str(description).split(", "))
    return t("cluster_label", number=int(number) + 1, description=words)


def group(kind: str, name) -> str:
    """The name of a group of ``kind`` (segment, tier, stage; clusters are named by :func:`cluster`)."""
    return {"segment": segment, "tier": tier, "stage": stage}.get(kind, str)(name)


def period(start, grain: str) -> str:
    """"Sep 2026", "2026 Q3" or "2026" (Chinese: "2026年9月", "2026年第3季度", "2026年")."""
    stamp = pd.Timestamp(start)
    if grain == "month":
        return fmt.month(stamp)
    if grain == "quarter":
        return t("period_quarter", year=stamp.year, quarter=(stamp.month - 1) // 3 + 1)
    if grain == "week":
        return t("period_week", day=fmt.day(stamp))
    return t("period_year", year=stamp.year)


def _formatted(name: str, value) -> str:
    if value is None:
        return "–"
    if name.endswith("_amount"):
        return fmt.money(value, compact=abs(value) >= 1e6)
    if name.endswith("_change"):
        return fmt.percent(value, signed=True)
    if name.endswith("_share"):
        return fmt.percent(value)
    if name.endswith("_points"):
        return f"{value:+.1f}"
    if name.endswith("_count"):
        return fmt.number(value)
    if name.endswith("_value"):
        return f"{value:+.0f}" if isinstance(value, float) else str(value)
    if name == "tier":
        return tier(value)
    if name == "segment":
        return segment(value)
    return str(value)


def finding_text(finding: Finding) -> str:
    """The finding as one sentence in the page's language, numbers formatted by their names."""
    values = {name: _formatted(name, value) for name, value in finding.values.items()}
    parts = [t(f"finding_{finding.key}", **values)] + [t(f"finding_{clause}", **values) for clause in finding.clauses]
    return "".join(parts) + t("finding_stop")

