"""Figure builders: data in, plotly Figure out. Pages only call ``st.plotly_chart(fig, theme=None)``.

Labels come from ui.i18n so a figure is in the page's language; the look comes from ui.theme.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .i18n import t
from .theme import COLORS, style

BAR_WIDTH_MS = 24 * 86_400_000  # a month's bar, centred on the 1st: 24 days wide (plotly needs it for a lone bar)


def monthly_revenue_figure(monthly: pd.DataFrame, symbol: str) -> go.Figure:
    """Net revenue per month (bars, in ``symbol``) and active customers per month (line, right axis).

    ``monthly``: rows of mart_period_activity at month grain. A month not yet complete on the as-of
    date is drawn in grey and named as month to date, so it does not read as a drop.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    complete = monthly[monthly["is_complete"]]
    partial = monthly[~monthly["is_complete"]]
    revenue_name, partial_name = t("chart_revenue"), t("chart_revenue_partial")
    customers_name = t("chart_active_customers")
    for frame, name, color in ((complete, revenue_name, COLORS["primary"]),
                               (partial, partial_name, COLORS["muted"])):
        if frame.empty:
            continue
        fig.add_trace(go.Bar(
            x=frame["period_start"], y=frame["revenue_amount"], name=name, marker_color=color,
            width=BAR_WIDTH_MS,
            hovertemplate=f"{name}: {symbol}%{{y:,.0f}}<extra></extra>",
        ), secondary_y=False)
    fig.add_trace(go.Scatter(
        x=monthly["period_start"], y=monthly["active_customers"], name=customers_name, mode="lines+markers",
        line=dict(color=COLORS["secondary"], width=2.5),
        marker=dict(size=7, symbol=["circle" if done else "circle-open" for done in monthly["is_complete"]]),
        hovertemplate=f"{customers_name}: %{{y:,.0f}}<extra></extra>",
    ), secondary_y=True)
    style(fig, title=t("chart_monthly_title"), x_title=t("chart_month"),
          y_title=t("chart_revenue_axis", currency=symbol), y2_title=t("chart_customers_axis"))
    half_month = pd.Timedelta(days=16)  # room for the first and last bars, which plotly's autorange cuts
    fig.update_xaxes(tickformat=t("chart_month_tickformat"), hoverformat=t("chart_month_hoverformat"),
                     dtick="M1" if len(monthly) <= 12 else None,
                     range=[monthly["period_start"].min() - half_month, monthly["period_start"].max() + half_month])
    fig.update_yaxes(tickprefix=symbol, tickformat=",~f", rangemode="tozero", secondary_y=False)
    few = monthly["active_customers"].max() <= 10  # whole customers: no 0.5 ticks
    fig.update_yaxes(tickformat=",~f", tickmode="linear" if few else "auto", dtick=1 if few else None,
                     secondary_y=True)
    fig.update_layout(barmode="overlay", height=420)
    return fig


def _month_axis(fig: go.Figure, months: pd.Series) -> None:
    half_month = pd.Timedelta(days=16)
    fig.update_xaxes(tickformat=t("chart_month_tickformat"), hoverformat=t("chart_month_hoverformat"),
                     range=[months.min() - half_month, months.max() + half_month])


def rates_figure(activity: pd.DataFrame, title: str, nps: pd.DataFrame | None = None) -> go.Figure:
    """Retention, churn and repeat-purchase rates per period (lines, %), and NPS (right axis, points).

    ``activity``: rows of mart_period_activity (complete periods only are drawn: a period to
    date would read as a drop). ``nps``: rows of retention.nps_over_time, or None.
    """
    done = activity[activity["is_complete"]]
    with_nps = nps is not None and nps["nps_responses"].sum() > 0
    fig = make_subplots(specs=[[{"secondary_y": True}]]) if with_nps else go.Figure()
    axis = {"secondary_y": False} if with_nps else {}
    lines = (("retention_rate", "chart_retention_rate", COLORS["positive"], "solid"),
             ("churn_rate", "chart_churn_rate", COLORS["negative"], "solid"),
             ("repeat_purchase_rate", "chart_repeat_rate", COLORS["primary"], "dot"))
    for column, key, color, dash in lines:
        trace = go.Scatter(x=done["period_start"], y=done[column], name=t(key), mode="lines+markers",
                           line=dict(color=color, width=2.2, dash=dash), marker=dict(size=5),
                           hovertemplate=f"{t(key)}: %{{y:.1%}}<extra></extra>")
        fig.add_trace(trace, **axis)
    if with_nps:
        shown = nps[nps["nps_responses"] > 0]
        fig.add_trace(go.Scatter(
            x=shown["period_start"], y=shown["nps"], name=t("chart_nps"), mode="lines+markers",
            line=dict(color=COLORS["secondary"], width=2.2), customdata=shown[["nps_responses"]],
            hovertemplate=t("chart_nps_hover") + "<extra></extra>"), secondary_y=True)
    style(fig, title=title, x_title=t("chart_period"), y_title=t("chart_rate_axis"),
          y2_title=t("chart_nps_axis") if with_nps else None)
    if with_nps:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", secondary_y=False)
        fig.update_yaxes(range=[-100, 100], dtick=50, rangemode=None, secondary_y=True)
    else:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    if len(done):
        _month_axis(fig, done["period_start"])
    fig.update_layout(height=420, margin=dict(t=100))  # room for a two-line legend under the title
    return fig


def tier_value_figure(tiers: pd.DataFrame, labels: dict, symbol: str, horizon: int) -> go.Figure:
    """Customer equity (sum of CLV) and revenue at risk per value tier: grouped bars, in ``symbol``.

    ``tiers``: a custlib.findings.value_by_group table indexed by tier; ``labels``: tier -> shown name.
    """
    names = [labels[tier] for tier in tiers.index]
    fig = go.Figure()
    equity, risk = t("chart_equity", horizon=horizon), t("chart_revenue_at_risk")
    fig.add_trace(go.Bar(x=names, y=tiers["equity_amount"], name=equity, marker_color=COLORS["primary"],
                         customdata=tiers[["customers", "equity_share"]].to_numpy(),
                         hovertemplate=(f"{equity}: {symbol}%{{y:,.0f}} (%{{customdata[1]:.1%}})<br>"
                                        + t("chart_customers_hover") + "<extra></extra>")))
    fig.add_trace(go.Bar(x=names, y=tiers["revenue_at_risk_amount"], name=risk, marker_color=COLORS["negative"],
                         customdata=tiers[["risk_share"]].to_numpy(),
                         hovertemplate=f"{risk}: {symbol}%{{y:,.0f}} (%{{customdata[0]:.1%}})<extra></extra>"))
    style(fig, title=t("chart_tiers_title"), x_title=t("chart_tier"), y_title=t("chart_amount_axis", currency=symbol))
    fig.update_yaxes(tickprefix=symbol, tickformat=",~s")
    fig.update_layout(barmode="group", height=400, hovermode="x unified")
    return fig
