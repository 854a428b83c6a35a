"""Figures of the Segments page: group sizes and revenue shares (treemap), recency x frequency (heatmap)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .i18n import t
from .theme import style


def treemap_figure(profiles: pd.DataFrame, symbol: str) -> go.Figure:
    """One box per group: area = customers, colour = share of the last 12 months' revenue.

    ``profiles``: the Segments page's profile table (index: group label; columns customers,
    customer_share, revenue_amount, revenue_share).
    """
    shown = profiles[profiles["customers"] > 0]
    fig = go.Figure(go.Treemap(
        labels=list(shown.index), parents=[""] * len(shown), values=shown["customers"],
        marker=dict(colors=shown["revenue_share"], colorscale="Blues", cmin=0,
                    colorbar=dict(title=dict(text=t("seg_revenue_share_axis")), tickformat=".0%")),
        customdata=shown[["customer_share", "revenue_amount", "revenue_share"]].to_numpy(),
        texttemplate="<b>%{label}</b><br>%{customdata[0]:.1%} " + t("seg_of_customers")
                     + "<br>%{customdata[2]:.1%} " + t("seg_of_revenue"),
        hovertemplate=("<b>%{label}</b><br>" + t("seg_hover_customers") + "<br>"
                       + t("seg_hover_revenue", currency=symbol) + "<extra></extra>"),
        tiling=dict(pad=2), root=dict(color="white"),
    ))
    style(fig, title=t("seg_treemap_title"), x_title="", y_title="")
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=60, b=10), hovermode="closest")
    return fig


def rfm_heatmap_figure(customers: pd.DataFrame, symbol: str) -> go.Figure:
    """Mean net spend to date per (R score, F score) cell, 5 x 5, with the number of customers in hover."""
    grid = customers.groupby(["f_score", "r_score"], observed=True)["monetary"].agg(["mean", "size"])
    scores = list(range(1, 6))
    mean = grid["mean"].unstack().reindex(index=scores, columns=scores)
    count = grid["size"].unstack().reindex(index=scores, columns=scores).fillna(0)
    fig = go.Figure(go.Heatmap(
        x=scores, y=scores, z=mean.to_numpy(), customdata=count.to_numpy(), colorscale="Blues",
        colorbar=dict(title=dict(text=t("seg_avg_spend_axis", currency=symbol))),
        hovertemplate=(t("seg_heat_hover_r") + "<br>" + t("seg_heat_hover_f") + "<br>"
                       + t("seg_heat_hover_spend", currency=symbol) + "<br>" + t("seg_heat_hover_count")
                       + "<extra></extra>"),
        xgap=2, ygap=2,
    ))
    text = np.where(count.to_numpy() > 0, [[f"{symbol}{v:,.0f}" if v == v else "" for v in row]
                                           for row in mean.to_numpy()], "")
    fig.update_traces(text=text, texttemplate="%{text}", textfont=dict(size=11))
    style(fig, title=t("seg_heatmap_title"), x_title=t("seg_r_axis"), y_title=t("seg_f_axis"))
    fig.update_xaxes(dtick=1, showgrid=False)
    fig.update_yaxes(dtick=1, showgrid=False)
    fig.update_layout(height=440, hovermode="closest")
    return fig
