"""Customer value (analysts): what each customer is worth, how sure the model is, and the settings behind it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from custlib import valuation
from ui import auth, data, labels, state, view
from ui import format as fmt
from ui import value_charts as charts
from ui.i18n import option_labels, t
from ui.urlstate import HORIZONS, MODELS
from ui.entry import through_app

through_app(__file__)

SETTINGS = {  # widget key -> setting key
    "value_horizon": state.HORIZON, "value_margin": state.MARGIN, "value_discount": state.DISCOUNT,
    "value_model": state.MODEL,
}
TOP_CUSTOMERS = 25


def copy_setting(widget: str) -> None:
    value = st.session_state[widget]
    st.session_state[SETTINGS[widget]] = value / 100 if widget in ("value_margin", "value_discount") else value


def settings_form() -> None:
    """Horizon, margin, discount rate and model: shared settings (every page's CLV uses them)."""
    st.session_state["value_horizon"] = st.session_state[state.HORIZON]
    st.session_state["value_margin"] = round(st.session_state[state.MARGIN] * 100)
    st.session_state["value_discount"] = round(st.session_state[state.DISCOUNT] * 100)
    st.session_state["value_model"] = st.session_state[state.MODEL]
    with st.container(border=True):
        st.markdown(f"**{t('val_settings_heading')}**")
        cols = st.columns(4)
        cols[0].selectbox(t("val_horizon_label"), HORIZONS, key="value_horizon", on_change=copy_setting,
                          args=("value_horizon",), format_func={m: t("val_months", months=m) for m in HORIZONS}.__getitem__,
                          help=t("val_horizon_help"))
        cols[1].slider(t("val_margin_label"), 1, 100, key="value_margin", format="%d%%", on_change=copy_setting,
                       args=("value_margin",), help=t("val_margin_help"))
        cols[2].slider(t("val_discount_label"), 0, 30, key="value_discount", format="%d%%", on_change=copy_setting,
                       args=("value_discount",), help=t("val_discount_help"))
        cols[3].selectbox(t("val_model_label"), MODELS, key="value_model", on_change=copy_setting,
                          args=("value_model",), format_func=option_labels("val_model_", MODELS),
                          help=t("val_model_help"))


def cards(customers: pd.DataFrame) -> None:
    slots = st.columns([1, 1.4, 1, 1.2, 1])  # amounts in 万/M need the room
    slots[0].metric(t("val_card_customers"), fmt.number(len(customers)), border=True)
    slots[1].metric(t("metric_equity"), fmt.money_compact(customers["clv"].sum()), border=True,
                    help=t("metric_equity_help"))
    slots[2].metric(t("val_card_average"), fmt.money(customers["clv"].mean()), border=True)
    slots[3].metric(t("val_card_purchases"), fmt.number(customers["expected_purchases"].sum()), border=True,
                    help=t("val_card_purchases_help"))
    slots[4].metric(t("val_card_alive"), fmt.percent(customers["probability_alive"].mean()), border=True,
                    help=t("val_card_alive_help"))


def model_section(current, snapshot) -> None:
    settings = current.settings
    choice = data.model_choice(current.key, current.as_of, settings)
    chosen = valuation.MODEL_LABELS[snapshot.model]
    left, right = st.columns([3, 2])
    with left:
        if choice.comparison is not None:
            st.plotly_chart(charts.calibration_figure(choice.comparison.by_calibration_frequency,
                                                      choice.holdout_days, chosen),
                            theme=None, key="value_calibration")
        else:
            st.info(t("val_no_holdout"), icon=":material/info:")
    with right:
        st.markdown(f"**{t('val_model_heading')}**")
        if settings.model == "auto":
            st.markdown(t("val_chosen_auto", model=chosen))
        else:
            st.markdown(t("val_chosen_user", model=chosen))
        if choice.comparison is not None:
            row = choice.comparison.table.loc[choice.comparison.best]
            st.markdown(t("val_holdout_best", best=choice.comparison.best, days=choice.holdout_days,
                          end=fmt.day(choice.calibration_end), mae=f"{row['mae']:.2f}",
                          predicted=fmt.number(row["predicted_total"]), actual=fmt.number(row["actual_total"])))
        sufficiency = snapshot.sufficiency
        if sufficiency.is_sufficient:
            st.success(t("val_sufficient", repeat=fmt.number(sufficiency.n_repeat_buyers),
                         share=fmt.percent(sufficiency.repeat_share)), icon=":material/check_circle:")
        else:
            reasons = t("list_separator_major").join(t(f"val_flag_{flag}", repeat=fmt.number(
                sufficiency.n_repeat_buyers), share=fmt.percent(sufficiency.repeat_share)) for flag in sufficiency.flags)
            st.warning(t("val_insufficient", reasons=reasons), icon=":material/warning:")
        if snapshot.spend_model is None:
            st.warning(t("val_no_spend_model"), icon=":material/warning:")
    st.markdown(f"**{t('val_params_heading')}**")
    rows = []
    for model, kind in ((snapshot.purchase_model, chosen), (snapshot.spend_model, "Gamma-Gamma")):
        if model is None:
            continue
        for name, value in model.params_.items():
            rows.append({t("val_col_model"): kind, t("val_col_param"): name,
                         t("val_col_meaning"): t(f"val_param_{kind_key(kind)}_{name}"),
                         t("val_col_estimate"): float(value),
                         t("val_col_se"): float(model.standard_errors_.get(name, float("nan")))})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="value_params",
                 column_config={t("val_col_estimate"): st.column_config.NumberColumn(format="%.4g"),
                                t("val_col_se"): st.column_config.NumberColumn(format="%.3g")})
    if choice.comparison is not None:
        table = choice.comparison.table
        st.dataframe(pd.DataFrame({
            t("val_col_model"): table.index, t("val_col_loglik"): table["log_likelihood"].to_numpy(),
            t("val_col_mae"): table["mae"].to_numpy(), t("val_col_rmse"): table["rmse"].to_numpy(),
            t("val_col_predicted"): table["predicted_total"].to_numpy(),
            t("val_col_actual"): table["actual_total"].to_numpy()}), hide_index=True, key="value_holdout",
            column_config={t("val_col_loglik"): st.column_config.NumberColumn(format="%.0f"),
                           t("val_col_mae"): st.column_config.NumberColumn(format="%.3f"),
                           t("val_col_rmse"): st.column_config.NumberColumn(format="%.3f"),
                           t("val_col_predicted"): st.column_config.NumberColumn(format="%.0f"),
                           t("val_col_actual"): st.column_config.NumberColumn(format="%.0f")})
        st.caption(t("val_holdout_note"))


