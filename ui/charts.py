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

    ``monthly`` has the columns of mart_monthly_overview. A month not yet complete on the as-of
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
            x=frame["month"], y=frame["revenue"], name=name, marker_color=color, width=BAR_WIDTH_MS,
            hovertemplate=f"{name}: {symbol}%{{y:,.0f}}<extra></extra>",
        ), secondary_y=False)
    fig.add_trace(go.Scatter(
        x=monthly["month"], y=monthly["active_customers"], name=customers_name, mode="lines+markers",
        line=dict(color=COLORS["secondary"], width=2.5),
        marker=dict(size=7, symbol=["circle" if done else "circle-open" for done in monthly["is_complete"]]),
        hovertemplate=f"{customers_name}: %{{y:,.0f}}<extra></extra>",
    ), secondary_y=True)
    style(fig, title=t("chart_monthly_title"), x_title=t("chart_month"),
          y_title=t("chart_revenue_axis", currency=symbol), y2_title=t("chart_customers_axis"))
    half_month = pd.Timedelta(days=16)  # room for the first and last bars, which plotly's autorange cuts
    fig.update_xaxes(tickformat=t("chart_month_tickformat"), hoverformat=t("chart_month_hoverformat"),
                     dtick="M1" if len(monthly) <= 12 else None,
                     range=[monthly["month"].min() - half_month, monthly["month"].max() + half_month])
    fig.update_yaxes(tickprefix=symbol, tickformat=",~f", rangemode="tozero", secondary_y=False)
    few = monthly["active_customers"].max() <= 10  # whole customers: no 0.5 ticks
    fig.update_yaxes(tickformat=",~f", tickmode="linear" if few else "auto", dtick=1 if few else None,
                     secondary_y=True)
    fig.update_layout(barmode="overlay", height=420)
    return fig
