"""How an import's outcome, a dataset's data quality and the audit log are shown (Data page)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from custlib import audit

from . import format as fmt
from .i18n import language, t, t_or


def import_summary(report) -> str:
    """The one-line outcome of an accepted import, in the page's language."""
    line = t("report_imported", loaded=fmt.number(report.rows_loaded), read=fmt.number(report.rows_read),
             file=report.file_name, table=t(f"table_{report.table}"), dataset=report.dataset)
    skipped = report.rows_rejected + report.rows_dropped_as_duplicates
    return line + (" " + t("report_skipped", skipped=fmt.number(skipped)) if skipped else "")


def show_result(result: dict) -> None:
    """The alert, the counts by kind and the listed problems of the last import.

    ``result``: {"ok": bool, "message": str (when rejected), "report": ImportReport or None}.
    """
    report = result.get("report")
    if result["ok"]:
        severities = set(report.severities.values())
        alert = st.warning if severities & {"error", "warning"} else st.success
        alert(import_summary(report), icon=":material/task_alt:")
    else:
        first = next((p for p in (report.problems if report else []) if p.row is not None or p.column), None)
        where = "\n\n" + first.describe(report.file_name, language()) if first is not None else ""
        st.error(f"{result['message']}{where}\n\n{t('report_db_unchanged')}", icon=":material/error:")
    if report is None:
        return
    if report.counts:
        counts = pd.DataFrame(
            [(t_or(f"severity_{report.severities[kind]}", report.severities[kind]), t_or(f"kind_{kind}", kind),
              count) for kind, count in report.counts.items()],
            columns=[t("report_severity"), t("report_kind"), t("report_count")])
        st.markdown(f"**{t('report_counts_heading')}**")
        st.dataframe(counts, hide_index=True, width="content", key="data_report_counts")
    if report.problems:
        problems = pd.DataFrame(
            [(report.file_name, p.row, p.column, p.value, t_or(f"severity_{p.severity}", p.severity),
              p.text(language()))
             for p in report.problems],
            columns=[t("report_file"), t("report_row"), t("report_column"), t("report_value"),
                     t("report_severity"), t("report_message")])
        st.markdown(f"**{t('report_problems_heading')}**")
        st.dataframe(problems, hide_index=True, key="data_report_problems")
        listed, total = len(report.problems), sum(report.counts.values())
        if total > listed:
            st.caption(t("report_more", more=fmt.number(total - listed)))
    if report.columns:
        with st.expander(t("report_details")):
            st.markdown("\n".join(f"- {line}" for line in _details(report)))


def _details(report) -> list[str]:
    lines = []
    if report.file_format:
        lines.append(t("report_format", format=t_or(f"format_{report.file_format}", report.file_format),
                       encoding=report.encoding or "–"))
    if report.has_header is not None:
        lines.append(t("report_header_yes" if report.has_header else "report_header_no"))
    for field, column in report.mapping.items():
        lines.append(t("report_mapped", field=t(f"field_{field}"), column=column))
    for field, detected in report.formats.items():
        lines.append(t("report_detected_format", field=t_or(f"field_{field}", field), format=detected))
    return lines


def show_quality(quality: dict) -> None:
    """Counts, shares and date range of the active dataset, as metric cards."""
    row1 = st.columns(4)
    row1[0].metric(t("quality_transactions"), fmt.number(quality["transactions"]), border=True)
    row1[1].metric(t("quality_customers"), fmt.number(quality["customers"]), border=True)
    row1[2].metric(t("quality_customer_records"), fmt.number(quality["customer_records"]), border=True)
    row1[3].metric(t("quality_interactions"), fmt.number(quality["interactions"]), border=True)
    row2 = st.columns(4)
    row2[0].metric(t("quality_returns_share"), fmt.percent(quality["negative_amount_share"]),
                   help=t("quality_returns_share_help", rows=fmt.number(quality["negative_amount_rows"])),
                   border=True)
    row2[1].metric(t("quality_no_order_id_share"), fmt.percent(quality["without_order_id_share"]),
                   help=t("quality_no_order_id_help", rows=fmt.number(quality["rows_without_order_id"])),
                   border=True)
    if quality["customer_records"]:
        row2[2].metric(t("quality_without_record"), fmt.number(quality["customers_without_record"]),
                       help=t("quality_without_record_help"), border=True)
    else:
        row2[2].metric(t("quality_without_record"), "–", help=t("quality_no_customer_file"), border=True)
    row2[3].metric(t("quality_last_order"), fmt.day(quality["last_order_date"]),
                   help=t("quality_first_order_help", first=fmt.day(quality["first_order_date"])), border=True)
    st.markdown(t("quality_date_range", first=fmt.day(quality["first_order_date"]),
                  last=fmt.day(quality["last_order_date"])))


DATASET_COLUMNS = ("name", "is_active", "version", "customers", "transactions", "first_order_date",
                   "last_order_date", "total_amount", "customer_records", "interactions")


NUMBER_COLUMNS = ("version", "customers", "transactions", "customer_records", "interactions")


def show_datasets(info: pd.DataFrame) -> None:
    """The dataset registry (custlib.datasets.dataset_info) with translated headers and formatted numbers."""
    table = info.loc[:, list(DATASET_COLUMNS)].copy()
    table["is_active"] = table["is_active"].map({True: "✓", False: ""})
    for column in NUMBER_COLUMNS:
        table[column] = table[column].map(fmt.number)
    table["total_amount"] = table["total_amount"].map(lambda value: fmt.money(value, decimals=2))
    right = {t(f"dataset_{column}"): st.column_config.TextColumn(alignment="right")
             for column in (*NUMBER_COLUMNS, "total_amount")}
    st.dataframe(table.rename(columns={column: t(f"dataset_{column}") for column in DATASET_COLUMNS}),
                 hide_index=True, column_config=right, key="data_datasets")


def show_audit_log(entries: pd.DataFrame) -> None:
    """The latest audit entries (custlib.audit.recent), newest first, in the page's language."""
    if entries.empty:
        st.caption(t("audit_empty"))
        return
    table = pd.DataFrame({
        t("audit_col_at"): entries["recorded_at"].map(lambda at: f"{at:%Y-%m-%d %H:%M:%S}"),
        t("audit_col_action"): entries["action"].map(lambda action: t(f"audit_action_{action}")),
        t("audit_col_user"): entries["user_name"],
        t("audit_col_role"): entries["role"].map(lambda role: t(f"role_{role}") if isinstance(role, str) else "–"),
        t("audit_col_via"): entries["via"].map(lambda via: t(f"audit_via_{via}")),
        t("audit_col_dataset"): entries["dataset_name"].fillna("–"),
        t("audit_col_detail"): entries["detail"].map(audit.describe_detail)})
    st.dataframe(table, hide_index=True, key="data_audit_log",
                 column_config={t("audit_col_detail"): st.column_config.TextColumn(width="large")})
