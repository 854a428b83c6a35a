"""Segments (marketing leads): who the customers are in groups, what each group is worth, and who is in one."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from custlib import segments
from ui import auth, data, labels, view
from ui import format as fmt
from ui import segment_charts as charts
from ui.i18n import option_labels, t
from ui.entry import through_app

through_app(__file__)

GROUPINGS = ["segment", "tier", "stage", "cluster"]
CLUSTER_CHOICES = ["auto", 3, 4, 5, 6]
SHOWN_MEMBERS = 1_000  # rows drawn on the page; the download has every member
MEMBER_COLUMNS = ["segment", "tier", "stage", "r_score", "f_score", "m_score", "days_since_last_order", "frequency",
                  "monetary", "trailing_revenue_amount", "clv", "probability_alive"]


def group_labels(customers: pd.DataFrame, grouping: str, key, as_of) -> tuple[pd.Series, list[str]]:
    """The group of each customer (a label in the page's language) and the groups in display order."""
    if grouping == "cluster":
        choice = st.session_state.get("segments_clusters", "auto")
        with st.spinner(t("spinner_working")):
            clusters, words = data.clusters(key, as_of, None if choice == "auto" else int(choice))
        names = {number: labels.cluster(number, text) for number, text in words.items()}
        return clusters.reindex(customers.index).map(names), list(names.values())
    order = {"segment": segments.SEGMENTS, "tier": segments.TIERS, "stage": segments.STAGES}[grouping]
    names = {name: labels.group(grouping, name) for name in order}
    return customers[grouping].astype(object).map(names), list(names.values())


def profile_table(customers: pd.DataFrame, groups: pd.Series, order: list[str]) -> pd.DataFrame:
    """Averages per group: customers, share, recency, frequency, spend, revenue (12 months), CLV, P(alive)."""
    frame = customers.assign(group=groups.to_numpy())
    table = frame.groupby("group", sort=False).agg(
        customers=("clv", "size"), days_since_last_order=("days_since_last_order", "mean"),
        frequency=("frequency", "mean"), monetary=("monetary", "mean"),
        revenue_amount=("trailing_revenue_amount", "sum"), clv=("clv", "mean"),
        probability_alive=("probability_alive", "mean"))
    table = table.reindex([g for g in order if g in table.index])
    table.insert(1, "customer_share", table["customers"] / max(len(customers), 1))
    revenue = table["revenue_amount"].clip(lower=0)
    table["revenue_share"] = revenue / revenue.sum() if revenue.sum() > 0 else 0.0
    return table


def show_profiles(table: pd.DataFrame, symbol: str) -> None:
    shown = pd.DataFrame({
        t("seg_col_group"): table.index,
        t("seg_col_customers"): table["customers"].to_numpy(),
        t("seg_col_share"): table["customer_share"].to_numpy() * 100,
        t("seg_col_recency"): table["days_since_last_order"].to_numpy(),
        t("seg_col_frequency"): table["frequency"].to_numpy(),
        t("seg_col_spend", currency=symbol): table["monetary"].to_numpy(),
        t("seg_col_revenue_share"): table["revenue_share"].to_numpy() * 100,
        t("seg_col_clv", currency=symbol): table["clv"].to_numpy(),
        t("seg_col_p_alive"): table["probability_alive"].to_numpy() * 100,
    })
    config = {t("seg_col_share"): st.column_config.NumberColumn(format="%.1f%%"),
              t("seg_col_revenue_share"): st.column_config.NumberColumn(format="%.1f%%"),
              t("seg_col_p_alive"): st.column_config.NumberColumn(format="%.0f%%"),
              t("seg_col_recency"): st.column_config.NumberColumn(format="%.0f"),
              t("seg_col_frequency"): st.column_config.NumberColumn(format="%.1f"),
              t("seg_col_spend", currency=symbol): st.column_config.NumberColumn(format="%,.0f"),
              t("seg_col_clv", currency=symbol): st.column_config.NumberColumn(format="%,.0f")}
    st.dataframe(shown, hide_index=True, column_config=config, key="segments_profiles")
    st.caption(t("seg_profiles_note"))


def members(customers: pd.DataFrame, groups: pd.Series, chosen: str, key) -> pd.DataFrame:
    """The customers of one group: ids, scores, labels and value, with name and email when the data have them."""
    in_group = customers[groups.to_numpy() == chosen]
    table = in_group[MEMBER_COLUMNS].copy()
    for column, translate in (("segment", labels.segment), ("tier", labels.tier), ("stage", labels.stage)):
        table[column] = table[column].astype(object).map(lambda v, f=translate: f(v) if pd.notna(v) else None)
    table = table.sort_values("clv", ascending=False)
    contacts = data.contacts(key, tuple(table.index))
    table = contacts.join(table, how="right") if len(contacts.columns) else table
    table.index.name = "customer_id"
    return table.reset_index()


def member_headers(symbol: str) -> dict[str, str]:
    return {"customer_id": t("seg_col_customer_id"), "name": t("field_name"), "email": t("field_email"),
            "segment": t("seg_grouping_segment"), "tier": t("seg_grouping_tier"), "stage": t("seg_grouping_stage"),
            "r_score": "R", "f_score": "F", "m_score": "M", "days_since_last_order": t("seg_col_recency"),
            "frequency": t("seg_col_frequency"), "monetary": t("seg_col_spend_total", currency=symbol),
            "trailing_revenue_amount": t("seg_col_revenue_12m", currency=symbol),
            "clv": t("seg_col_clv", currency=symbol), "probability_alive": t("seg_col_p_alive_fraction")}


current = view.start("seg_title", "seg_intro")
symbol = fmt.currency()
with st.spinner(t("spinner_value_model")):
    customers = data.customers_in_view(current.key, current.as_of, current.settings, current.customer_filter)
if customers.empty:
    st.info(t("overview_no_customers"), icon=":material/info:")
    st.stop()
available = [g for g in GROUPINGS if g != "tier" or customers["tier"].notna().any()]
left, right = st.columns([3, 1])
grouping = left.segmented_control(t("seg_grouping_label"), available, key="segments_grouping", default="segment",
                                  format_func=option_labels("seg_grouping_", available)) or "segment"
if grouping == "cluster":
    right.selectbox(t("seg_clusters_label"), CLUSTER_CHOICES, key="segments_clusters",
                    format_func={k: t("seg_clusters_auto") if k == "auto" else str(k) for k in CLUSTER_CHOICES}.__getitem__,
                    help=t("seg_clusters_help"))
st.caption(t(f"seg_about_{grouping}"))

groups, order = group_labels(customers, grouping, current.key, current.as_of)
profiles = profile_table(customers, groups, order)
left, right = st.columns(2)
left.plotly_chart(charts.treemap_figure(profiles, symbol), theme=None, key="segments_treemap")
right.plotly_chart(charts.rfm_heatmap_figure(customers, symbol), theme=None, key="segments_heatmap")

st.subheader(t("seg_profiles_heading"))
show_profiles(profiles, symbol)

st.subheader(t("seg_members_heading"))
if not auth.allows("can_see_customer_rows"):
    auth.rows_hidden_note()
    st.stop()
seen = set(groups.dropna().unique())
present = [g for g in order if g in seen]
chosen = st.selectbox(t("seg_members_label"), present, key="segments_member_group")
table = members(customers, groups, chosen, current.key)
headers = member_headers(symbol)
st.caption(t("seg_members_count", customers=fmt.number(len(table)), group=chosen)
           + (" " + t("seg_members_shown", shown=fmt.number(SHOWN_MEMBERS)) if len(table) > SHOWN_MEMBERS else ""))
st.dataframe(table.head(SHOWN_MEMBERS).rename(columns=headers), hide_index=True, key="segments_members",
             column_config={headers["probability_alive"]: st.column_config.NumberColumn(format="%.2f"),
                            headers["clv"]: st.column_config.NumberColumn(format="%.0f"),
                            headers["monetary"]: st.column_config.NumberColumn(format="%.0f")})
auth.masked_note()
# The list as shown (contact details masked alike); the file is made when clicked, and the export audited.
auth.download_csv(t("seg_download"), table.rename(columns=headers), customer_list=True,
                  file_name=f"{current.dataset.name}_{chosen}_{current.as_of.isoformat()}.csv",
                  export_name="segment members", dataset=current.dataset, key="segments_download",
                  help=t("seg_download_help"))
