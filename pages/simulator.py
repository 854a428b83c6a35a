"""Simulator (marketing lead): what a budget buys this quarter against what it adds to customer value."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from custlib import simulate as sim
from custlib.errors import CustlibError
from ui import auth, data, decisions, labels, view
from ui import decision_charts as charts
from ui import format as fmt
from ui.i18n import error_text, option_labels, t
from ui.entry import through_app

through_app(__file__)

BY_OPTIONS = ("segment", "tier")
BASIS_KEY = "sim_assumption_basis"  # (cache_key, as_of) the assumption inputs were filled for


def nice(amount: float) -> float:
    """A round default budget: two significant digits."""
    if amount <= 0:
        return 10_000.0
    scale = 10 ** (int(math.log10(amount)) - 1)
    return float(round(amount / scale) * scale)


UNITS = dict(sim.Assumptions().table()[["name", "unit"]].itertuples(index=False))  # assumption -> documented unit


def is_share(name: str) -> bool:
    """Shares are shown and typed as percentages."""
    return UNITS[name] == "share"


def reset_assumptions() -> None:
    for name in sim.Assumptions.names():
        st.session_state.pop(f"sim_a_{name}", None)


def assumption_inputs(defaults: sim.Assumptions, basis: tuple) -> sim.Assumptions:
    """A number input per assumption (shares in %), starting from the data's estimates."""
    if st.session_state.get(BASIS_KEY) != basis:  # another dataset or date: start from its estimates
        reset_assumptions()
        st.session_state[BASIS_KEY] = basis
    values, sources = {}, {}
    columns = st.columns(2)
    for number, name in enumerate(sim.Assumptions.names()):
        default = float(getattr(defaults, name))
        low, high = defaults.range(name)
        share = is_share(name)
        scale = 100.0 if share else 1.0
        ceiling = {"promo_days": sim.DAYS_PER_QUARTER, "loyalty_max_dropout_reduction": sim.MAX_DROPOUT_REDUCTION}
        maximum = ceiling.get(name, 1.0 if share and name != "promo_uplift" else None)
        key = f"sim_a_{name}"
        st.session_state.setdefault(key, round(default * scale, 2))
        source = t(f"sim_source_{'estimated' if defaults.source(name) == sim.ESTIMATED else 'assumed'}")
        value = columns[number % 2].number_input(
            t(f"sim_a_{name}") + (" (%)" if share else ""), key=key,
            min_value=0.01 if name.endswith("_saturation_amount") else 0.0,
            max_value=None if maximum is None else maximum * scale, step=1.0 if share else 0.5, format="%.2f",
            help=t("sim_a_help", text=t(f"sim_a_{name}_help"), source=source, default=f"{default * scale:,.2f}",
                   low=f"{low * scale:,.2f}", high=f"{high * scale:,.2f}", unit=t(f"sim_unit_{name}")))
        values[name] = value / scale
        changed = not math.isclose(values[name], default, rel_tol=1e-4, abs_tol=1e-6)
        sources[name] = "set by user" if changed else defaults.source(name)
    return sim.Assumptions(**values, ranges={n: defaults.range(n) for n in values}, sources=sources)


def assumptions_table(assumptions: sim.Assumptions, defaults: sim.Assumptions) -> pd.DataFrame:
    table = assumptions.table()
    scale = table["name"].map(lambda n: 100.0 if is_share(n) else 1.0)
    source_keys = {sim.ESTIMATED: "sim_source_estimated", sim.ASSUMED: "sim_source_assumed",
                   "set by user": "sim_source_user"}
    return pd.DataFrame({
        t("sim_col_assumption"): table["name"].map(lambda n: t(f"sim_a_{n}")),
        t("sim_col_in_use"): table["value"] * scale,
        t("sim_col_default"): [getattr(defaults, n) * s for n, s in zip(table["name"], scale)],
        t("sim_col_low"): table["low"] * scale, t("sim_col_high"): table["high"] * scale,
        t("sim_col_unit"): table["name"].map(lambda n: "%" if is_share(n) else t(f"sim_unit_{n}")),
        t("sim_col_source"): table["source"].map(lambda s: t(source_keys.get(s, "sim_source_assumed"))),
    })


def metric_cards(result: pd.Series, bands: pd.DataFrame, horizon: int) -> None:
    cards = (("quarter_incremental_revenue", fmt.money_compact), ("quarter_incremental_margin", fmt.money_compact),
             ("incremental_value", fmt.money_compact), ("npv", fmt.money_compact), ("roi", fmt.percent))
    for slot, (name, formatter) in zip(st.columns(len(cards)), cards):
        low, high = bands.loc[name, "p05"], bands.loc[name, "p95"]
        slot.metric(t(f"sim_metric_{name}", months=horizon), formatter(result[name]), border=True,
                    help=t(f"sim_metric_{name}_help", months=horizon) + " " + t(
                        "sim_band_help", low=formatter(low), high=formatter(high)))


