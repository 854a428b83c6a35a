"""Overview (management): how the business is doing, what the customers are worth, where value is at risk.

No personal data: only totals, shares and groups.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from custlib import findings, segments
from custlib.errors import CustlibError
from ui import auth, charts, data, labels, view
from ui import format as fmt
from ui.i18n import error_text, option_labels, t
from ui.entry import through_app

through_app(__file__)

GRAINS = ["month", "quarter", "year"]


def load_demo() -> None:
    try:
        from custlib import demo  # imported here: the app works without the demo module
    except ImportError:
        st.error(t("overview_demo_unavailable"), icon=":material/error:")
        return
    with st.status(t("overview_demo_loading")) as status:
        try:
            demo.load_demo(data.get_conn(), "demo", n_customers=20_000, seed=7, actor=auth.actor())
        except CustlibError as exc:
            status.update(label=t("overview_demo_failed"), state="error")
            st.error(error_text(exc), icon=":material/error:")
            return
    st.rerun()


def empty_state() -> None:
    st.info(t("overview_empty"), icon=":material/info:")
    if not auth.allows("can_import_and_delete"):  # loading data is an import
        view.data_page_link()  # says whom to ask
        return
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('overview_demo_heading')}**")
        st.caption(t("overview_demo_help"))
        if st.button(t("overview_load_demo"), key="overview_load_demo", type="primary"):
            load_demo()
    with right:
        st.markdown(f"**{t('overview_upload_heading')}**")
        st.caption(t("overview_upload_help"))
        st.page_link("pages/data.py", label=t("overview_go_to_data"), icon=":material/upload:")


def card(slot, label: str, value: str, delta: str | None = None, higher_is_better: bool = True,
         unchanged: bool = False) -> None:
    slot.metric(t(label), value, delta, border=True, help=t(f"{label}_help"),
                delta_color="off" if unchanged else "normal" if higher_is_better else "inverse",
                delta_arrow="off" if unchanged else "auto")


def activity_cards(current: dict, previous: dict | None, nps_now: dict, nps_before: dict) -> None:
    cards = [  # (label key, column, formatter, higher is better)
        ("metric_revenue", "revenue_amount", fmt.money_compact, True),
        ("metric_orders", "orders", fmt.number, True),
        ("metric_active_customers", "active_customers", fmt.number, True),
        ("metric_new_customers", "new_customers", fmt.number, True),
        ("metric_returns", "returns_amount", fmt.money_compact, False),
    ]
    for slot, (label, column, formatter, better) in zip(st.columns(len(cards)), cards):
        before = previous[column] if previous is not None else None
        card(slot, label, formatter(current[column]), fmt.change(current[column], before), better,
             unchanged=before is not None and before == current[column])


def rate_and_value_cards(current: dict, previous: dict | None, nps_now: dict, nps_before: dict,
                         customers: pd.DataFrame, has_model: bool) -> None:
    slots = st.columns(4)
    rate, rate_before = current["retention_rate"], previous["retention_rate"] if previous else None
    card(slots[0], "metric_retention", fmt.percent(rate), fmt.points(rate, rate_before, scale=100))
    nps, nps_prev = nps_now.get("nps"), nps_before.get("nps")
    card(slots[1], "metric_nps", fmt.number(nps, 0), fmt.points(nps, nps_prev))
    equity = customers["clv"].sum() if has_model else None
    card(slots[2], "metric_equity", fmt.money_compact(equity))
    at_risk = customers["revenue_at_risk_amount"].sum() if has_model else None
    card(slots[3], "metric_at_risk", fmt.money_compact(at_risk), higher_is_better=False)


def findings_box(found: list[findings.Finding]) -> None:
    with st.container(border=True):
        st.markdown(f"**{t('overview_findings_heading')}**")
        st.markdown("\n".join(f"- {labels.finding_text(item)}" for item in found))


st.title(t("overview_title"))
current_view = view.current()
dataset = data.active_dataset()
if dataset is None:
    empty_state()
    st.stop()
if current_view is None:
    st.info(t("overview_no_transactions", dataset=dataset.name), icon=":material/info:")
    view.data_page_link()
    st.stop()

key, as_of, chosen = current_view.key, current_view.as_of, current_view.customer_filter
grain = st.segmented_control(t("overview_grain_label"), GRAINS, format_func=option_labels("grain_", GRAINS),
                             key="overview_grain", default="month") or "month"
activity = data.period_activity(key, as_of, grain, chosen)
current, previous = data.headline_periods(activity)
view.show_scope(current_view, view.selected_count(current_view))
if current is None:
    st.info(t("overview_no_customers"), icon=":material/info:")
    st.stop()

period_name = labels.period(current["period_start"], grain)
previous_name = labels.period(previous["period_start"], grain) if previous else None
st.caption(t("overview_period_vs", period=period_name, previous=previous_name) if previous
           else t("overview_period_only", period=period_name))
if not current["is_complete"]:
    st.warning(t("overview_partial_only"), icon=":material/schedule:")

nps_now = data.nps_between(key, current["period_start"].date(), current["period_end"].date(), as_of, chosen)
nps_before = (data.nps_between(key, previous["period_start"].date(), previous["period_end"].date(), as_of, chosen)
              if previous else {})
with st.spinner(t("spinner_value_model")):
    customers = data.customers_in_view(key, as_of, current_view.settings, chosen)
    snapshot = data.value_or_none(key, as_of, current_view.settings)
has_model = snapshot is not None and len(customers) > 0

activity_cards(current, previous, nps_now, nps_before)
rate_and_value_cards(current, previous, nps_now, nps_before, customers, has_model)
st.caption(t("overview_value_note", as_of=fmt.day(as_of), model=view.model_text(current_view.settings, snapshot))
           if has_model else t("value_unavailable", as_of=fmt.day(as_of)))

tiers = seg_table = None
if has_model:
    tiers = findings.value_by_group(customers["tier"], customers["clv"], customers["revenue_at_risk_amount"],
                                    order=segments.TIERS)
    seg_table = findings.value_by_group(customers["segment"], customers["clv"], customers["revenue_at_risk_amount"])
found = findings.overview_findings({**current, "nps": nps_now.get("nps")},
                                   {**previous, "nps": nps_before.get("nps")} if previous else None,
                                   tiers, seg_table, period=period_name, previous=previous_name or "",
                                   horizon_months=current_view.settings.horizon_months)
findings_box(found)

monthly = data.period_activity(key, as_of, "month", chosen)
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.monthly_revenue_figure(monthly, fmt.currency()), theme=None,
                    key="overview_monthly_chart")
with right:
    st.plotly_chart(charts.rates_figure(monthly, t("chart_rates_title"),
                                        data.nps_trend(key, as_of, "month", chosen)),
                    theme=None, key="overview_rates_chart")
if has_model:
    st.plotly_chart(charts.tier_value_figure(tiers, labels.tiers(), fmt.currency(),
                                             current_view.settings.horizon_months),
                    theme=None, key="overview_tiers_chart")
