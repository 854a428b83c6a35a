"""Capacity (保有量, sales head): can the account managers hold the customers worth keeping?"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from custlib import capacity
from custlib.errors import CustlibError
from custlib.segments import TIERS
from ui import auth, data, decisions, labels, view
from ui import decision_charts as charts
from ui import format as fmt
from ui.i18n import error_text, t
from ui.entry import through_app

through_app(__file__)

STATUSES = ("over", "within", "under")
WINDOWS = (30, 60, 90, 180)


def settings_form(dataset, suggested: dict[str, int]) -> None:
    """Quota, service level and retention budget per tier, saved to the database with a history."""
    current = decisions.capacity_settings(dataset, suggested).set_index("tier")
    with st.form("cap_settings_form", border=True):
        header = st.columns([1, 1.3, 1.3, 1.3])
        header[1].markdown(f"**{t('cap_max_customers')}**", help=t("cap_max_customers_help"))
        header[2].markdown(f"**{t('cap_contacts')}**", help=t("cap_contacts_help"))
        header[3].markdown(f"**{t('cap_budget', currency=fmt.currency())}**", help=t("cap_budget_help"))
        chosen = {}
        for tier in TIERS:
            row = current.loc[tier]
            cells = st.columns([1, 1.3, 1.3, 1.3], vertical_alignment="center")
            cells[0].markdown(labels.tier(tier) + ("" if not row["is_default"] else f" · *{t('cap_default')}*"))
            chosen[tier] = {
                "max_customers_per_manager": cells[1].number_input(
                    t("cap_max_customers"), min_value=0, step=5, value=int(row["max_customers_per_manager"]),
                    key=f"cap_{tier}_max_customers_per_manager", label_visibility="collapsed"),
                "contacts_per_quarter": cells[2].number_input(
                    t("cap_contacts"), min_value=0.0, step=1.0, value=float(row["contacts_per_quarter"]),
                    key=f"cap_{tier}_contacts_per_quarter", label_visibility="collapsed"),
                "retention_budget_amount": cells[3].number_input(
                    t("cap_budget", currency=fmt.currency()), min_value=0.0, step=10.0,
                    value=float(row["retention_budget_amount"]), key=f"cap_{tier}_retention_budget_amount",
                    label_visibility="collapsed"),
            }
        note = st.text_input(t("cap_note"), key="cap_note", max_chars=200, placeholder=t("cap_note_placeholder"))
        may_save = auth.allows("can_save_plans")
        if not may_save:
            st.caption(t("plans_read_only"))
        if st.form_submit_button(t("cap_save"), type="primary", key="cap_save", disabled=not may_save):
            try:
                written = decisions.save_capacity_settings(dataset, chosen, note=note, suggested=suggested)
            except (CustlibError, ValueError) as exc:
                st.error(t("cap_save_failed", error=error_text(exc)), icon=":material/error:")
            else:
                if written.empty:
                    st.info(t("cap_nothing_changed"), icon=":material/info:")
                else:
                    st.success(t("cap_saved", changes=len(written)), icon=":material/check:")


def history_table(history: pd.DataFrame) -> None:
    if history.empty:
        st.caption(t("cap_no_history"))
        return
    money_setting = history["setting"] == "retention_budget_amount"
    shown = pd.DataFrame({
        t("cap_col_changed_at"): history["changed_at"], t("cap_col_changed_by"): history["changed_by"].fillna("–"),
        t("cap_col_tier"): history["tier"].map(labels.tier),
        t("cap_col_setting"): history["setting"].map(lambda s: t(f"cap_setting_{s}")),
        t("cap_col_old"): [fmt.money(v) if m else fmt.number(v, 1) for v, m in zip(history["old_value"], money_setting)],
        t("cap_col_new"): [fmt.money(v) if m else fmt.number(v, 1) for v, m in zip(history["new_value"], money_setting)],
        t("cap_col_note"): history["note"].fillna("")})
    st.dataframe(shown.iloc[::-1], hide_index=True, key="cap_history_table")


def holdings_section(holding: pd.DataFrame, owners: pd.DataFrame) -> None:
    status_names = {status: t(f"cap_status_{status}") for status in STATUSES}
    over = holding[holding["status"] == "over"]
    cards = st.columns(4)
    cards[0].metric(t("cap_metric_managers"), fmt.number(holding["account_manager"].nunique()), border=True)
    cards[1].metric(t("cap_metric_over"), fmt.number(len(over)), border=True, help=t("cap_metric_over_help"))
    cards[2].metric(t("cap_metric_over_customers"), fmt.number((over["customers"] - over["quota"]).sum()),
                    border=True, help=t("cap_metric_over_customers_help"))
    cards[3].metric(t("cap_metric_unowned"), fmt.number(owners["account_manager"].isna().sum()), border=True,
                    help=t("cap_metric_unowned_help"))
    st.plotly_chart(charts.holdings_figure(holding, labels.tiers(), status_names), theme=None, key="cap_holdings_chart")
    symbol = fmt.currency()
    shown = pd.DataFrame({
        t("cap_col_manager"): holding["account_manager"], t("cap_col_region"): holding["region"],
        t("cap_col_tier"): holding["tier"].map(labels.tier), t("cap_col_customers"): holding["customers"],
        t("cap_col_quota"): holding["quota"], t("cap_col_spare"): holding["spare"],
        t("cap_col_utilisation"): holding["utilisation"], t("cap_col_status"): holding["status"].map(status_names),
        t("cap_col_contacts"): holding["contacts_per_quarter"],
        t("cap_col_budget", currency=symbol): holding["retention_budget_amount"]})
    st.dataframe(shown, hide_index=True, key="cap_holdings_table", column_config={
        t("cap_col_utilisation"): st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.5),
        t("cap_col_budget", currency=symbol): st.column_config.NumberColumn(format=f"{symbol}%,.0f")})


def at_risk_section(at_risk: pd.DataFrame, plan: pd.DataFrame, risk_source: str) -> None:
    symbol = fmt.currency()
    st.caption(t("cap_at_risk_caption", model=t(f"cap_risk_source_{risk_source}")))
    if at_risk.empty:
        st.success(t("cap_at_risk_none"), icon=":material/check:")
        return
    money = st.column_config.NumberColumn(format=f"{symbol}%,.0f")
    shown = pd.DataFrame({
        t("cap_col_customer"): at_risk["customer_id"], t("cap_col_manager"): at_risk["account_manager"].fillna("–"),
        t("cap_col_region"): at_risk["region"], t("cap_col_tier"): at_risk["tier"].map(labels.tier),
        t("cap_col_clv", currency=symbol): at_risk["clv"], t("cap_col_risk"): at_risk["churn_risk"],
        t("cap_col_value_at_risk", currency=symbol): at_risk["value_at_risk"],
        t("cap_col_reason"): at_risk["reason"].map(lambda r: t(f"cap_reason_{r.replace(' ', '_')}"))})
    st.dataframe(shown, hide_index=True, key="cap_at_risk_table", column_config={
        t("cap_col_clv", currency=symbol): money, t("cap_col_value_at_risk", currency=symbol): money,
        t("cap_col_risk"): st.column_config.NumberColumn(format="percent")})
    st.markdown(f"**{t('cap_plan_heading')}**")
    moved = plan["to_manager"].notna()
    st.caption(t("cap_plan_caption", moved=fmt.number(moved.sum()), total=fmt.number(len(plan)),
                 value=fmt.money(plan.loc[moved, "value_at_risk"].sum())))
    shown = pd.DataFrame({
        t("cap_col_step"): plan["step"], t("cap_col_customer"): plan["customer_id"],
        t("cap_col_tier"): plan["tier"].map(labels.tier), t("cap_col_region"): plan["region"],
        t("cap_col_from"): plan["from_manager"].fillna("–"), t("cap_col_to"): plan["to_manager"].fillna("–"),
        t("cap_col_same_region"): plan["same_region"],
        t("cap_col_value_at_risk", currency=symbol): plan["value_at_risk"],
        t("cap_col_plan_reason"): plan["reason"].map(lambda r: t(f"cap_plan_{r.replace(' ', '_')}"))})
    st.dataframe(shown, hide_index=True, key="cap_plan_table",
                 column_config={t("cap_col_value_at_risk", currency=symbol): money})


def evaluation_section(current: view.View, history: pd.DataFrame) -> None:
    changes = sorted({pd.Timestamp(at).date() for at in history["changed_at"]}) if len(history) else []
    left, right = st.columns(2)
    window = left.selectbox(t("cap_eval_window"), WINDOWS, index=2, key="cap_eval_window",
                            format_func=lambda days: t("cap_days", days=days))
    earliest = current.first_date + timedelta(days=2 * window)
    default = min(max(changes[-1] if changes else current.as_of - timedelta(days=window), earliest), current.last_date)
    change_date = right.date_input(t("cap_eval_date"), value=default, min_value=earliest,
                                   max_value=current.last_date, key="cap_eval_date", format="YYYY-MM-DD",
                                   help=t("cap_eval_date_help"))
    try:
        evaluation = decisions.settings_evaluation(current.key, change_date, int(window), current.settings)
    except CustlibError as exc:
        st.warning(t("cap_eval_failed", error=error_text(exc)), icon=":material/warning:")
        return
    if not evaluation["is_complete"].all():
        st.warning(t("cap_eval_incomplete", last=fmt.day(current.last_date)), icon=":material/schedule:")
    st.plotly_chart(charts.evaluation_figure(evaluation, labels.tiers()), theme=None, key="cap_eval_chart")
    wide = evaluation.pivot(index="tier", columns="period")
    wide = wide.reindex([tier for tier in TIERS if tier in wide.index])
    symbol = fmt.currency()
    shown = pd.DataFrame({
        t("cap_col_tier"): wide.index.map(labels.tier), t("cap_col_customers"): wide[("customers", "before")],
        t("cap_col_churn_before"): wide[("churn_rate", "before")], t("cap_col_churn_after"): wide[("churn_rate", "after")],
        t("cap_col_sat_before"): wide[("satisfaction_mean", "before")],
        t("cap_col_sat_after"): wide[("satisfaction_mean", "after")],
        t("cap_col_clv_before", currency=symbol): wide[("clv_mean", "before")],
        t("cap_col_clv_after", currency=symbol): wide[("clv_mean", "after")]})
    percent = st.column_config.NumberColumn(format="percent")
    money = st.column_config.NumberColumn(format=f"{symbol}%,.0f")
    score = st.column_config.NumberColumn(format="%.2f")
    st.dataframe(shown, hide_index=True, key="cap_eval_table", column_config={
        t("cap_col_churn_before"): percent, t("cap_col_churn_after"): percent, t("cap_col_sat_before"): score,
        t("cap_col_sat_after"): score, t("cap_col_clv_before", currency=symbol): money,
        t("cap_col_clv_after", currency=symbol): money})
    first = evaluation.iloc[0]
    st.caption(t("cap_eval_caption", before_start=fmt.day(first["window_start"]),
                 before_end=fmt.day(change_date - timedelta(days=1)), change=fmt.day(change_date),
                 after_end=fmt.day(change_date + timedelta(days=int(window) - 1))))


current = view.start("cap_title", "cap_intro")
dataset = current.dataset
try:
    table = data.customer_table(current.key, current.as_of, current.settings)
    tiers = table["tier"].dropna()
    risk, risk_source = decisions.churn_risk(current.key, current.as_of, current.settings)
except CustlibError as exc:
    st.error(t("cap_model_failed", error=error_text(exc)), icon=":material/error:")
    st.stop()
owners = decisions.customer_owners(current.key)
owners = owners[owners["customer_id"].isin(table.index)]  # customers with a purchase by the as-of date

st.subheader(t("cap_settings_heading"))
suggested = capacity.suggested_quotas(owners, tiers)
settings_form(dataset, suggested)
settings = decisions.capacity_settings(dataset, suggested)
history = decisions.capacity_history(dataset)
with st.expander(t("cap_history_heading", changes=len(history)), icon=":material/history:"):
    history_table(history)

st.subheader(t("cap_holdings_heading"))
holding = capacity.holdings(owners, tiers, settings)
if holding.empty:
    st.info(t("cap_no_managers"), icon=":material/info:")
    st.stop()
holdings_section(holding, owners)

st.subheader(t("cap_at_risk_heading"))
if auth.allows("can_see_customer_rows"):
    left, right = st.columns(2)
    threshold = left.slider(t("cap_risk_threshold"), 0, 100, 50, step=5, format="%d%%", key="cap_risk_threshold",
                            help=t("cap_risk_threshold_help"))
    at_risk_tiers = right.multiselect(t("cap_at_risk_tiers"), TIERS, default=["core"], key="cap_at_risk_tiers",
                                      format_func=labels.tiers().__getitem__)
    at_risk = capacity.at_risk_customers(owners, tiers, table["clv"].fillna(0.0), risk, holding,
                                         risk_threshold=threshold / 100, at_risk_tiers=tuple(at_risk_tiers))
    at_risk_section(at_risk, capacity.suggest_reassignment(at_risk, holding), risk_source)
else:
    auth.rows_hidden_note()

st.subheader(t("cap_eval_heading"))
# Two more model fits (before and after the change date): computed when asked for, so the page opens fast.
if st.toggle(t("cap_eval_show"), key="cap_eval_show", help=t("cap_eval_show_help")):
    evaluation_section(current, history)
