"""Every word the studio shows, in English and Simplified Chinese: one table, one lookup.

``t("key", **values)`` returns the text in the language chosen in the sidebar (kept in
session state), with ``{placeholders}`` filled by ``str.format``. A missing key raises
KeyError, so a typo fails in tests instead of showing a key to users. What custlib says (churn
reasons, import findings, coded errors) is worded by ``custlib.messages``, which the command line uses too.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from . import state

LANGUAGES = {"en": "English", "zh": "简体中文"}

# key: (English, 简体中文)
TEXT: dict[str, tuple[str, str]] = {
    # --- navigation and sidebar ---
    "nav_management": ("Management", "管理层"),
    "nav_analysts": ("Analysts", "分析师"),
    "nav_overview": ("Overview", "概览"),
    "nav_data": ("Data", "数据"),
    "sidebar_dataset": ("Active dataset", "当前数据集"),
    "sidebar_dataset_help": ("Every page shows this dataset. Switching here changes only your view; others keep "
                             "theirs (new sessions start with the default dataset, set on the Data page).",
                             "所有页面都显示这个数据集。在此切换只改变您的视图，不影响其他人（新会话从默认数据集开始，默认数据集在“数据”页面设置）。"),
    "sidebar_no_data": ("No data yet: load the demo data or import a file.", "还没有数据：请加载演示数据或导入文件。"),
    "sidebar_language": ("Language", "语言"),
    "sidebar_currency": ("Currency", "货币"),
    "sidebar_currency_help": ("The symbol shown with amounts. Amounts are not converted.",
                              "金额旁显示的货币符号。金额本身不做换算。"),

    # --- overview ---
    "overview_title": ("Overview", "概览"),
    "overview_empty": ("There is no data yet. Load the demo company to explore the studio, or import your own "
                       "sales file.", "还没有数据。可以加载演示公司的数据来体验，或导入您自己的销售文件。"),
    "overview_demo_heading": ("Explore with demo data", "用演示数据体验"),
    "overview_demo_help": ("Three years of orders, returns and customer interactions of a made-up company with "
                           "20,000 customers. Takes a few seconds.",
                           "一家虚构公司三年的订单、退货和客户互动数据，共 20,000 位客户。需要几秒钟。"),
    "overview_load_demo": ("Load demo data", "加载演示数据"),
    "overview_demo_loading": ("Generating and loading the demo data…", "正在生成并加载演示数据…"),
    "overview_demo_failed": ("The demo data could not be loaded.", "无法加载演示数据。"),
    "overview_demo_unavailable": ("The demo data module is not installed in this version.",
                                  "此版本未包含演示数据模块。"),
    "overview_upload_heading": ("Use your own data", "使用您自己的数据"),
    "overview_upload_help": ("Upload a CSV, Excel or Parquet file of transactions: one row per order line with "
                             "customer, date and amount.",
                             "上传交易数据（CSV、Excel 或 Parquet）：每行一条订单明细，包含客户、日期和金额。"),
    "overview_go_to_data": ("Go to the Data page to upload a file", "前往“数据”页面上传文件"),
    "overview_no_transactions": ("The dataset “{dataset}” has no transactions yet. Import a transactions file "
                                 "on the Data page.",
                                 "数据集“{dataset}”还没有交易数据。请在“数据”页面导入交易文件。"),
    "metric_revenue": ("Revenue", "收入"),
    "metric_revenue_help": ("Net amount of the month: purchases minus returns and refunds.",
                            "当月净额：购买金额减去退货和退款。"),
    "metric_orders": ("Orders", "订单数"),
    "metric_orders_help": ("Purchase orders placed in the month (a row without an order id counts as one order).",
                           "当月下的购买订单数（没有订单号的行各算一笔订单）。"),
    "metric_active_customers": ("Active customers", "活跃客户"),
    "metric_active_customers_help": ("Customers who bought at least once in the month.",
                                     "当月至少购买过一次的客户。"),
    "metric_new_customers": ("New customers", "新客户"),
    "metric_new_customers_help": ("Customers whose first purchase was in the month.", "首次购买发生在当月的客户。"),
    "metric_returns": ("Returns", "退货"),
    "metric_returns_help": ("Returns and refunds booked in the month (rows with a negative amount).",
                            "当月记录的退货和退款（金额为负的行）。"),

    # --- charts ---
    "chart_monthly_title": ("Monthly revenue and active customers", "月度收入与活跃客户"),
    "chart_month": ("Month", "月份"),
    "chart_revenue": ("Revenue", "收入"),
    "chart_revenue_partial": ("Revenue, month to date", "收入（本月至今）"),
    "chart_active_customers": ("Active customers", "活跃客户"),
    "chart_revenue_axis": ("Revenue ({currency})", "收入（{currency}）"),
    "chart_customers_axis": ("Active customers (count)", "活跃客户（人）"),
    "chart_month_tickformat": ("%b %Y", "%Y年%-m月"),
    "chart_month_hoverformat": ("%B %Y", "%Y年%-m月"),

    # --- data page: import ---
    "data_title": ("Data", "数据"),
    "data_intro": ("Import sales, customer and interaction files, check what was read, and manage datasets.",
                   "导入销售、客户和互动文件，检查读取结果，并管理数据集。"),
    "data_import_heading": ("Import a file", "导入文件"),
    "data_upload_label": ("File to import", "要导入的文件"),
    "data_upload_help": ("CSV, TSV or TXT (UTF-8, UTF-16 or GBK), Excel .xlsx or Parquet.",
                         "CSV、TSV 或 TXT（UTF-8、UTF-16 或 GBK 编码）、Excel .xlsx 或 Parquet。"),
    "data_upload_hint": ("Choose a file to see its first rows and the proposed column mapping. Nothing is "
                         "stored until you press Import.",
                         "选择文件后可查看前几行和建议的列对应关系。按下“导入”之前不会保存任何内容。"),
    "data_table_label": ("The file holds", "文件内容"),
    "table_transactions": ("Transactions", "交易"),
    "table_customers": ("Customers", "客户"),
    "table_interactions": ("Interactions", "客户互动"),
    "data_header_label": ("First row is a header", "第一行是表头"),
    "data_header_auto": ("Detect", "自动识别"),
    "data_header_yes": ("Yes", "是"),
    "data_header_no": ("No", "否"),
    "data_preview_heading": ("First rows of the file", "文件的前几行"),
    "data_preview_row": ("Row in file", "文件行号"),
    "data_target_label": ("Import into", "导入到"),
    "data_target_new": ("A new dataset", "新数据集"),
    "data_target_existing": ("An existing dataset", "已有数据集"),
    "data_new_name_label": ("Name of the new dataset", "新数据集名称"),
    "data_existing_label": ("Dataset", "数据集"),
    "data_name_taken": ("A dataset named “{dataset}” already exists. Choose another name, or choose “An existing "
                        "dataset” to replace or add to its data.",
                        "名为“{dataset}”的数据集已存在。请换一个名称，或选择“已有数据集”来替换或追加其数据。"),
    "data_mapping_heading": ("Column mapping", "列对应关系"),
    "data_mapping_help": ("Which column of the file holds each field. The guess is filled in; fields marked * "
                          "are required.",
                          "文件中哪一列对应每个字段。已自动填入推测结果；标 * 的字段为必填。"),
    "data_not_in_file": ("— not in file —", "— 文件中没有 —"),
    "data_field_help": ("Stored as the column {column}.", "保存为列 {column}。"),
    "data_required_missing": ("Choose the column that holds {field} (required).", "请选择对应“{field}”的列（必填）。"),
    "data_column_twice": ("The column “{column}” is chosen for both {first} and {second}; a column can hold only "
                          "one field.",
                          "列“{column}”同时被选为“{first}”和“{second}”；一列只能对应一个字段。"),
    "data_options_heading": ("Options", "选项"),
    "data_strict_label": ("Strict: reject the file on any error", "严格模式：有任何错误即拒绝整个文件"),
    "data_strict_help": ("Off: rows with errors are skipped and listed in the report. On: nothing is imported "
                         "if any row has an error.",
                         "关闭时：有错误的行会被跳过并在报告中列出。开启时：只要有一行出错，就不导入任何数据。"),
    "data_dedupe_label": ("Drop exact duplicate rows", "删除完全重复的行"),
    "data_dedupe_help": ("Rows identical in every column are kept by default (and reported); tick to keep only "
                         "the first.",
                         "默认保留所有列都相同的行（并在报告中列出）；勾选后只保留第一行。"),
    "data_mode_label": ("Existing rows of this table", "该表已有的数据"),
    "data_mode_replace": ("Replace", "替换"),
    "data_mode_append": ("Append", "追加"),
    "data_mode_help": ("Replace: the dataset's rows of this table are replaced by the file. Append: the file's "
                       "rows are added.",
                       "替换：用文件内容替换该数据集中这张表的数据。追加：把文件中的行添加进去。"),
    "data_decision_needed": ("The file needs a decision before it can be imported. Choose below and press "
                             "Import again.",
                             "导入前需要您做一个选择。请在下方选择后再次点击“导入”。"),
    "data_decision_date_order": ("Date order", "日期顺序"),
    "choice_day-first": ("Day first (31/12/2024)", "日在前（31/12/2024）"),
    "choice_month-first": ("Month first (12/31/2024)", "月在前（12/31/2024）"),
    "data_import_button": ("Import", "导入"),
    "data_importing": ("Importing {file}…", "正在导入 {file}…"),
    "data_import_done": ("Import finished", "导入完成"),
    "data_not_active": ("“{dataset}” is not the dataset you are looking at: switch to it in the sidebar to see it "
                        "on every page.",
                        "“{dataset}”不是您正在查看的数据集：请在侧边栏切换到它，才能在各页面中看到它。"),

    # --- data page: report ---
    "report_imported": ("Imported {loaded} of {read} rows from {file} into {table} of dataset “{dataset}”.",
                        "已将 {file} 中 {read} 行里的 {loaded} 行导入数据集“{dataset}”的{table}表。"),
    "report_skipped": ("{skipped} rows were skipped; see the problems below.", "跳过了 {skipped} 行，详见下方问题列表。"),
    "report_db_unchanged": ("Nothing was imported: the database is unchanged.", "未导入任何数据：数据库保持不变。"),
    "report_counts_heading": ("Problems by kind", "按类型统计的问题"),
    "report_problems_heading": ("Problems found", "发现的问题"),
    "report_severity": ("Severity", "严重程度"),
    "report_kind": ("Kind", "类型"),
    "report_count": ("Count", "数量"),
    "report_file": ("File", "文件"),
    "report_row": ("Row", "行"),
    "report_column": ("Column", "列"),
    "report_value": ("Value", "值"),
    "report_message": ("Message", "说明"),
    "report_more": ("{more} more problems are not listed (at most 20 of each kind are shown).",
                    "另有 {more} 个问题未列出（每种类型最多显示 20 个）。"),
    "report_details": ("How the file was read", "文件读取方式"),
    "report_format": ("Format: {format}, encoding {encoding}.", "格式：{format}，编码 {encoding}。"),
    "report_header_yes": ("The first row is the header.", "第一行为表头。"),
    "report_header_no": ("The file has no header row.", "文件没有表头行。"),
    "report_mapped": ("{field} ← column “{column}”", "{field} ← 列“{column}”"),
    "report_detected_format": ("{field}: {format}", "{field}：{format}"),
    "format_text": ("delimited text", "分隔符文本"),
    "format_Excel workbook": ("Excel workbook", "Excel 工作簿"),
    "format_Parquet": ("Parquet", "Parquet"),
    "severity_error": ("error", "错误"),
    "severity_warning": ("warning", "警告"),
    "severity_info": ("note", "提示"),
    "kind_file_not_found": ("file not found", "找不到文件"),
    "kind_empty_file": ("empty file", "空文件"),
    "kind_old_excel": ("old Excel format (.xls)", "旧版 Excel 格式（.xls）"),
    "kind_binary_file": ("not a text file", "不是文本文件"),
    "kind_mixed_encodings": ("mixed encodings", "编码混用"),
    "kind_unknown_encoding": ("unknown encoding", "无法识别的编码"),
    "kind_bad_xlsx": ("unreadable workbook", "无法读取的工作簿"),
    "kind_bad_parquet": ("unreadable Parquet file", "无法读取的 Parquet 文件"),
    "kind_xlsx_too_large": ("workbook too large", "工作簿过大"),
    "kind_no_rows": ("no data rows", "没有数据行"),
    "kind_unreadable": ("unreadable file", "无法读取的文件"),
    "kind_missing_column": ("required column missing", "缺少必填列"),
    "kind_unknown_column": ("unknown column", "未知的列"),
    "kind_mixed_date_orders": ("mixed date orders", "日期顺序不一致"),
    "kind_file_rejected": ("file rejected", "文件被拒绝"),
    "kind_wrong_field_count": ("wrong number of fields", "字段数量不对"),
    "kind_bad_date": ("not a date", "不是日期"),
    "kind_bad_amount": ("not an amount", "不是金额"),
    "kind_bad_number": ("not a number", "不是数字"),
    "kind_bad_flag": ("not a yes/no value", "不是“是/否”值"),
    "kind_bad_score": ("score out of scale", "评分不在范围内"),
    "kind_bad_kind": ("unknown interaction kind", "未知的互动类型"),
    "kind_missing_value": ("required value empty", "必填值为空"),
    "kind_date_out_of_range": ("date out of range", "日期超出范围"),
    "kind_amount_out_of_range": ("amount out of range", "金额超出范围"),
    "kind_number_out_of_range": ("number out of range", "数字超出范围"),
    "kind_score_out_of_range": ("score out of range", "评分超出范围"),
    "kind_order_id_conflict": ("order id under two customers", "同一订单号属于两个客户"),
    "kind_repeated_customer": ("customer listed twice", "客户重复出现"),
    "kind_duplicate_rows": ("duplicate rows", "重复行"),
    "kind_identical_rows_without_order_id": ("identical rows without order id", "无订单号的相同行"),

    # --- data page: datasets, quality, templates ---
    "data_datasets_heading": ("Datasets", "数据集"),
    "data_no_datasets": ("No datasets yet.", "还没有数据集。"),
    "dataset_name": ("Name", "名称"),
    "dataset_is_active": ("Default", "默认"),
    "dataset_version": ("Version", "版本"),
    "dataset_customers": ("Customers", "客户数"),
    "dataset_transactions": ("Transactions", "交易行数"),
    "dataset_first_order_date": ("First order", "首笔订单"),
    "dataset_last_order_date": ("Last order", "最后一笔订单"),
    "dataset_total_amount": ("Total amount", "总金额"),
    "dataset_customer_records": ("Customer records", "客户档案数"),
    "dataset_interactions": ("Interactions", "互动记录数"),
    "data_manage_label": ("Dataset to manage", "要管理的数据集"),
    "data_make_active": ("Make default", "设为默认"),
    "data_now_active": ("“{dataset}” is now the default dataset: new sessions start with it.",
                        "“{dataset}”现在是默认数据集：新会话将从它开始。"),
    "data_rename_label": ("New name", "新名称"),
    "data_rename_button": ("Rename", "重命名"),
    "data_renamed": ("Renamed “{old}” to “{new}”.", "已将“{old}”重命名为“{new}”。"),
    "data_delete_confirm": ("Yes, delete “{dataset}” and all its rows", "确认删除“{dataset}”及其全部数据"),
    "data_delete_button": ("Delete", "删除"),
    "data_deleted": ("Deleted “{dataset}”.", "已删除“{dataset}”。"),
    "data_quality_heading": ("Data quality of “{dataset}”", "“{dataset}”的数据质量"),
    "quality_transactions": ("Transaction rows", "交易行数"),
    "quality_customers": ("Customers with transactions", "有交易的客户"),
    "quality_customer_records": ("Customer records", "客户档案"),
    "quality_interactions": ("Interactions", "互动记录"),
    "quality_returns_share": ("Rows with negative amounts", "金额为负的行"),
    "quality_returns_share_help": ("Returns and refunds: {rows} rows.", "退货和退款：{rows} 行。"),
    "quality_no_order_id_share": ("Rows without order id", "没有订单号的行"),
    "quality_no_order_id_help": ("{rows} rows; each counts as an order of its own.", "{rows} 行；每行各算一笔订单。"),
    "quality_without_record": ("Customers without a record", "没有档案的客户"),
    "quality_without_record_help": ("Customers in the transactions who are missing from the customers file.",
                                    "出现在交易中、但客户文件中没有的客户。"),
    "quality_no_customer_file": ("No customers file imported yet.", "尚未导入客户文件。"),
    "quality_last_order": ("Last order date", "最后订单日期"),
    "quality_first_order_help": ("The first order is dated {first}.", "第一笔订单的日期是 {first}。"),
    "quality_date_range": ("**Order dates:** {first} to {last}.", "**订单日期**：{first} 至 {last}。"),
    "data_templates_heading": ("File templates", "文件模板"),
    "data_templates_help": ("CSV files with the expected columns and two example rows. Column names in Chinese "
                            "or other common names also work.",
                            "包含所需列和两行示例的 CSV 文件。中文列名或其他常见列名同样可以识别。"),
    "data_template_transactions": ("Transactions template", "交易模板"),
    "data_template_customers": ("Customers template", "客户模板"),
    "data_template_interactions": ("Interactions template", "互动模板"),

    # --- fields (canonical columns of custlib.db.TABLE_COLUMNS) ---
    "field_customer_id": ("Customer ID", "客户编号"),
    "field_order_id": ("Order ID", "订单号"),
    "field_order_date": ("Order date", "下单日期"),
    "field_amount": ("Amount", "金额"),
    "field_quantity": ("Quantity", "数量"),
    "field_channel": ("Channel", "渠道"),
    "field_category": ("Category", "品类"),
    "field_product": ("Product", "商品"),
    "field_region": ("Region", "地区"),
    "field_is_promo": ("Promotion", "是否促销"),
    "field_discount_amount": ("Discount", "优惠金额"),
    "field_name": ("Name", "名称"),
    "field_email": ("Email", "邮箱"),
    "field_phone": ("Phone", "电话"),
    "field_signup_date": ("Signup date", "注册日期"),
    "field_industry": ("Industry", "行业"),
    "field_company_size": ("Company size", "公司规模"),
    "field_account_manager": ("Account manager", "客户经理"),
    "field_interaction_at": ("Date and time", "互动时间"),
    "field_kind": ("Kind", "类型"),
    "field_nps_score": ("NPS score (0-10)", "NPS 评分（0-10）"),
    "field_satisfaction": ("Satisfaction (1-5)", "满意度（1-5）"),
    "field_note": ("Note", "备注"),
}



def _merge(*parts: dict[str, tuple[str, str]]) -> None:
    """Pages with many words keep them in their own module; they join this one table here."""
    for part in parts:
        clash = TEXT.keys() & part.keys()
        if clash:
            raise KeyError(f"translation keys defined twice: {sorted(clash)}")
        TEXT.update(part)


_INDEX = {"en": 0, "zh": 1}


def language() -> str:
    """The language chosen in the sidebar: "en" or "zh"."""
    return st.session_state.get(state.LANGUAGE, state.DEFAULTS[state.LANGUAGE])


def t(key: str, **values) -> str:
    """The text for ``key`` in the current language, with ``{placeholders}`` filled from ``values``."""
    text = TEXT[key][_INDEX[language()]]
    return text.format(**values) if values else text


def option_labels(prefix: str, options) -> Callable[[str], str]:
    """A ``format_func`` showing ``t(prefix + option)`` (the option itself when untranslated).

    Labels are resolved now, in the script run: Streamlit may call ``format_func`` later,
    outside it (AppTest does), where the session's language is unknown.
    """
    return {option: t_or(f"{prefix}{option}", str(option)) for option in options}.__getitem__


def t_or(key: str, fallback: str, **values) -> str:
    """Like ``t``, for keys built from data (a problem kind from custlib): ``fallback`` when unknown."""
    return t(key, **values) if key in TEXT else fallback

from .text_decisions import TEXT as _DECISIONS_TEXT  # noqa: E402 (the decision pages' words)
_merge(_DECISIONS_TEXT)
from .text_pages import TEXT as _PAGES_TEXT  # noqa: E402 (the analysis pages' words)
_merge(_PAGES_TEXT)
from .text_access import TEXT as _ACCESS_TEXT  # noqa: E402 (sign-in, roles, the audit log)
_merge(_ACCESS_TEXT)


def error_text(exc: BaseException) -> str:
    """An error for people, in the page's language: custlib's coded errors in its words (custlib.messages),
    anything else as it was raised."""
    text = getattr(exc, "text", None)
    return text(language()) if callable(text) else str(exc)
