"""Retention & lifecycle (marketing leads): do customers come back, and how do they move through the lifecycle?"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from custlib import retention, segments
from ui import charts, data, labels, view
from ui import retention_charts as rcharts
from ui.i18n import option_labels, t
from ui.entry import through_app

through_app(__file__)

GRAINS = ["month", "quarter"]
PERIODS_AHEAD = {"month": 12, "quarter": 4}
CURVES = 4  # cohorts drawn by default: spread over those with three or more observed periods


def cohort_section(current, grain: str) -> None:
    cohorts = data.cohorts(current.key, current.as_of, grain, current.customer_filter)
    if cohorts.empty:
        st.info(t("ret_no_cohorts"), icon=":material/info:")
        return
    grain_name = t(f"period_noun_{grain}")
    names = {c: labels.period(c, grain) for c in cohorts["cohort_start"].unique()}
    shares = retention.retention_matrix(cohorts, "retention_share")
    revenue = retention.retention_matrix(cohorts, "revenue_retention")
    sizes = cohorts.groupby("cohort_start")["cohort_customers"].first()
    row_names = [f"{names[c]} (n={sizes[c]:,})" for c in shares.index]
    left, right = st.columns(2) if grain != "month" else (st.container(), st.container())  # months: full width
    left.plotly_chart(rcharts.cohort_heatmap_figure(shares, row_names, t("ret_heat_customers_title"), grain_name,
                                                    t("ret_heat_value_customers"), zmax=1.0),
                      theme=None, key="retention_heat_customers")
    right.plotly_chart(rcharts.cohort_heatmap_figure(revenue, row_names, t("ret_heat_revenue_title"), grain_name,
                                                     t("ret_heat_value_revenue")),
                       theme=None, key="retention_heat_revenue")
    st.caption(t("ret_heat_note"))

    projection = data.cohort_projection(current.key, current.as_of, grain, current.customer_filter,
                                        PERIODS_AHEAD[grain])
    fitted = [c for c in shares.index if projection.loc[projection["cohort"] == c, "note"].isna().all()]
    options = list(shares.index)
    step = max(1, len(fitted) // CURVES)  # cohorts spread over the history, the latest included
    default = sorted(fitted[::-1][::step][:CURVES]) if fitted else options[-CURVES:]
    chosen = st.multiselect(t("ret_curve_cohorts"), options, default=default, key="retention_curve_cohorts",
                            format_func=lambda c: names[c])
    if chosen:
        shown = projection[projection["cohort"].isin(chosen)]
        st.plotly_chart(rcharts.retention_curves_figure(shown, names, grain_name), theme=None,
                        key="retention_curves")
        st.caption(t("ret_curves_note", periods=PERIODS_AHEAD[grain]))


def rates_section(current, grain: str) -> None:
    activity = data.period_activity(current.key, current.as_of, grain, current.customer_filter)
    title = t("ret_rates_title", period=t(f"period_noun_{grain}"))
    st.plotly_chart(charts.rates_figure(activity, title), theme=None, key="retention_rates")
    st.caption(t("ret_rates_note"))


def stage_section(current, customers: pd.DataFrame) -> None:
    names = labels.stages()
    counts = customers["stage"].astype(object).value_counts().reindex(segments.STAGES, fill_value=0)
    table = pd.DataFrame({"customers": counts.to_numpy(), "share": counts.to_numpy() / max(counts.sum(), 1)},
                         index=[names[s] for s in counts.index])
    left, right = st.columns([2, 3])
    left.plotly_chart(rcharts.stage_figure(table), theme=None, key="retention_stages")

    earliest = current.first_date + timedelta(days=1)
    default = max(earliest, current.as_of - timedelta(days=182))
    if earliest >= current.as_of:
        right.info(t("ret_sankey_too_short"), icon=":material/info:")
        return
    chosen = st.session_state.get("retention_from_date")
    if chosen is None or not earliest <= chosen < current.as_of:
        st.session_state["retention_from_date"] = default
    start = right.date_input(t("ret_from_label"), min_value=earliest, max_value=current.as_of - timedelta(days=1),
                             key="retention_from_date", format="YYYY-MM-DD", help=t("ret_from_help"))
    with st.spinner(t("spinner_value_model")):
        moves = data.stage_moves(current.key, start, current.as_of, current.settings, current.customer_filter)
    right.plotly_chart(rcharts.sankey_figure(moves, names | {segments.NEW_LABEL: labels.stage(
        segments.NEW_LABEL), segments.GONE_LABEL: labels.stage(segments.GONE_LABEL)}, start.isoformat(),
        current.as_of.isoformat()), theme=None, key="retention_sankey")


current = view.start("ret_title", "ret_intro")
grain = st.segmented_control(t("ret_grain_label"), GRAINS, key="retention_grain", default="month",
                             format_func=option_labels("grain_", GRAINS)) or "month"
st.subheader(t("ret_cohorts_heading"))
cohort_section(current, grain)
st.subheader(t("ret_rates_heading"))
rates_section(current, grain)
st.subheader(t("ret_stages_heading"))
with st.spinner(t("spinner_value_model")):
    customers = data.customers_in_view(current.key, current.as_of, current.settings, current.customer_filter)
stage_section(current, customers)
st.caption(t("ret_stages_note"))
