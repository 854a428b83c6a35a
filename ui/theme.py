"""The one plotly look of the studio: fonts (with Chinese fallbacks), colours, titles, axes, hover.

Every figure builder ends with ``style(fig, title=..., x_title=..., y_title=...)``, and pages show
figures with ``st.plotly_chart(fig, theme=None, key=...)`` so Streamlit keeps this template.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT = ("Source Sans Pro, Inter, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', "
        "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif")
# Colour roles, so a colour means the same thing on every page.
COLORS = {
    "primary": "#2563eb",     # money: revenue, value
    "secondary": "#f59e0b",   # people: customers
    "muted": "#94a3b8",       # partial or less certain figures
    "negative": "#dc2626",    # returns, churn, losses
    "positive": "#16a34a",
}
COLORWAY = [COLORS["primary"], COLORS["secondary"], "#0d9488", "#7c3aed", COLORS["negative"], "#64748b"]

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#1f2937"),
        title=dict(font=dict(size=17), x=0, xanchor="left", y=0.97, yanchor="top"),
        colorway=COLORWAY,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=10, r=10, t=70, b=10),
        hovermode="x unified",
        hoverlabel=dict(font=dict(family=FONT, size=13), bgcolor="white"),
        legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"),
        xaxis=dict(showgrid=False, linecolor="#cbd5e1", ticks="outside", tickcolor="#cbd5e1",
                   title=dict(standoff=8), automargin=True),
        yaxis=dict(gridcolor="#e5e7eb", zeroline=False, title=dict(standoff=8), automargin=True),
        separators=".,",
    )
)
pio.templates["customer_value_studio"] = TEMPLATE


def style(fig: go.Figure, *, title: str, x_title: str, y_title: str, y2_title: str | None = None) -> go.Figure:
    """Apply the studio template and the figure's title and axis titles (with units, e.g. "Revenue (¥)")."""
    fig.update_layout(template="customer_value_studio", title_text=title)
    fig.update_xaxes(title_text=x_title)
    if y2_title is None:
        fig.update_yaxes(title_text=y_title)
    else:  # a figure from make_subplots(specs=[[{"secondary_y": True}]])
        fig.update_yaxes(title_text=y_title, secondary_y=False)
        fig.update_yaxes(title_text=y2_title, secondary_y=True, showgrid=False, rangemode="tozero")
    return fig
