"""Figures of the Retention & lifecycle page: cohort heatmaps, retention curves, stages, stage transitions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .i18n import t
from .theme import COLORS, COLORWAY, style


def cohort_heatmap_figure(matrix: pd.DataFrame, cohort_names: list[str], title: str, grain_name: str,
                          hover_value: str, zmax: float | None = None) -> go.Figure:
    """Cohort x period heatmap of a share (retention or revenue retention); unreached cells stay blank (NaN)."""
    z = matrix.to_numpy(dtype=float)
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.0%}")(np.nan_to_num(z)))
    font = 10 if z.shape[1] <= 16 else 8
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(k) for k in matrix.columns], y=cohort_names, colorscale="Blues", zmin=0, zmax=zmax,
        text=text, texttemplate="%{text}" if z.shape[1] <= 24 else None, textfont=dict(size=font), hoverongaps=False, xgap=1, ygap=1,
        colorbar=dict(tickformat=".0%"),
        hovertemplate=t("ret_heat_hover", period=grain_name, value=hover_value) + "<extra></extra>",
    ))
    style(fig, title=title, x_title=t("ret_periods_since_axis", period=grain_name), y_title=t("ret_cohort_axis"))
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_xaxes(showgrid=False, type="category")
    fig.update_layout(height=max(360, 22 * len(cohort_names) + 140), hovermode="closest")
    return fig


def retention_curves_figure(projection: pd.DataFrame, names: dict, grain_name: str) -> go.Figure:
    """Observed retention per cohort (solid, markers) and the sBG projection (dashed), shares of the cohort."""
    fig = go.Figure()
    for number, (cohort, rows) in enumerate(projection.groupby("cohort", sort=True)):
        color = COLORWAY[number % len(COLORWAY)]
        observed = rows[~rows["is_projected"]]
        fig.add_trace(go.Scatter(
            x=observed["period_number"], y=observed["observed_share"], name=names[cohort], mode="lines+markers",
            line=dict(color=color, width=2), legendgroup=str(cohort),
            hovertemplate=f"{names[cohort]}: %{{y:.1%}}<extra></extra>"))
        projected = rows[rows["fitted_share"].notna() & (rows["period_number"] >= observed["period_number"].max())]
        if len(projected) > 1:
            label = t("ret_projected", cohort=names[cohort])
            fig.add_trace(go.Scatter(
                x=projected["period_number"], y=projected["fitted_share"], name=label, mode="lines",
                line=dict(color=color, width=2, dash="dash"), legendgroup=str(cohort), showlegend=False,
                hovertemplate=f"{label}: %{{y:.1%}}<extra></extra>"))
    style(fig, title=t("ret_curves_title"), x_title=t("ret_periods_since_axis", period=grain_name),
          y_title=t("ret_share_axis"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_layout(height=420)
    return fig


def stage_figure(counts: pd.DataFrame) -> go.Figure:
    """Customers per lifecycle stage (bars), with their share and CLV in hover. ``counts``: index = stage label."""
    fig = go.Figure(go.Bar(
        x=list(counts.index), y=counts["customers"], marker_color=COLORS["secondary"],
        customdata=counts[["share"]].to_numpy(),
        hovertemplate=t("ret_stage_hover") + "<extra></extra>"))
    style(fig, title=t("ret_stages_title"), x_title=t("seg_grouping_stage"), y_title=t("ret_customers_axis"))
    fig.update_layout(height=400, hovermode="closest")
    return fig


def sankey_figure(counts: pd.DataFrame, names: dict, start: str, end: str) -> go.Figure:
    """Customers moving between stages from ``start`` (left) to ``end`` (right); counts from migration_matrix."""
    sources, targets = list(counts.index), list(counts.columns)
    left = [s for s in sources if counts.loc[s].sum() > 0]
    right = [d for d in targets if counts[d].sum() > 0]
    labels = [f"{names.get(s, s)} ({start})" for s in left] + [f"{names.get(d, d)} ({end})" for d in right]
    link_source, link_target, value = [], [], []
    for i, s in enumerate(left):
        for j, d in enumerate(right):
            if counts.loc[s, d] > 0:
                link_source.append(i)
                link_target.append(len(left) + j)
                value.append(int(counts.loc[s, d]))
    colors = [COLORWAY[i % len(COLORWAY)] for i in range(len(left))] + \
             [COLORWAY[i % len(COLORWAY)] for i in range(len(right))]
    fig = go.Figure(go.Sankey(
        node=dict(label=labels, color=colors, pad=14, thickness=16,
                  hovertemplate="%{label}: %{value:,}<extra></extra>"),
        link=dict(source=link_source, target=link_target, value=value, color="rgba(148,163,184,0.35)",
                  hovertemplate=t("ret_sankey_hover") + "<extra></extra>"),
    ))
    style(fig, title=t("ret_sankey_title", start=start, end=end), x_title="", y_title="")
    fig.update_layout(height=480, hovermode="closest")
    return fig
