"""At-risk customers: who is about to stop buying, why, what to do, and how far to trust the model."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from custlib import churn
from custlib.errors import CustlibError
from custlib.segments import TIERS
from ui import auth, data, decisions, labels, view
from ui import decision_charts as charts
from ui import format as fmt
from ui.i18n import error_text, language, t
from ui.entry import through_app

through_app(__file__)
auth.require("can_see_customer_rows")  # a list of single customers

NO_MANAGER = "__none__"


def model_quality(report: churn.ChurnReport) -> None:
    metrics = report.metrics
    names = {kind: t(f"risk_model_{kind}") for kind in metrics.index}
    chosen, base = metrics.loc[report.chosen_model], metrics.loc["bgnbd"]
    beats = chosen["roc_auc"] > base["roc_auc"] + churn.AUTO_TIE_MARGIN
    st.markdown(t("risk_verdict", model=names[report.chosen_model], n=fmt.number(chosen["n_valid"]),
                  start=fmt.day(report.windows.valid_feature_date), end=fmt.day(report.windows.as_of),
                  auc=f"{chosen['roc_auc']:.2f}", base_auc=f"{base['roc_auc']:.2f}",
                  beats=t("risk_beats" if beats else "risk_no_better"),
                  top=fmt.percent(chosen["positive_rate"] * chosen["top_decile_lift"], 0),
                  lift=f"{chosen['top_decile_lift']:.1f}", rate=fmt.percent(chosen["positive_rate"], 0),
                  brier=f"{chosen['brier']:.3f}",
                  guess=f"{chosen['positive_rate'] * (1 - chosen['positive_rate']):.3f}"))
    left, right = st.columns([3, 2])
    shown = pd.DataFrame({
        t("risk_col_model"): [names[k] + (" ✓" if k == report.chosen_model else "") for k in metrics.index],
        t("risk_metric_roc_auc"): metrics["roc_auc"], t("risk_metric_pr_auc"): metrics["pr_auc"],
        t("risk_metric_brier"): metrics["brier"], t("risk_metric_top_decile_lift"): metrics["top_decile_lift"],
        t("risk_col_n_valid"): metrics["n_valid"], t("risk_col_positive_rate"): metrics["positive_rate"]}
    ).reset_index(drop=True)
    score = st.column_config.NumberColumn(format="%.3f")
    left.dataframe(shown, hide_index=True, key="risk_metrics_table", column_config={
        t("risk_metric_roc_auc"): score, t("risk_metric_pr_auc"): score, t("risk_metric_brier"): score,
        t("risk_metric_top_decile_lift"): st.column_config.NumberColumn(format="%.2f×"),
        t("risk_col_positive_rate"): st.column_config.NumberColumn(format="percent")})
    left.caption(t("risk_metrics_caption"))
    right.plotly_chart(charts.churn_metrics_figure(metrics, names), theme=None, key="risk_metrics_chart")


def filters(scores: pd.DataFrame) -> pd.DataFrame:
    """The page's own filters (on top of the sidebar's): tier, account manager, region, minimum CLV, action."""
    cells = st.columns([1.2, 1.4, 1.4, 1, 1.2])
    tiers = cells[0].multiselect(t("risk_filter_tier"), TIERS, key="risk_tiers", format_func=labels.tiers().__getitem__,
                                 placeholder=t("risk_any"))
    managers = sorted(scores["account_manager"].dropna().unique())
    manager_names = {NO_MANAGER: t("risk_no_manager"), **{m: m for m in managers}}
    owners = cells[1].multiselect(t("risk_filter_owner"), list(manager_names), key="risk_owners",
                                  format_func=manager_names.__getitem__, placeholder=t("risk_any"))
    regions = cells[2].multiselect(t("risk_filter_region"), sorted(scores["region"].dropna().unique()),
                                   key="risk_regions", placeholder=t("risk_any"))
    min_clv = cells[3].number_input(t("risk_filter_min_clv", currency=fmt.currency()), min_value=0.0, value=0.0,
                                    step=100.0, key="risk_min_clv")
    action_names = {a: t(f"risk_action_{a}") for a in churn.ACTIONS}
    actions = cells[4].multiselect(t("risk_filter_action"), list(churn.ACTIONS), key="risk_actions",
                                   format_func=action_names.__getitem__, placeholder=t("risk_any"))
    keep = scores["clv"] >= min_clv
    if tiers:
        keep &= scores["tier"].isin(tiers)
    if owners:
        keep &= scores["account_manager"].isin(owners) | (scores["account_manager"].isna() & (NO_MANAGER in owners))
    if regions:
        keep &= scores["region"].isin(regions)
    if actions:
        keep &= scores["action"].isin(actions)
    return scores[keep]


def display(rows: pd.DataFrame) -> pd.DataFrame:
    """The list as people read it (and export it): translated headers and labels, reasons in words."""
    symbol = fmt.currency()
    reasons = decisions.reasons_in_words(current.key, current.as_of, current.settings, language())
    reasons = pd.Series(reasons.reindex(rows["customer_id"]).to_numpy(), index=rows.index)
    return pd.DataFrame({
        t("risk_col_customer"): rows["customer_id"], t("risk_col_tier"): rows["tier"].map(labels.tier),
        t("risk_col_stage"): rows["stage"].map(labels.stage),
        t("risk_col_manager"): rows["account_manager"].fillna("–"), t("risk_col_region"): rows["region"].fillna("–"),
        t("risk_col_churn"): rows["churn_probability"], t("risk_col_clv", currency=symbol): rows["clv"],
        t("risk_col_value_at_risk", currency=symbol): rows["value_at_risk"],
        t("risk_col_reasons"): reasons.reindex(rows.index).fillna(""),
        t("risk_col_action"): rows["action"].map(lambda a: t(f"risk_action_{a}"))}).reset_index(drop=True)


current = view.start("risk_title", "risk_intro")
try:
    with st.spinner(t("risk_fitting")):
        scores, report = decisions.churn_scores(current.key, current.as_of, current.settings)
except CustlibError as exc:
    st.warning(t("risk_model_failed", error=error_text(exc)), icon=":material/warning:")
    st.stop()
owners = decisions.customer_owners(current.key).set_index("customer_id")
scores = scores.join(owners, on="customer_id")
ids = data.selected_ids(current.key, current.as_of, current.customer_filter)
if ids is not None:
    scores = scores[scores["customer_id"].isin(ids)]

st.subheader(t("risk_quality_heading"))
st.caption(t("risk_definition", horizon=report.horizon_days, as_of=fmt.day(current.as_of)))
model_quality(report)

st.subheader(t("risk_list_heading"))
shown = filters(scores)
symbol = fmt.currency()
cards = st.columns(4)
cards[0].metric(t("risk_metric_customers"), fmt.number(len(shown)), border=True,
                help=t("risk_metric_customers_help", total=fmt.number(len(scores))))
cards[1].metric(t("risk_metric_value_at_risk"), fmt.money_compact(shown["value_at_risk"].sum()), border=True,
                help=t("risk_metric_value_at_risk_help", horizon=current.settings.horizon_months))
cards[2].metric(t("risk_metric_high_risk"), fmt.number((shown["churn_probability"] >= churn.HIGH_RISK).sum()),
                border=True, help=t("risk_metric_high_risk_help"))
cards[3].metric(t("risk_metric_win_back"), fmt.number((shown["action"] == "win back").sum()), border=True,
                help=t("risk_metric_win_back_help"))
table = display(shown)
money = st.column_config.NumberColumn(format=f"{symbol}%,.0f")
event = st.dataframe(table, hide_index=True, key="risk_table", on_select="rerun", selection_mode="multi-row",
                     column_config={t("risk_col_churn"): st.column_config.ProgressColumn(format="percent", min_value=0.0,
                                                                                         max_value=1.0),
                                    t("risk_col_clv", currency=symbol): money,
                                    t("risk_col_value_at_risk", currency=symbol): money,
                                    t("risk_col_reasons"): st.column_config.TextColumn(width="large")})
selected = list(event.selection.rows) if event is not None else []
export = table.iloc[selected] if selected else table
auth.download_csv(t("risk_export_selected", rows=len(selected)) if selected else t("risk_export_all", rows=len(table)),
                  export, file_name="at_risk_customers.csv", export_name="at-risk customers",
                  dataset=current.dataset, key="risk_export", customer_list=True, disabled=export.empty)
st.caption(t("risk_list_caption"))
