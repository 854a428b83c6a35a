"""Messages as codes (issue 15, item 6): custlib says findings, reasons and errors as a code plus parameters;
custlib.messages words them in English and Chinese, for the pages and the command line alike."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from custlib import churn, messages
from custlib.errors import ImportRejected

REPO = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w+)(?::[^{}]*)?\}")


@pytest.mark.parametrize("code", sorted(messages.TEXTS))
def test_every_code_says_the_same_in_both_languages(code):
    english, chinese = messages.TEXTS[code]
    assert english and chinese and english != chinese or code == "error_text"
    assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(chinese)), code
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("是/否", "")), f"{code}: Chinese in the English text"


def test_every_code_custlib_uses_is_in_the_table():
    used = {rule.code for rule in churn.REASON_RULES}
    patterns = (r'_reject\(\s*report,\s*"[a-z_0-9]+",\s*"([a-z_0-9]+)"',   # -> "import_" + code
                r'code="([a-z_0-9]+)"', r'Problem\([^,]+,\s*[A-Z]+,\s*"([a-z_0-9]+)",',
                r'\("(?!import)[a-z_]+", "(import_[a-z_]+)"', r'= "(import_[a-z_]+)" if', r'else "(import_[a-z_]+)"',
                r'"(reason_lapsed)"')
    for path in (REPO / "custlib").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= {"import_" + m for m in re.findall(patterns[0], text)}
        for pattern in patterns[1:]:
            used |= set(re.findall(pattern, text))
    assert len(used) > 60
    assert used - set(messages.TEXTS) == set()


def test_words_are_filled_with_the_customers_numbers_in_either_language():
    assert messages.render("reason_orders_down", {"a": 1, "b": 4}) == "1 order in the last year, down from 4 the year before"
    assert messages.render("reason_orders_down", {"a": 3, "b": 4}, "zh") == "过去一年 3 笔订单，前一年为 4 笔"
    column = messages.render_column(["reason_complaints", None, "reason_complaints"],
                                    {"a": np.array([1.0, np.nan, 2.0])}, "en")
    assert column.iloc[0] == "1 complaint in 90 days" and column.isna().iloc[1] and column.iloc[2] == "2 complaints in 90 days"
    with pytest.raises(KeyError):
        messages.render("reason_no_such_rule", {})


def test_an_error_with_a_code_speaks_chinese_and_keeps_its_english():
    error = ImportRejected(code="import_unknown_field", prefix="sales.csv",
                           params={"field": "amout", "table": "transactions", "fields": "customer_id, amount"})
    assert str(error) == "sales.csv: 'amout' is not a field of transactions; fields are customer_id, amount."
    assert error.text("zh") == "sales.csv: “amout”不是 transactions 的字段；可用字段为 customer_id, amount。"


def test_the_cli_reports_an_import_in_chinese(tmp_path):
    bad = tmp_path / "订单.csv"
    bad.write_text("客户,日期,金额\nC1,2024-01-05,12.5\nC2,2024-13-45,8\nC3,2024-01-07,abc\n", encoding="gbk")
    run = lambda *a: subprocess.run([sys.executable, "-m", "custlib", "import", str(bad), "--db",
                                     str(tmp_path / "s.duckdb"), *a], capture_output=True, text=True, cwd=REPO)
    english, chinese = run(), run("--lang", "zh")
    assert english.returncode == chinese.returncode == 0, english.stderr + chinese.stderr
    assert "is not an amount" in english.stdout and "row 4" in english.stdout
    assert "不是金额" in chinese.stdout and "第 4 行" in chinese.stdout and "is not an amount" not in chinese.stdout
    assert "已从 订单.csv 导入 3 行中的 1 行" in chinese.stdout
    refused = run("--lang", "zh", "--map", "amout=金额")
    assert refused.returncode == 1 and "“amout”不是 transactions 的字段" in refused.stderr


def test_coded_errors_speak_chinese(tmp_path):
    from custlib import datasets, db, kpis
    from custlib.errors import CustlibError, DatasetNotFound

    con = db.connect(tmp_path / "studio.duckdb")
    with pytest.raises(DatasetNotFound) as missing:
        datasets.get_dataset(con)
    assert str(missing.value) == "There is no data yet: load the demo dataset or import a file."
    assert missing.value.text("zh") == "还没有数据：请加载演示数据集或导入文件。"
    with pytest.raises(CustlibError) as period:
        kpis.parse_period("2024-13")
    assert period.value.text("zh") == "“2024-13”：月份必须是 01 到 12。"
    con.close()