def result_frame(scenario: sim.Scenario, assumptions: sim.Assumptions, result: pd.Series,
                 bands: pd.DataFrame) -> pd.DataFrame:
    """The current scenario for export: inputs, results with their 90% band, assumptions."""
    rows = [(f"input: {k}", v, None, None) for k, v in {
        "budget_amount": scenario.budget_amount, "promo_share": scenario.promo_share,
        "target_segments": ", ".join(scenario.target_segments) or sim.ALL_CUSTOMERS,
        "horizon_months": scenario.horizon_months, "margin": scenario.margin,
        "annual_discount_rate": scenario.annual_discount_rate}.items()]
    for name in sim.RESULT_COLUMNS:
        band = bands.loc[name] if name in bands.index else None
        rows.append((f"result: {name}", result[name], None if band is None else band["p05"],
                     None if band is None else band["p95"]))
    rows += [(f"assumption: {n}", getattr(assumptions, n), *assumptions.range(n)) for n in sim.Assumptions.names()]
    return pd.DataFrame(rows, columns=["item", "value", "p05_or_low", "p95_or_high"]).set_index("item")


def comparison_table(frame: pd.DataFrame) -> pd.DataFrame:
    """compare_scenarios' output with translated row labels and formatted values (one text column each)."""
    def show(item: str, value) -> str:
        name = item.removeprefix("assumption: ")
        if item in ("budget_amount", "quarter_incremental_revenue", "quarter_incremental_margin", "promo_amount",
                    "loyalty_amount", "quarter_discount_amount", "promo_value", "loyalty_value",
                    "incremental_value", "npv"):
            return fmt.money(value)
        if item in ("promo_share", "margin", "annual_discount_rate", "roi") or (
                item.startswith("assumption: ") and is_share(name)):
            return fmt.percent(value)
        if value == sim.ALL_CUSTOMERS:
            return t("sim_all_customers")
        return value if isinstance(value, str) else fmt.number(value, 0 if item == "horizon_months" else 2)

    shown = pd.DataFrame({column: [show(item, v) for item, v in frame[column].items()] for column in frame.columns})
    shown.index = [t(f"sim_a_{i.removeprefix('assumption: ')}") if i.startswith("assumption: ")
                   else t(f"sim_item_{i}") for i in frame.index]
    return shown


def saved_section(dataset, scenario, assumptions, result, as_of) -> None:
    st.subheader(t("sim_saved_heading"))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input(t("sim_scenario_name"), key="sim_scenario_name", max_chars=200,
                           placeholder=t("sim_scenario_placeholder"))
    may_save = auth.allows("can_save_plans")
    if not may_save:
        st.caption(t("plans_read_only"))
    if right.button(t("sim_save"), key="sim_save", type="primary", width="stretch", disabled=not may_save):
        try:
            scenario_id = decisions.save_scenario(dataset, name, scenario, assumptions, result, as_of)
        except CustlibError as exc:
            st.error(t("sim_save_failed", error=error_text(exc)), icon=":material/error:")
        else:
            st.success(t("sim_saved", name=name.strip(), id=scenario_id), icon=":material/check:")
    saved = decisions.saved_scenarios(dataset)
    if saved.empty:
        st.caption(t("sim_no_saved"))
        return
    listing = pd.DataFrame({
        t("sim_col_id"): saved["scenario_id"], t("sim_col_name"): saved["name"],
        t("sim_col_saved_at"): saved["created_at"], t("sim_col_as_of"): saved["as_of"],
        t("sim_col_budget", currency=fmt.currency()): saved["budget_amount"],
        t("sim_col_promo_share"): saved["promo_share"],
        t("sim_col_targets"): saved["target_segments"].replace("", t("sim_all_customers")),
        t("sim_col_horizon"): saved["horizon_months"],
        t("sim_col_quarter_revenue", currency=fmt.currency()): saved["quarter_incremental_revenue"],
        t("sim_col_npv", currency=fmt.currency()): saved["npv"], t("sim_col_roi"): saved["roi"]})
    money = st.column_config.NumberColumn(format=f"{fmt.currency()}%,.0f")
    st.dataframe(listing, hide_index=True, key="sim_saved_table", column_config={
        t("sim_col_budget", currency=fmt.currency()): money,
        t("sim_col_quarter_revenue", currency=fmt.currency()): money, t("sim_col_npv", currency=fmt.currency()): money,
        t("sim_col_promo_share"): st.column_config.NumberColumn(format="percent"),
        t("sim_col_roi"): st.column_config.NumberColumn(format="percent")})
    labels = {int(r.scenario_id): f"{r.scenario_id}: {r.name}" for r in saved.itertuples()}
    chosen = st.multiselect(t("sim_compare"), list(labels), format_func=labels.__getitem__, key="sim_compare",
                            placeholder=t("sim_compare_placeholder"))
    if chosen:
        compared = decisions.compare_scenarios(dataset, chosen)
        st.dataframe(comparison_table(compared), key="sim_compare_table")
        auth.download_csv(t("sim_export_compare"), compared, index=True, file_name="scenarios_compared.csv",
                          export_name="scenario comparison", dataset=dataset, key="sim_export_compare")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    doomed = left.selectbox(t("sim_delete_choice"), list(labels), format_func=labels.__getitem__, index=None,
                            key="sim_delete_choice", placeholder=t("sim_delete_placeholder"), disabled=not may_save)
    if right.button(t("sim_delete"), key="sim_delete", width="stretch", disabled=not may_save or doomed is None):
        try:
            decisions.delete_scenario(dataset, doomed)
        except CustlibError as exc:
            st.error(t("sim_save_failed", error=error_text(exc)), icon=":material/error:")
        else:
            st.session_state.pop("sim_delete_choice", None)
            st.session_state.pop("sim_compare", None)
            st.rerun()


