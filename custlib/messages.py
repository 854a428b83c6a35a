"""What custlib tells people, in English and Simplified Chinese: one template per message code.

custlib's analysis never writes sentences: a churn reason, an import finding or a refusal is a code plus
its numbers (``("overdue", {"a": 104, "b": 30})``). This table turns them into words, the same for the
pages (``ui.i18n`` reads it for custlib's codes) and the command line (``--lang en|zh``), so a
Chinese-speaking analyst reads a Chinese rejection report and the same reason a page shows.

Templates fill ``{name}`` with the parameter: a whole number when it is a number (rounded), a coded error's
words in the same language, else its text.
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
    # --- an error not yet given a code of its own: its English words, in every language ---
    "error_text": ("{text}", "{text}"),
    # --- errors a person can act on (custlib.errors.CustlibError with a code) ---
    "error_no_data": ("There is no data yet: load the demo dataset or import a file.",
                      "还没有数据：请加载演示数据集或导入文件。"),
    "error_no_dataset": ("There is no dataset named '{name}' (datasets: {known}).",
                         "没有名为“{name}”的数据集（现有数据集：{known}）。"),
    "error_dataset_name": ("A dataset name must be 1 to 100 printable characters.",
                           "数据集名称必须是 1 到 100 个可打印字符。"),
    "error_dataset_exists": ("A dataset named '{name}' already exists; choose another name.",
                             "已有名为“{name}”的数据集；请换一个名称。"),
    "error_not_signed_in": ("Nobody is signed in, so nothing may {verb} here: sign in first.",
                            "尚未登录，因此这里不能{verb}：请先登录。"),
    "error_not_permitted": ("{user} ({role}) may not {what}: the {role} role does not have that permission.",
                            "{user}（{role}）不能{what}：{role} 角色没有这项权限。"),
    "error_churn_history": ("Too little history for a {horizon}-day churn model: its {role} window starts on "
                            "{feature_date}, when {n} customers were active ({churned} then stopped buying, {stayed} "
                            "bought again); at least 50 customers with 10 of each are needed. Choose a shorter "
                            "horizon or a later date, or import more history.",
                            "历史数据太少，无法建立 {horizon} 天的流失模型：其{role}窗口始于 {feature_date}，当时有 {n} 位活跃客户"
                            "（{churned} 位此后停止购买，{stayed} 位再次购买）；至少需要 50 位客户，且两类各至少 10 位。"
                            "请选择更短的期限或更晚的日期，或导入更多历史数据。"),
    "error_too_few_repeat_buyers": ("{model} needs at least {minimum} customers with a repeat purchase to be "
                                    "fitted; these data have {n}.",
                                    "{model} 至少需要 {minimum} 位有重复购买的客户才能拟合；这些数据只有 {n} 位。"),
    "error_nothing_to_value": ("No customer has a purchase on or before {as_of}; there is nothing to value.",
                               "在 {as_of} 及之前没有任何客户购买，无可估值。"),
    "error_model_not_fitted": ("The {model} model could not be fitted on data up to {as_of}: {detail}",
                               "无法用截至 {as_of} 的数据拟合 {model} 模型：{detail}"),
    "error_scenario_name": ("A scenario name must be 1 to 200 characters.", "方案名称必须是 1 到 200 个字符。"),
    "error_no_scenario": ("There is no saved scenario {scenario_id} for this dataset.",
                          "此数据集没有编号为 {scenario_id} 的已保存方案。"),
    "error_no_database": ("No database at {path}. Create one with `python -m custlib demo --db {path}` or import a "
                          "file into it.",
                          "{path} 处没有数据库。请用 `python -m custlib demo --db {path}` 创建，或向其中导入文件。"),
    "error_database_busy": ("The database {path} is in use by another program (most likely the running app). Import "
                            "through the app's Data page, or stop the app and run the command again.",
                            "数据库 {path} 正被另一个程序使用（很可能是正在运行的应用）。请通过应用的“数据”页面导入，"
                            "或先停止应用再运行此命令。"),
    "error_not_a_period": ("'{text}' is not a period: use a month (2024-07), a quarter (2024-Q3) or a year (2024).",
                           "“{text}”不是期间：请使用月份（2024-07）、季度（2024-Q3）或年份（2024）。"),
    "error_month_range": ("'{text}': a month must be 01..12.", "“{text}”：月份必须是 01 到 12。"),
    "error_as_of_not_a_date": ("--as-of '{text}' is not a date; write it as YYYY-MM-DD.",
                               "--as-of “{text}”不是日期；请写成 YYYY-MM-DD。"),
    "error_no_transactions": ("Dataset '{name}' has no transactions.", "数据集“{name}”没有交易数据。"),
    # --- where a finding is (custlib.io.report.Problem.describe) ---
    "where_row": ("row {row}", "第 {row} 行"),
    "where_column": ("column '{column}'", "列“{column}”"),
    # --- import findings (custlib.io): a file refused, or rows it holds ---
    "import_file_not_found": ("there is no file at {path}.", "{path} 处没有文件。"),
    "import_empty_file": ("the file is empty (0 bytes).", "文件为空（0 字节）。"),
    "import_blank_text": ("the file has no text (only blank lines).", "文件没有内容（只有空行）。"),
    "import_empty_workbook": ("every sheet of the workbook is empty.", "工作簿的所有工作表都是空的。"),
    "import_file_too_large": ("the file is {size_mb} MB, over the limit of {limit_mb} MB (CUSTLIB_MAX_UPLOAD_MB). "
                              "Split it, or raise the limit.",
                              "文件大小为 {size_mb} MB，超过 {limit_mb} MB 的上限（CUSTLIB_MAX_UPLOAD_MB）。请拆分文件，或调高上限。"),
    "import_too_many_columns": ("the file has {columns} columns, over the limit of {limit} (CUSTLIB_MAX_COLUMNS). "
                                "Export only the columns you need.",
                                "文件有 {columns} 列，超过 {limit} 列的上限（CUSTLIB_MAX_COLUMNS）。请只导出需要的列。"),
    "import_too_many_rows": ("the file has {rows} rows, over the limit of {limit} (CUSTLIB_MAX_ROWS). Split it, or "
                             "raise the limit.",
                             "文件有 {rows} 行，超过 {limit} 行的上限（CUSTLIB_MAX_ROWS）。请拆分文件，或调高上限。"),
    "import_too_many_rows_read": ("the file has more than {limit} rows, the limit (CUSTLIB_MAX_ROWS); reading "
                                  "stopped there. Split it, or raise the limit.",
                                  "文件超过 {limit} 行的上限（CUSTLIB_MAX_ROWS），读取已在此停止。请拆分文件，或调高上限。"),
    "import_sheet_too_many_rows": ("sheet '{sheet}' has more than {limit} rows, the limit (CUSTLIB_MAX_ROWS); "
                                   "reading stopped there. Split it, or raise the limit.",
                                   "工作表“{sheet}”超过 {limit} 行的上限（CUSTLIB_MAX_ROWS），读取已在此停止。请拆分，或调高上限。"),
    "import_sheet_too_many_cells": ("sheet '{sheet}' spans more than {limit} cells (at least {rows} rows by {columns} "
                                    "columns), the limit for a workbook (CUSTLIB_MAX_XLSX_CELLS); reading stopped "
                                    "there. Export the sheet as CSV instead.",
                                    "工作表“{sheet}”超过 {limit} 个单元格（至少 {rows} 行 × {columns} 列），超出工作簿上限"
                                    "（CUSTLIB_MAX_XLSX_CELLS），读取已在此停止。请改为导出 CSV。"),
    "import_sheet_too_many_cells_in_first": ("sheet '{sheet}' spans more than {limit} cells in its first {first_rows} "
                                             "rows (at least {rows} rows by {columns} columns), the limit for a "
                                             "workbook (CUSTLIB_MAX_XLSX_CELLS); reading stopped there. Export the "
                                             "sheet as CSV instead.",
                                             "工作表“{sheet}”的前 {first_rows} 行就超过 {limit} 个单元格（至少 {rows} 行 × "
                                             "{columns} 列），超出工作簿上限（CUSTLIB_MAX_XLSX_CELLS），读取已在此停止。"
                                             "请改为导出 CSV。"),
    "import_no_rows": ("the file has a header but no data rows.", "文件只有表头，没有数据行。"),
    "import_encrypted_xlsx": ("this .xlsx is password-protected (encrypted) or an old .xls workbook renamed. Remove "
                              "the password (or save it as .xlsx) in Excel or WPS, then upload it.",
                              "这个 .xlsx 文件设有密码（已加密），或是改了扩展名的旧版 .xls。请在 Excel 或 WPS 中去掉密码"
                              "（或另存为 .xlsx）后再上传。"),
    "import_wrong_file_type": ("this is {what}, not a table. Upload CSV, TSV, Excel .xlsx or Parquet.",
                               "这是 {what}，不是表格。请上传 CSV、TSV、Excel .xlsx 或 Parquet 文件。"),
    "import_old_excel": ("this is an old Excel .xls workbook; open it in Excel or WPS and save it as .xlsx or CSV, "
                         "then upload that.",
                         "这是旧版 Excel .xls 工作簿；请在 Excel 或 WPS 中打开并另存为 .xlsx 或 CSV 后再上传。"),
    "import_bad_parquet": ("this is not a readable Parquet file ({detail}).", "这不是可读取的 Parquet 文件（{detail}）。"),
    "import_utf16_without_bom": ("this looks like UTF-16 text without a byte-order mark. Save it again as UTF-8 CSV "
                                 "(Excel: 'CSV UTF-8'), or as 'Unicode text', which carries the mark.",
                                 "这看起来是没有字节顺序标记（BOM）的 UTF-16 文本。请另存为 UTF-8 CSV（Excel：“CSV UTF-8”），"
                                 "或另存为带标记的“Unicode 文本”。"),
    "import_nul_bytes": ("line {line} contains NUL bytes (binary zeros), which a text file never holds: the file is "
                         "damaged. Export it again, or remove the NUL bytes.",
                         "第 {line} 行含有 NUL 字节（二进制零），文本文件不会有这种字节：文件已损坏。请重新导出，或删除这些字节。"),
    "import_binary_file": ("this is not a text file (it contains binary data). Upload CSV, TSV, Excel .xlsx or "
                           "Parquet.", "这不是文本文件（含有二进制数据）。请上传 CSV、TSV、Excel .xlsx 或 Parquet 文件。"),
    "import_truncated_file": ("the file ends in the middle of a character (line {line}): it was cut short while "
                              "saving, copying or downloading. Upload the complete file.",
                              "文件在一个字符的中间结束（第 {line} 行）：保存、复制或下载时被截断了。请上传完整的文件。"),
    "import_mislabelled_encoding": ("the file starts with a UTF-8 byte-order mark, but line {line} is not UTF-8 (it "
                                    "may be GBK). Save it again as UTF-8 (Excel: 'CSV UTF-8').",
                                    "文件以 UTF-8 字节顺序标记开头，但第 {line} 行不是 UTF-8（可能是 GBK）。请重新另存为 UTF-8"
                                    "（Excel：“CSV UTF-8”）。"),
    "import_mixed_encodings": ("the file mixes encodings: lines before line {line} are UTF-8 text but line {line} is "
                               "not (probably GBK). Save the whole file again in one encoding, preferably UTF-8.",
                               "文件混用了多种编码：第 {line} 行之前是 UTF-8 文本，第 {line} 行却不是（可能是 GBK）。"
                               "请将整个文件以同一种编码重新保存，最好是 UTF-8。"),
    "import_mixed_encodings_gbk_first": ("the file mixes encodings: line {line} is UTF-8 text but the lines before it "
                                         "are GBK. Save the whole file again in one encoding, preferably UTF-8.",
                                         "文件混用了多种编码：第 {line} 行是 UTF-8 文本，而之前的行是 GBK。"
                                         "请将整个文件以同一种编码重新保存，最好是 UTF-8。"),
    "import_unknown_encoding": ("the text is neither UTF-8 (invalid bytes on line {utf8_line}) nor GBK/GB18030 "
                                "(invalid bytes on line {line}). It may mix encodings or not be text; save it again "
                                "as UTF-8 CSV.",
                                "文本既不是 UTF-8（第 {utf8_line} 行有无效字节），也不是 GBK/GB18030（第 {line} 行有无效字节）。"
                                "可能混用了编码或不是文本；请另存为 UTF-8 CSV。"),
    "import_latin1_as_gbk": ("the file is not UTF-8, and read as Chinese GBK it gives words like '{word}' (line "
                             "{line}): it is probably Western European text (Latin-1/Windows-1252). Save it again as "
                             "UTF-8 (Excel: 'CSV UTF-8').",
                             "文件不是 UTF-8；按中文 GBK 读取会得到“{word}”这样的词（第 {line} 行）：它很可能是西欧文字"
                             "（Latin-1/Windows-1252）。请重新另存为 UTF-8（Excel：“CSV UTF-8”）。"),
    "import_invalid_text": ("invalid {encoding} text on line {line}.", "第 {line} 行不是有效的 {encoding} 文本。"),
    "import_web_page": ("this is a web page (HTML), not a table: the download probably failed or asked for a login. "
                        "Download the export again and upload the CSV or Excel file.",
                        "这是网页（HTML），不是表格：下载可能失败了，或需要先登录。请重新下载导出文件，再上传 CSV 或 Excel 文件。"),
    "import_no_line_break": ("the first {kb} KB hold no line break, so this is not a table of one record per line. "
                             "Check that it is the right file.",
                             "文件前 {kb} KB 没有换行，所以不是每行一条记录的表格。请确认文件是否正确。"),
    "import_bad_zip": ("this is not a valid .xlsx workbook (the file is damaged or cut short). Save it again from "
                       "Excel or WPS.", "这不是有效的 .xlsx 工作簿（文件已损坏或被截断）。请用 Excel 或 WPS 重新保存。"),
    "import_not_a_zip": ("this is not a valid .xlsx workbook (it is not even a zip archive, as every .xlsx is: "
                         "probably a CSV or another file renamed). Upload it under its real type, or save it again "
                         "from Excel or WPS.",
                         "这不是有效的 .xlsx 工作簿（它连 zip 压缩包都不是，而每个 .xlsx 都是：可能是改了扩展名的 CSV 或其他文件）。"
                         "请按真实类型上传，或用 Excel 或 WPS 重新保存。"),
    "import_zip_not_xlsx": ("this zip file is not an Excel .xlsx workbook (it holds {held}). Unzip it and upload the "
                            "file inside.", "这个 zip 文件不是 Excel .xlsx 工作簿（里面是 {held}）。请解压后上传其中的文件。"),
    "import_xlsx_expands": ("the workbook expands to {size_mb} MB, over the limit of {limit_mb} MB. Export the sheet "
                            "as CSV instead.", "工作簿解压后为 {size_mb} MB，超过 {limit_mb} MB 的上限。请改为导出 CSV。"),
    "import_xlsx_bomb": ("the workbook's {compressed_mb} MB expand to {size_mb} MB of XML, {ratio} times as much (real "
                         "exports expand 5 to 20 times): it was built to exhaust the reader, so it was not opened. "
                         "Export the sheet as CSV instead.",
                         "工作簿的 {compressed_mb} MB 解压后变成 {size_mb} MB 的 XML，膨胀了 {ratio} 倍（正常导出为 5 到 20 倍）："
                         "它是为耗尽读取程序而构造的，因此没有打开。请改为导出 CSV。"),
    "import_xlsx_entities": ("the workbook's part '{part}' declares XML entities (a DOCTYPE), which Excel and WPS never "
                             "write: entities are how files are built to make a reader expand text a billionfold or "
                             "read files from the server. It was not opened. Save the sheet again from Excel or WPS.",
                             "工作簿的部件“{part}”声明了 XML 实体（DOCTYPE），Excel 和 WPS 从不写入这种内容：实体是恶意文件"
                             "让读取程序把文本膨胀十亿倍或读取服务器文件的手段。文件没有打开。请用 Excel 或 WPS 重新保存。"),
    "import_no_sheet": ("the workbook has no sheet '{sheet}'.", "工作簿中没有名为“{sheet}”的工作表。"),
    "import_unreadable_xlsx": ("the workbook could not be read: it is damaged or was not written by a spreadsheet "
                               "program ({detail}). Save it again from Excel or WPS.",
                               "无法读取工作簿：文件已损坏，或不是由电子表格软件生成的（{detail}）。请用 Excel 或 WPS 重新保存。"),
    "import_unreadable": ("{detail}", "无法读取文件：{detail}"),
    "import_reader_error": ("{detail}", "读取错误：{detail}"),
    "import_wrong_field_count": ("has {found} fields but the header has {expected}",
                                 "有 {found} 个字段，但表头有 {expected} 个"),
    "import_missing_value": ("{field} is required but the cell is empty", "{field} 为必填项，但单元格为空"),
    "import_bad_date": ("is not a date in the column's format ({format})", "不是该列格式（{format}）的日期"),
    "import_bad_timestamp": ("is not a date/time in the column's format ({format})",
                             "不是该列格式（{format}）的日期/时间"),
    "import_bad_amount": ("is not an amount (expected a number such as 1,234.50 or ¥1,234.50)",
                          "不是金额（应为 1,234.50 或 ¥1,234.50 这样的数字）"),
    "import_bad_number": ("is not a number", "不是数字"),
    "import_bad_flag": ("is not a yes/no value (use 1/0, yes/no, true/false, 是/否)",
                        "不是是/否值（请用 1/0、yes/no、true/false、是/否）"),
    "import_bad_score": ("is not a whole number from {low} to {high}", "不是 {low} 到 {high} 之间的整数"),
    "import_bad_kind": ("is not an interaction kind (call, visit, email, ticket, complaint, survey)",
                        "不是互动类型（call、visit、email、ticket、complaint、survey）"),
    "import_date_out_of_range": ("is outside {earliest} .. {latest}", "超出 {earliest} 至 {latest} 的范围"),
    "import_amount_out_of_range": ("is not a finite number within ±{limit}", "不是 ±{limit} 以内的有限数字"),
    "import_score_out_of_range": ("must be a whole number from {low} to {high}", "必须是 {low} 到 {high} 之间的整数"),
    "import_order_id_conflict": ("order {order_id} appears under customers '{first}' and '{other}'; an order belongs "
                                 "to one customer", "订单 {order_id} 同时出现在客户“{first}”和“{other}”名下；一个订单只属于一位客户"),
    "import_repeated_customer": ("customer {customer_id} appears on rows {rows}; the last row (row {last}) is kept",
                                 "客户 {customer_id} 出现在第 {rows} 行；保留最后一行（第 {last} 行）"),
    "import_identical_rows_kept": ("{n} identical rows without an order id (rows {rows}); kept as separate orders",
                                   "{n} 行没有订单号的相同记录（第 {rows} 行）；作为不同订单保留"),
    "import_identical_rows_dropped": ("{n} identical rows without an order id (rows {rows}); kept as separate orders "
                                      "but dropped at your request",
                                      "{n} 行没有订单号的相同记录（第 {rows} 行）；本应作为不同订单保留，但已按您的要求删除"),
    "import_duplicate_rows_kept": ("{n} rows identical in every column (rows {rows}), probably exported twice; kept "
                                   "(choose 'drop duplicates' to keep one)",
                                   "{n} 行所有列都相同（第 {rows} 行），可能重复导出；已保留（选择“删除重复行”可只保留一行）"),
    "import_duplicate_rows_dropped": ("{n} rows identical in every column (rows {rows}), probably exported twice; all "
                                      "but the first dropped at your request",
                                      "{n} 行所有列都相同（第 {rows} 行），可能重复导出；已按您的要求只保留第一行"),
    "import_repeated_header": ("the header '{header}' names columns {first} and {number}; column {number} is called "
                               "'{renamed}' here, and a field mapped to '{header}' reads column {first}",
                               "表头“{header}”同时命名了第 {first} 列和第 {number} 列；第 {number} 列在这里称为“{renamed}”，"
                               "映射到“{header}”的字段读取第 {first} 列"),
    "import_strict_rejected": ("{errors} problem(s) found and strict mode is on; nothing was imported.",
                               "发现 {errors} 个问题，且已开启严格模式；未导入任何数据。"),
    "import_no_valid_rows": ("none of the {rows} rows is valid, so nothing was imported. Check the column mapping "
                             "and formats in the report.",
                             "{rows} 行中没有一行有效，因此未导入任何数据。请检查报告中的列映射和格式。"),
    # --- errors raised before a file is read (custlib.columns, custlib.parsing) ---
    "import_map_without_equals": ("--map expects field=column pairs separated by commas; '{part}' has no '='.",
                                  "--map 需要用逗号分隔的 字段=列 对；“{part}”中没有“=”。"),
    "import_unknown_field": ("'{field}' is not a field of {table}; fields are {fields}.",
                             "“{field}”不是 {table} 的字段；可用字段为 {fields}。"),
    "import_unknown_column": ("--map {field}={column} names no column of the file. Columns found: {columns}.",
                              "--map {field}={column} 指定的列在文件中不存在。找到的列：{columns}。"),
    "import_column_twice": ("--map gives column '{column}' to both {other} and {field}; a column can hold only one "
                            "field.", "--map 把列“{column}”同时给了 {other} 和 {field}；一列只能对应一个字段。"),
    "import_missing_column": ("no column for required field(s) {missing} (looked for {looked_for}). Columns found: "
                              "{columns}. Name the column with --map {first}=<column> (or choose it on the Data page).",
                              "找不到必填字段 {missing} 对应的列（查找过 {looked_for}）。找到的列：{columns}。"
                              "请用 --map {first}=<列名> 指定该列（或在“数据”页面选择）。"),
    "import_missing_column_one_column": ("no column for required field(s) {missing} (looked for {looked_for}). "
                                         "Columns found: {columns}. The file was read as a single column, so its "
                                         "delimiter may be one we do not recognise (use comma, tab, semicolon, | or "
                                         "spaces).",
                                         "找不到必填字段 {missing} 对应的列（查找过 {looked_for}）。找到的列：{columns}。"
                                         "文件被读成了一列，分隔符可能无法识别（请使用逗号、制表符、分号、| 或空格）。"),
    "import_mixed_date_orders": ("the column mixes day-first dates ('{day_first}') and month-first dates "
                                 "('{month_first}'); fix the export so all dates use one order.",
                                 "该列混用了日在前（“{day_first}”）和月在前（“{month_first}”）的日期；"
                                 "请修正导出，使所有日期使用同一种顺序。"),
    # --- import report summary (custlib.io.report.ImportReport.summary) ---
    "import_summary_accepted": ("Imported {loaded} of {read} rows from {file} into {table} of dataset '{dataset}'.",
                                "已从 {file} 导入 {read} 行中的 {loaded} 行到数据集“{dataset}”的 {table} 表。"),
    "import_summary_skipped": ("Imported {loaded} of {read} rows from {file} into {table} of dataset '{dataset}'; "
                               "{skipped} skipped (see the report).",
                               "已从 {file} 导入 {read} 行中的 {loaded} 行到数据集“{dataset}”的 {table} 表；"
                               "跳过 {skipped} 行（见报告）。"),
    "import_summary_rejected": ("Rejected {file}: {reason}. The database is unchanged.",
                                "已拒绝 {file}：{reason}。数据库未做任何更改。"),
    "import_summary_rejected_plain": ("Rejected {file}: nothing was imported and the database is unchanged.",
                                      "已拒绝 {file}：未导入任何数据，数据库未做任何更改。"),
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
        if callable(getattr(value, "text", None)):  # a coded error quoted inside another: in the same language
            return value.text(lang)
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
