"""The translation table: complete, real Chinese, same placeholders, and every key the code uses exists."""
from __future__ import annotations

import re
import string
from pathlib import Path

from ui.i18n import TEXT

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_WORDS = {"chart_month_tickformat", "chart_month_hoverformat", "format_Parquet",  # formats and names
             "report_detected_format",
             "list_separator", "list_separator_major", "finding_stop", "scope_filter",  # punctuation
             "val_model_bgnbd", "val_model_mbgnbd", "val_model_pareto_nbd"}  # model names


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_has_english_and_chinese_with_the_same_placeholders():
    wrong = []
    for key, (english, chinese) in TEXT.items():
        if not english.strip() or not chinese.strip():
            wrong.append(f"{key}: empty")
        if placeholders(english) != placeholders(chinese):
            wrong.append(f"{key}: placeholders differ")
        if key not in NOT_WORDS and (not CJK.search(chinese) or CJK.search(english)):
            wrong.append(f"{key}: {chinese!r} is not Chinese or {english!r} is not English")
    assert wrong == []


def test_every_key_used_in_the_app_exists():
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    sources.remove(ROOT / "ui" / "i18n.py")  # its docstring shows t("key")
    used = set()
    for path in sources:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"""^\s*\("(nav_[a-z]+)", "pages/""", path.read_text(encoding="utf-8"), re.M))
    assert used, "no t() calls found"
    assert sorted(used - set(TEXT)) == []
