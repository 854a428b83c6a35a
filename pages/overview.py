"""Overview (management): how the business is doing this month, or how to get data in."""
from __future__ import annotations

import streamlit as st

from custlib.errors import CustlibError
from ui import charts, data
from ui import format as fmt
from ui.i18n import t


def load_demo() -> None:
    try:
        from custlib import demo  # imported here: the app works without the demo module
    except ImportError:
        st.error(t("overview_demo_unavailable"), icon=":material/error:")
        return
    with st.status(t("overview_demo_loading")) as status:
        try:
            demo.load_demo(data.get_conn(), "demo", n_customers=20_000, seed=7)
        except CustlibError as exc:
            status.update(label=t("overview_demo_failed"), state="error")
            st.error(str(exc), icon=":material/error:")
            return
    st.rerun()


def empty_state() -> None:
    st.info(t("overview_empty"), icon=":material/info:")
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


def headline(current, previous) -> None:
    cards = [  # (label key, column, formatter, higher is better)
        ("metric_revenue", "revenue", fmt.money_compact, True),
        ("metric_orders", "orders", fmt.number, True),
        ("metric_active_customers", "active_customers", fmt.number, True),
        ("metric_new_customers", "new_customers", fmt.number, True),
        ("metric_returns", "returns_amount", fmt.money_compact, False),
    ]
    for column_slot, (label, column, formatter, higher_is_better) in zip(st.columns(len(cards)), cards):
        delta = fmt.change(current[column], previous[column]) if previous is not None else None
        unchanged = delta is not None and previous[column] == current[column]
        column_slot.metric(t(label), formatter(current[column]), delta, border=True, help=t(f"{label}_help"),
                           delta_color="off" if unchanged else "normal" if higher_is_better else "inverse",
                           delta_arrow="off" if unchanged else "auto")


st.title(t("overview_title"))
dataset = data.active_dataset()
monthly = data.monthly_overview(dataset) if dataset is not None else None
if dataset is None:
    empty_state()
elif monthly.empty:
    st.info(t("overview_no_transactions", dataset=dataset.name), icon=":material/info:")
    st.page_link("pages/data.py", label=t("overview_go_to_data"), icon=":material/upload:")
else:
    current, previous = data.headline_months(monthly)
    summary = data.dataset_summary(dataset)
    if previous is None:
        period = t("overview_period_only", month=fmt.month(current["month"]))
    else:
        period = t("overview_period_vs", month=fmt.month(current["month"]), previous=fmt.month(previous["month"]))
    st.caption(t("overview_as_of", dataset=dataset.name, as_of=fmt.day(summary["last_order_date"]), period=period,
                 first=fmt.day(summary["first_order_date"])))
    if not current["is_complete"]:
        st.warning(t("overview_partial_only"), icon=":material/schedule:")
    headline(current, previous)
    st.plotly_chart(charts.monthly_revenue_figure(monthly, fmt.currency()), theme=None,
                    key="overview_monthly_chart")