def kind_key(label: str) -> str:
    return {"BG/NBD": "bgnbd", "MBG/NBD": "bgnbd", "Pareto/NBD": "pareto", "Gamma-Gamma": "gg"}[label]


def top_customers(customers: pd.DataFrame, symbol: str) -> None:
    top = customers.nlargest(TOP_CUSTOMERS, "clv")
    st.dataframe(pd.DataFrame({
        t("seg_col_customer_id"): top.index,
        t("seg_grouping_segment"): top["segment"].astype(object).map(labels.segment).to_numpy(),
        t("seg_grouping_tier"): top["tier"].astype(object).map(labels.tier).to_numpy(),
        t("seg_col_frequency"): top["frequency"].to_numpy(),
        t("seg_col_recency"): top["days_since_last_order"].to_numpy(),
        t("seg_col_p_alive_fraction"): top["probability_alive"].to_numpy(),
        t("val_col_expected"): top["expected_purchases"].to_numpy(),
        t("val_col_spend", currency=symbol): top["expected_spend"].to_numpy(),
        t("seg_col_clv", currency=symbol): top["clv"].to_numpy()}), hide_index=True, key="value_top",
        column_config={t("seg_col_p_alive_fraction"): st.column_config.ProgressColumn(format="%.2f", min_value=0,
                                                                                      max_value=1),
                       t("val_col_expected"): st.column_config.NumberColumn(format="%.1f"),
                       t("val_col_spend", currency=symbol): st.column_config.NumberColumn(format="%.0f"),
                       t("seg_col_clv", currency=symbol): st.column_config.NumberColumn(format="%.0f")})


current = view.start("val_title", "val_intro")
symbol = fmt.currency()
settings_form()
current = view.current()  # the settings may just have changed
with st.spinner(t("spinner_value_model")):
    snapshot = data.value_or_none(current.key, current.as_of, current.settings)
    customers = data.customers_in_view(current.key, current.as_of, current.settings, current.customer_filter)
if snapshot is None:
    st.warning(t("value_unavailable", as_of=fmt.day(current.as_of)), icon=":material/warning:")
    st.stop()
customers = customers[customers["probability_alive"].notna()]
unit_name = t(f"val_unit_{current.settings.unit}")
model_words = view.model_text(current.settings, snapshot)
st.caption(t("val_scope", model=model_words, as_of=fmt.day(current.as_of)))
cards(customers)

left, right = st.columns(2)
with left:
    log_scale = st.toggle(t("val_log_label"), key="value_log_scale", value=True, help=t("val_log_help"))
    st.plotly_chart(charts.clv_histogram_figure(customers["clv"], symbol, current.settings.horizon_months, log_scale),
                    theme=None, key="value_histogram")
with right:
    st.plotly_chart(charts.p_alive_heatmap_figure(snapshot.customers.loc[customers.index], unit_name), theme=None,
                    key="value_alive")

st.subheader(t("val_fit_heading"))
with st.spinner(t("val_spinner_compare")):
    model_section(current, snapshot)

st.subheader(t("val_top_heading", n=TOP_CUSTOMERS))
if auth.allows("can_see_customer_rows"):
    top_customers(customers, symbol)
else:
    auth.rows_hidden_note()
