"""Customer profile: one customer's orders, interactions, scores, stage history, reasons and next action."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from custlib.errors import CustlibError
from ui import auth, data, decisions, labels, view
from ui import decision_charts as charts
from ui import format as fmt
from ui.i18n import error_text, t
from ui.entry import through_app

through_app(__file__)
auth.require("can_see_customer_rows")  # one customer's data

MAX_MATCHES = 200


def matches(directory: pd.DataFrame, text: str, by_name: bool) -> pd.DataFrame:
    """Customers whose id (or, ``by_name``, name) contains ``text`` (case-insensitive), most valuable first.

    Roles that see names masked search by id only, so a real name cannot be found by trying spellings.
    """
    if not text.strip():
        return directory
    needle = text.strip().casefold()
    hit = directory.index.str.casefold().str.contains(needle, regex=False)
    if by_name:
        hit |= directory["name"].fillna("").str.casefold().str.contains(needle, regex=False)
    return directory[hit]


def header(customer_id: str, row: pd.Series, feature: pd.Series) -> None:
    name = row.get("name")
    st.subheader(fmt.plain(f"{name} · {customer_id}" if isinstance(name, str) and name else customer_id))
    facts = [(t("profile_region"), feature.get("region")), (t("profile_industry"), feature.get("industry")),
             (t("profile_company_size"), feature.get("company_size")),
             (t("profile_manager"), feature.get("account_manager")),
             (t("profile_first_order"), fmt.day(feature.get("first_order_date"))),
             (t("profile_last_order"), fmt.day(feature.get("last_order_date"))),
             (t("profile_orders"), fmt.number(feature.get("orders_count"))),
             (t("profile_net_spend"), fmt.money(feature.get("net_spend_amount")))]
    st.markdown(" · ".join(f"**{label}:** {value if isinstance(value, str) and value else '–'}"
                           for label, value in facts))


def scores(row: pd.Series, churn_row: pd.Series | None, horizon: int, churn_horizon: int | None) -> None:
    cards = st.columns(6)
    cards[0].metric(t("profile_segment"), labels.segment(row["segment"]), border=True)
    cards[1].metric(t("profile_tier"), labels.tier(row["tier"]) if pd.notna(row["tier"]) else "–", border=True)
    cards[2].metric(t("profile_stage"), labels.stage(row["stage"]), border=True)
    cards[3].metric(t("profile_p_alive"), fmt.percent(row["probability_alive"], 0), border=True,
                    help=t("profile_p_alive_help"))
    cards[4].metric(t("profile_clv"), fmt.money(row["clv"]), border=True, help=t("profile_clv_help", months=horizon))
    if churn_row is None:
        cards[5].metric(t("profile_churn"), "–", border=True, help=t("profile_churn_inactive"))
    else:
        cards[5].metric(t("profile_churn"), fmt.percent(churn_row["churn_probability"], 0), border=True,
                        help=t("profile_churn_help", days=churn_horizon))


def next_step(churn_row: pd.Series | None) -> None:
    if churn_row is None:
        st.info(t("profile_not_scored"), icon=":material/info:")
        return
    reasons = [text for k in (1, 2, 3) if (text := decisions.reason_text(churn_row, k))]
    action = t(f"risk_action_{churn_row['action']}")
    text = t("profile_action", action=action, value=fmt.money(churn_row["value_at_risk"]))
    if reasons:
        text += "  \n" + t("profile_reasons") + " " + t("list_separator").join(reasons)
    else:
        text += "  \n" + t("profile_no_reasons")
    st.info(text, icon=":material/assignment_turned_in:")


def interactions_section(frame: pd.DataFrame) -> None:
    if frame.empty:
        st.caption(t("profile_no_interactions"))
        return
    surveys = frame.dropna(subset=["nps_score"])
    cards = st.columns(3)
    cards[0].metric(t("profile_interactions"), fmt.number(len(frame)), border=True)
    cards[1].metric(t("profile_last_nps"), fmt.number(surveys["nps_score"].iloc[-1]) if len(surveys) else "–",
                    border=True, help=t("profile_last_nps_help"))
    cards[2].metric(t("profile_complaints"), fmt.number((frame["kind"] == "complaint").sum()), border=True)
    shown = pd.DataFrame({
        t("profile_col_at"): frame["interaction_at"],
        t("profile_col_kind"): frame["kind"].map(lambda k: t(f"profile_kind_{k}") if k in KINDS else k),
        t("profile_col_nps"): frame["nps_score"], t("profile_col_satisfaction"): frame["satisfaction"],
        t("profile_col_note"): frame["note"].fillna("")}).iloc[::-1]
    st.dataframe(shown, hide_index=True, key="profile_interactions_table")


def stage_section(history: pd.DataFrame) -> None:
    if history.empty:
        st.caption(t("profile_no_history"))
        return
    shown = pd.DataFrame({
        t("profile_col_as_of"): history["as_of"].map(fmt.day), t("profile_stage"): history["stage"].map(labels.stage),
        t("profile_segment"): history["segment"].map(labels.segment),
        t("profile_tier"): history["tier"].map(lambda x: labels.tier(x) if pd.notna(x) else "–"),
        t("profile_p_alive"): history["probability_alive"], t("profile_clv_short", currency=fmt.currency()):
        history["clv"]})
    st.dataframe(shown, hide_index=True, key="profile_stage_table", column_config={
        t("profile_p_alive"): st.column_config.NumberColumn(format="percent"),
        t("profile_clv_short", currency=fmt.currency()): st.column_config.NumberColumn(
            format=f"{fmt.currency()}%,.0f")})


KINDS = ("call", "visit", "email", "ticket", "complaint", "survey")

current = view.start("profile_title", "profile_intro")
key, as_of, settings = current.key, current.as_of, current.settings
try:
    table = data.customer_table(key, as_of, settings)
except CustlibError as exc:
    st.error(t("profile_model_failed", error=error_text(exc)), icon=":material/error:")
    st.stop()
names = data.contacts(key, tuple(table.index))
directory = table[["clv"]].assign(name=names["name"].reindex(table.index) if "name" in names else None)
directory = directory.sort_values("clv", ascending=False)

left, right = st.columns([1, 2])
by_name = auth.allows("can_see_contacts_unmasked")
search = left.text_input(t("profile_search" if by_name else "profile_search_by_id"), key="profile_search",
                         placeholder=t("profile_search_placeholder" if by_name else "profile_search_by_id_placeholder"))
found = matches(directory, search, by_name)
if found.empty:
    st.warning(t("profile_no_match" if by_name else "profile_no_match_by_id", text=search),
               icon=":material/search_off:")
    st.stop()
options = list(found.index[:MAX_MATCHES])
option_names = {c: f"{c} · {n}" if isinstance(n, str) and n else c for c, n in
                zip(options, found["name"].reindex(options))}
customer_id = right.selectbox(t("profile_customer", shown=fmt.number(len(options)), found=fmt.number(len(found))),
                              options, key="profile_customer", format_func=option_names.__getitem__)

auth.log_once("view_profile", (key, customer_id), dataset=current.dataset, detail={"customer_id": customer_id})
row = table.loc[customer_id]
feature = decisions.customer_features(key, as_of).loc[customer_id]
try:
    churn_table, report = decisions.churn_scores(key, as_of, settings)
    churn_rows = churn_table.set_index("customer_id")
    churn_row = churn_rows.loc[customer_id] if customer_id in churn_rows.index else None
    churn_horizon = report.horizon_days
except CustlibError:
    churn_row, churn_horizon = None, None
header(customer_id, directory.loc[customer_id], feature)
auth.masked_note()
scores(row, churn_row, settings.horizon_months, churn_horizon)
next_step(churn_row)

orders = decisions.customer_orders(key, as_of)
mine = orders.loc[[customer_id]] if customer_id in orders.index else orders.iloc[0:0]
st.plotly_chart(charts.order_timeline_figure(mine, fmt.currency()), theme=None, key="profile_orders_chart")

left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{t('profile_interactions_heading')}**")
    interactions_section(decisions.customer_interactions(key, customer_id, as_of))
with right:
    st.markdown(f"**{t('profile_stage_heading')}**")
    # One model fit per earlier date: computed when asked for (then cached for every customer).
    if st.toggle(t("profile_stage_show"), key="profile_stage_show", help=t("profile_stage_show_help")):
        stage_section(decisions.stage_history(key, as_of, settings, customer_id))
    st.caption(t("profile_stage_caption"))
