"""Figure builders of the decision pages (Simulator, Capacity, At-risk customers, Customer profile).

Data in, plotly Figure out, labelled in the page's language (ui.i18n) and styled by ui.theme.
Pages show them with ``st.plotly_chart(fig, theme=None, key=...)``.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .i18n import t
from .theme import COLORS, style

BAND_OPACITY = 0.16


def _band(fig: go.Figure, x, low, high, color: str, name: str) -> None:
    """A shaded band between ``low`` and ``high`` (no hover of its own; the line's hover names it)."""
    fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                             fillcolor=color, opacity=BAND_OPACITY, line=dict(width=0), hoverinfo="skip",
                             name=name, showlegend=True))


def split_tradeoff_figure(frontier: pd.DataFrame, chosen_share: float, best_share: float | None,
                          horizon_months: int, symbol: str) -> go.Figure:
    """This quarter's incremental revenue and the NPV over the horizon for every promotion share of the
    same budget (custlib.simulate.frontier with Monte Carlo columns ``*_p05`` / ``*_p95``), with the
    chosen split and the best split for the chosen weight marked."""
    x = frontier["promo_share"] * 100
    fig = go.Figure()
    lines = (("quarter_incremental_revenue", t("sim_chart_quarter_revenue"), COLORS["secondary"]),
             ("npv", t("sim_chart_npv", months=horizon_months), COLORS["primary"]))
    for column, name, color in lines:
        if f"{column}_p05" in frontier:
            _band(fig, x, frontier[f"{column}_p05"], frontier[f"{column}_p95"], color, t("sim_chart_band", name=name))
        fig.add_trace(go.Scatter(x=x, y=frontier[column], name=name, mode="lines", line=dict(color=color, width=2.5),
                                 hovertemplate=f"{name}: {symbol}%{{y:,.0f}}<extra></extra>"))
    fig.add_vline(x=chosen_share * 100, line=dict(color="#111827", width=1.5, dash="dash"),
                  annotation_text=t("sim_chart_chosen", share=f"{chosen_share:.0%}"), annotation_position="top")
    if best_share is not None:
        fig.add_vline(x=best_share * 100, line=dict(color=COLORS["positive"], width=1.5, dash="dot"),
                      annotation_text=t("sim_chart_best", share=f"{best_share:.0%}"),
                      annotation_position="bottom left" if best_share > 0.5 else "bottom right")
    fig.add_hline(y=0, line=dict(color="#9ca3af", width=1))
    style(fig, title=t("sim_chart_tradeoff_title"), x_title=t("sim_chart_share_axis"),
          y_title=t("sim_chart_amount_axis", currency=symbol))
    fig.update_xaxes(ticksuffix="%", range=[0, 100], hoverformat=".0f")
    fig.update_yaxes(tickprefix=symbol, tickformat=",~s")
    fig.update_layout(height=480, legend=dict(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top"),
                      margin=dict(b=10))
    return fig


def frontier_figure(frontier: pd.DataFrame, horizon_months: int, symbol: str) -> go.Figure:
    """The frontier itself: short-term revenue (x) against long-term NPV (y), one point per promotion
    share; the chosen split is the star."""
    share_text = [f"{share:.0%}" for share in frontier["promo_share"]]
    name = t("sim_chart_frontier_points")
    fig = go.Figure(go.Scatter(
        x=frontier["quarter_incremental_revenue"], y=frontier["npv"], mode="lines+markers", name=name,
        text=share_text, line=dict(color=COLORS["muted"], width=2), marker=dict(size=7, color=COLORS["primary"]),
        hovertemplate=t("sim_chart_frontier_hover", currency=symbol) + "<extra></extra>"))
    chosen = frontier[frontier["is_chosen"]]
    fig.add_trace(go.Scatter(
        x=chosen["quarter_incremental_revenue"], y=chosen["npv"], mode="markers", name=t("sim_chart_chosen_point"),
        text=[f"{share:.0%}" for share in chosen["promo_share"]],
        marker=dict(size=16, symbol="star", color=COLORS["secondary"], line=dict(color="#111827", width=1)),
        hovertemplate=t("sim_chart_frontier_hover", currency=symbol) + "<extra></extra>"))
    style(fig, title=t("sim_chart_frontier_title"), x_title=t("sim_chart_quarter_axis", currency=symbol),
          y_title=t("sim_chart_npv_axis", months=horizon_months, currency=symbol))
    fig.update_xaxes(tickprefix=symbol, tickformat=",~s")
    fig.update_yaxes(tickprefix=symbol, tickformat=",~s")
    fig.update_layout(height=440, hovermode="closest")
    return fig


def holdings_figure(holding: pd.DataFrame, tier_labels: dict[str, str], status_labels: dict[str, str]) -> go.Figure:
    """Customers each account manager holds, by tier, against the tier's quota (one panel per tier,
    bars coloured by over / within / under, the quota as a line)."""
    from plotly.subplots import make_subplots

    tiers = list(dict.fromkeys(holding["tier"]))
    fig = make_subplots(rows=1, cols=len(tiers), shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=[tier_labels.get(tier, tier) for tier in tiers])
    colors = {"over": COLORS["negative"], "within": COLORS["primary"], "under": COLORS["muted"]}
    shown = set()
    for col, tier in enumerate(tiers, start=1):
        part = holding[holding["tier"] == tier]
        for status, color in colors.items():
            rows = part[part["status"] == status]
            if rows.empty:
                continue
            label = status_labels[status]
            fig.add_trace(go.Bar(
                y=rows["account_manager"], x=rows["customers"], orientation="h", marker_color=color, name=label,
                legendgroup=status, showlegend=status not in shown, customdata=rows[["quota"]].to_numpy(),
                hovertemplate=t("cap_chart_hover") + f" ({label})<extra></extra>"), row=1, col=col)
            shown.add(status)
        quota = int(part["quota"].iloc[0]) if len(part) else 0
        fig.add_vline(x=quota, line=dict(color="#111827", width=1.5, dash="dash"), row=1, col=col,
                      annotation_text=t("cap_chart_quota", quota=quota), annotation_position="top right")
    style(fig, title=t("cap_chart_title"), x_title="", y_title="")
    for col in range(1, len(tiers) + 1):
        fig.update_xaxes(title_text=t("cap_chart_x"), row=1, col=col, rangemode="tozero")
    fig.update_yaxes(autorange="reversed", title_text="")
    fig.update_yaxes(title_text=t("cap_chart_y"), row=1, col=1)
    managers = holding["account_manager"].nunique()
    fig.update_layout(barmode="overlay", height=max(360, 150 + 22 * managers), hovermode="closest",
                      legend=dict(orientation="h", x=0, xanchor="left", y=-0.08, yanchor="top"))
    return fig


def evaluation_figure(evaluation: pd.DataFrame, tier_labels: dict[str, str]) -> go.Figure:
    """Churn rate per tier in the window before and after a settings change (grouped bars, 0-100%)."""
    fig = go.Figure()
    for period, color in (("before", COLORS["muted"]), ("after", COLORS["primary"])):
        rows = evaluation[evaluation["period"] == period]
        name = t(f"cap_eval_{period}")
        fig.add_trace(go.Bar(x=[tier_labels.get(tier, tier) for tier in rows["tier"]], y=rows["churn_rate"] * 100,
                             name=name, marker_color=color,
                             hovertemplate=f"{name}: %{{y:.1f}}%<extra></extra>"))
    style(fig, title=t("cap_eval_chart_title"), x_title=t("cap_tier"), y_title=t("cap_eval_chart_y"))
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    fig.update_layout(barmode="group", height=360)
    return fig


def churn_metrics_figure(metrics: pd.DataFrame, model_labels: dict[str, str]) -> go.Figure:
    """ROC-AUC and PR-AUC of each churn model on the validation window (higher is better)."""
    fig = go.Figure()
    for column, color in (("roc_auc", COLORS["primary"]), ("pr_auc", "#0d9488")):
        name = t(f"risk_metric_{column}")
        fig.add_trace(go.Bar(x=[model_labels.get(m, m) for m in metrics.index], y=metrics[column], name=name,
                             marker_color=color, hovertemplate=f"{name}: %{{y:.3f}}<extra></extra>"))
    style(fig, title=t("risk_chart_title"), x_title=t("risk_chart_x"), y_title=t("risk_chart_y"))
    fig.update_yaxes(range=[0, 1])
    fig.update_layout(barmode="group", height=340)
    return fig


def order_timeline_figure(orders: pd.DataFrame, symbol: str) -> go.Figure:
    """One customer's orders (bars above zero) and returns (below zero) over time, in currency."""
    fig = go.Figure()
    purchases = orders[orders["gross_amount"] > 0]
    returns = orders[orders["returns_amount"] > 0]
    purchase_name, return_name = t("profile_chart_orders"), t("profile_chart_returns")
    promo = purchases["is_promo"].fillna(False).astype(bool)
    fig.add_trace(go.Bar(
        x=purchases["order_date"], y=purchases["gross_amount"], name=purchase_name,
        marker_color=[COLORS["secondary"] if p else COLORS["primary"] for p in promo],
        customdata=[[t("profile_chart_promo") if p else ""] for p in promo],
        hovertemplate=f"{purchase_name}: {symbol}%{{y:,.0f}} %{{customdata[0]}}<extra></extra>"))
    if len(returns):
        fig.add_trace(go.Bar(x=returns["order_date"], y=-returns["returns_amount"], name=return_name,
                             marker_color=COLORS["negative"],
                             hovertemplate=f"{return_name}: {symbol}%{{y:,.0f}}<extra></extra>"))
    style(fig, title=t("profile_chart_title"), x_title=t("profile_chart_x"),
          y_title=t("profile_chart_y", currency=symbol))
    fig.update_xaxes(type="date", hoverformat="%Y-%m-%d")
    fig.update_yaxes(tickprefix=symbol, tickformat=",~f")
    fig.update_layout(barmode="relative", height=360, bargap=0.1)
    return fig