current = view.start("sim_title", "sim_intro")
dataset, as_of, key, settings = current.dataset, current.as_of, current.key, current.settings
ids = data.selected_ids(key, as_of, current.customer_filter)
try:
    by = st.session_state.get("sim_target_by", "segment")
    curves = decisions.response_curves(key, as_of, settings, by, None if ids is None else tuple(ids))
    defaults = decisions.default_assumptions(key, as_of, curves)
except CustlibError as exc:
    st.error(t("sim_model_failed", error=error_text(exc)), icon=":material/error:")
    st.stop()
st.caption(t("sim_caption", model=curves.model_label, currency=fmt.currency(),
             customers=fmt.number(curves.customers.sum())))

st.subheader(t("sim_inputs_heading"))
row = st.columns([1.2, 2, 1.6])
st.session_state.setdefault("sim_budget", nice(curves.customers.sum() * curves.average_order_amount * 0.04))
budget = row[0].number_input(t("sim_budget", currency=fmt.currency()), min_value=0.0, step=1000.0, format="%.0f",
                             key="sim_budget", help=t("sim_budget_help"))
for name, value in (("sim_promo_share", 50), ("sim_horizon", 12), ("sim_margin", 30.0), ("sim_discount_rate", 10.0),
                    ("sim_weight", 50)):
    st.session_state.setdefault(name, value)  # defaults here, so buttons may set them without a warning
promo_percent = row[1].slider(t("sim_promo_share"), 0, 100, step=5, format="%d%%", key="sim_promo_share",
                              help=t("sim_promo_share_help"))
horizon = row[2].select_slider(t("sim_horizon"), decisions.SIM_HORIZONS, key="sim_horizon",
                               format_func=lambda months: t("sim_months", months=months), help=t("sim_horizon_help"))
row = st.columns([1.2, 2, 0.8, 0.8])
by = row[0].radio(t("sim_target_by"), BY_OPTIONS, key="sim_target_by", horizontal=True,
                  format_func=option_labels("sim_by_", BY_OPTIONS))
group_names = {name: labels.group(by, name) for name in curves.segments}
targets = row[1].multiselect(t("sim_targets"), curves.segments, key=f"sim_targets_{by}",
                             format_func=group_names.__getitem__,
                             placeholder=t("sim_targets_placeholder"), help=t("sim_targets_help"))
margin = row[2].number_input(t("sim_margin"), 0.0, 100.0, step=1.0, key="sim_margin", help=t("sim_margin_help"))
rate = row[3].number_input(t("sim_discount_rate"), 0.0, 100.0, step=1.0, key="sim_discount_rate",
                           help=t("sim_discount_rate_help"))

with st.expander(t("sim_assumptions_heading"), icon=":material/tune:"):
    st.caption(t("sim_assumptions_caption"))
    st.button(t("sim_reset"), key="sim_reset", on_click=reset_assumptions, icon=":material/restart_alt:")
    assumptions = assumption_inputs(defaults, (key, as_of))
    st.dataframe(assumptions_table(assumptions, defaults), hide_index=True, key="sim_assumptions_table",
                 column_config={t(f"sim_col_{c}"): st.column_config.NumberColumn(format="%,.2f")
                                for c in ("in_use", "default", "low", "high")})
    notes = decisions.promotion_estimates(key, as_of).notes  # custlib's own words (English)
    if notes:
        st.caption(" ".join(notes))

