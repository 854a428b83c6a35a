"""Figures of the Customer value page: CLV distribution, P(alive) by frequency and recency, model calibration."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .i18n import t
from .theme import COLORS, COLORWAY, style

MAX_FREQUENCY = 15     # repeat purchase days shown one by one; more are pooled as "15+"
RECENCY_BINS = 12


def clv_histogram_figure(clv: pd.Series, symbol: str, horizon: int, log_scale: bool) -> go.Figure:
    """Customers by predicted CLV; with ``log_scale`` the bins are equal on a log10 axis (CLV > 0 only)."""
    values = clv.to_numpy(dtype=float)
    if log_scale:
        positive = values[values > 0]
        edges = np.logspace(np.log10(max(positive.min(), 1e-2)), np.log10(positive.max()), 41) if len(positive) \
            else np.array([1.0, 10.0])
        counts, edges = np.histogram(positive, bins=edges)
    else:
        counts, edges = np.histogram(values, bins=40)
    middle = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(
        x=middle, y=counts, width=np.diff(edges), marker_color=COLORS["primary"],
        customdata=np.column_stack([edges[:-1], edges[1:]]),
        hovertemplate=t("val_hist_hover", currency=symbol) + "<extra></extra>"))
    style(fig, title=t("val_hist_title", horizon=horizon), x_title=t("val_clv_axis", currency=symbol, horizon=horizon),
          y_title=t("ret_customers_axis"))
    fig.update_xaxes(type="log" if log_scale else "linear", tickprefix=symbol)
    fig.update_layout(height=400, bargap=0.02, hovermode="closest")
    return fig


def p_alive_heatmap_figure(customers: pd.DataFrame, unit_name: str) -> go.Figure:
    """Mean probability alive by frequency (repeat purchase days, x) and recency (age at last purchase, y)."""
    frequency = customers["frequency"].clip(upper=MAX_FREQUENCY).astype(int)
    edges = np.linspace(0, max(float(customers["recency"].max()), 1.0), RECENCY_BINS + 1)
    recency_bin = np.clip(np.digitize(customers["recency"], edges[1:-1]), 0, RECENCY_BINS - 1)
    frame = pd.DataFrame({"f": frequency.to_numpy(), "r": recency_bin, "p": customers["probability_alive"]})
    grid = frame.groupby(["r", "f"])["p"].agg(["mean", "size"])
    columns = list(range(MAX_FREQUENCY + 1))
    mean = grid["mean"].unstack().reindex(index=range(RECENCY_BINS), columns=columns)
    count = grid["size"].unstack().reindex(index=range(RECENCY_BINS), columns=columns).fillna(0)
    rows = [f"{edges[i]:.0f}–{edges[i + 1]:.0f}" for i in range(RECENCY_BINS)]
    xs = [str(c) if c < MAX_FREQUENCY else f"{MAX_FREQUENCY}+" for c in columns]
    fig = go.Figure(go.Heatmap(
        z=mean.to_numpy(), x=xs, y=rows, customdata=count.to_numpy(), zmin=0, zmax=1, colorscale="RdYlGn",
        colorbar=dict(tickformat=".0%"), hoverongaps=False, xgap=1, ygap=1,
        hovertemplate=t("val_alive_hover", unit=unit_name) + "<extra></extra>"))
    style(fig, title=t("val_alive_title"), x_title=t("val_frequency_axis"),
          y_title=t("val_recency_axis", unit=unit_name))
    fig.update_xaxes(type="category", showgrid=False)
    fig.update_yaxes(type="category", showgrid=False)
    fig.update_layout(height=440, hovermode="closest")
    return fig


def calibration_figure(by_frequency: pd.DataFrame, holdout_days: int, chosen: str | None) -> go.Figure:
    """Mean repeat purchases in the holdout by calibration purchases 0..7+: actual (bars) and each model (lines)."""
    fig = go.Figure(go.Bar(
        x=list(by_frequency.index), y=by_frequency["actual"], name=t("val_actual"), marker_color=COLORS["muted"],
        customdata=by_frequency[["n_customers"]].to_numpy(),
        hovertemplate=t("val_calib_hover_actual") + "<extra></extra>"))
    models = [c for c in by_frequency.columns if c not in ("n_customers", "actual")]
    for number, model in enumerate(models):
        name = model + (" ✓" if model == chosen else "")
        fig.add_trace(go.Scatter(
            x=list(by_frequency.index), y=by_frequency[model], name=name, mode="lines+markers",
            line=dict(color=COLORWAY[number % len(COLORWAY)], width=2.5 if model == chosen else 1.5),
            hovertemplate=f"{name}: %{{y:.2f}}<extra></extra>"))
    style(fig, title=t("val_calib_title", days=holdout_days), x_title=t("val_calib_x"), y_title=t("val_calib_y"))
    fig.update_xaxes(type="category")
    fig.update_layout(height=420)
    return fig