scenario = sim.Scenario(budget_amount=float(budget), promo_share=promo_percent / 100, target_segments=tuple(targets),
                        horizon_months=int(horizon), margin=margin / 100, annual_discount_rate=rate / 100)
result = sim.simulate(curves, scenario, assumptions)
bands = sim.simulate_uncertainty(curves, scenario, assumptions, n_draws=400, random_state=0)

st.subheader(t("sim_results_heading"))
st.caption(t("sim_results_caption", months=horizon, rate=fmt.percent(scenario.annual_discount_rate, 0),
             margin=fmt.percent(scenario.margin, 0), promo=fmt.money(result["promo_amount"]),
             loyalty=fmt.money(result["loyalty_amount"]),
             targets=t("list_separator").join(group_names[x] for x in targets) or t("sim_all_customers")))
metric_cards(result, bands, horizon)

weight_percent = st.slider(t("sim_weight"), 0, 100, step=5, format="%d%%", key="sim_weight",
                           help=t("sim_weight_help"))
best = sim.best_split(curves, scenario, assumptions, weight_percent / 100)
frontier = sim.frontier(curves, scenario, assumptions, n_points=21, n_draws=300, random_state=0)
left, right = st.columns([3, 2])
left.plotly_chart(charts.split_tradeoff_figure(frontier, scenario.promo_share, best.promo_share, horizon,
                                               fmt.currency()), theme=None, key="sim_tradeoff_chart")
right.plotly_chart(charts.frontier_figure(frontier, horizon, fmt.currency()), theme=None, key="sim_frontier_chart")
st.caption(t("sim_chart_caption"))
best_percent = int(round(best.promo_share * 100))
st.info(t("sim_best", weight=weight_percent, long=100 - weight_percent, share=f"{best.promo_share:.0%}",
          revenue=fmt.money(best.result["quarter_incremental_revenue"]), npv=fmt.money(best.result["npv"]),
          months=horizon), icon=":material/lightbulb:")
st.button(t("sim_use_best", share=min(100, 5 * round(best_percent / 5))), key="sim_use_best",
          on_click=lambda: st.session_state.update(sim_promo_share=min(100, 5 * round(best_percent / 5))))

st.subheader(t("sim_allocation_heading"))
allocation = sim.allocate(curves, scenario, assumptions, weight=weight_percent / 100)
st.caption(t("sim_allocation_caption", budget=fmt.money(allocation["total_amount"].sum(), 2),
             weight=weight_percent))
symbol = fmt.currency()
money = st.column_config.NumberColumn(format=f"{symbol}%,.0f")
allocation_shown = pd.DataFrame({
    t("sim_col_group"): allocation["segment"].map(group_names),
    t("sim_col_customers"): allocation["customers"],
    t("sim_col_promo", currency=symbol): allocation["promo_amount"],
    t("sim_col_loyalty", currency=symbol): allocation["loyalty_amount"],
    t("sim_col_total", currency=symbol): allocation["total_amount"],
    t("sim_col_budget_share"): allocation["budget_share"],
    t("sim_col_quarter_revenue", currency=symbol): allocation["quarter_incremental_revenue"],
    t("sim_col_value", currency=symbol, months=horizon): allocation["incremental_value"],
    t("sim_col_npv", currency=symbol): allocation["npv"],
    # A group that got nothing has no "last unit" return: a dash, not a blank that reads as zero.
    t("sim_col_marginal"): allocation["marginal_return"].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}")})
st.dataframe(allocation_shown, hide_index=True, key="sim_allocation_table", column_config={
    **{t(name, currency=symbol, months=horizon): money for name in ("sim_col_promo", "sim_col_loyalty", "sim_col_total",
                                                                   "sim_col_quarter_revenue", "sim_col_value",
                                                                   "sim_col_npv")},
    t("sim_col_budget_share"): st.column_config.NumberColumn(format="percent"),
    t("sim_col_marginal"): st.column_config.TextColumn(help=t("sim_col_marginal_help"))})

saved_section(dataset, scenario, assumptions, result, as_of)
auth.download_csv(t("sim_export"), result_frame(scenario, assumptions, result, bands), index=True,
                  file_name="scenario.csv", export_name="scenario", dataset=dataset, key="sim_export")
