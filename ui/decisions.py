"""Cached results for the decision pages: Simulator, Capacity, At-risk customers, Customer profile.

They build on the shared fits of ``ui.data`` (``value_snapshot`` and ``customer_table``: one model fit
per dataset version, as-of date and value settings, so a customer's CLV, tier and stage are the same
on every page). Results here are cached with ``st.cache_data`` keyed by the dataset's ``cache_key``
(dataset_id, version), the as-of date and the settings that change them. Stored settings and saved
scenarios are read uncached: saving them does not bump the dataset version, and they are tiny.
Writes go through ``custlib`` (its write transactions).
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from custlib import capacity, churn, datasets, db, features, masking, messages, valuation
from custlib import simulate as sim
from custlib.errors import CustlibError
from custlib.valuation import ValueSettings

from . import auth, data, state
from .i18n import language, t

#: Horizons the simulator offers (months); response curves are built once for the longest.
SIM_HORIZONS = (3, 6, 12, 24, 36)
SIM_MAX_HORIZON_MONTHS = max(SIM_HORIZONS)


# --- simulator ------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def promotion_estimates(cache_key: tuple[int, int], as_of: date) -> sim.PromotionEstimates:
    """What the history's promotions say (uplift, take rate, discount, pull-forward, acquisition)."""
    return sim.estimate_promotion_effects(data.get_conn(), cache_key[0], as_of)


@st.cache_data(show_spinner=False, max_entries=16)
def response_curves(cache_key: tuple[int, int], as_of: date, settings: ValueSettings, by: str,
                    ids: tuple[str, ...] | None) -> sim.ResponseCurves:
    """Response curves of the customers ``ids`` (None: everyone) grouped ``by`` "segment" (RFM) or "tier"
    (value), for horizons up to :data:`SIM_MAX_HORIZON_MONTHS` months."""
    labels = data.customer_table(cache_key, as_of, settings)[by].astype(object).dropna().astype(str)
    if ids is not None:
        labels = labels[labels.index.isin(ids)]
    snapshot = data.value_snapshot(cache_key, as_of, settings)
    return sim.response_curves(snapshot, labels, horizon_months=SIM_MAX_HORIZON_MONTHS)


def default_assumptions(cache_key: tuple[int, int], as_of: date, curves: sim.ResponseCurves) -> sim.Assumptions:
    """The data's estimates where it can tell, documented defaults elsewhere (saturation amounts scaled
    to the average order)."""
    return sim.default_assumptions(promotion_estimates(cache_key, as_of), curves.average_order_amount)


def save_scenario(dataset: datasets.Dataset, name: str, scenario: sim.Scenario, assumptions: sim.Assumptions,
                  result: pd.Series, as_of: date) -> int:
    return sim.save_scenario(data.get_conn(), dataset.dataset_id, name, scenario, assumptions, result, as_of=as_of,
                             actor=auth.actor())


def delete_scenario(dataset: datasets.Dataset, scenario_id: int) -> None:
    sim.delete_scenario(data.get_conn(), dataset.dataset_id, scenario_id, actor=auth.actor())


def saved_scenarios(dataset: datasets.Dataset) -> pd.DataFrame:
    return sim.list_scenarios(data.get_conn(), dataset.dataset_id)


def compare_scenarios(dataset: datasets.Dataset, scenario_ids) -> pd.DataFrame:
    return sim.compare_scenarios(data.get_conn(), dataset.dataset_id, scenario_ids)


# --- capacity -------------------------------------------------------------------------------------

def capacity_settings(dataset: datasets.Dataset, suggested: dict[str, int] | None = None) -> pd.DataFrame:
    """The quotas in effect, one row per tier (tiers never saved: quotas suggested from the holdings)."""
    return capacity.get_settings(data.get_conn(), dataset.dataset_id, suggested)


def save_capacity_settings(dataset: datasets.Dataset, settings: dict, note: str = "",
                           suggested: dict[str, int] | None = None) -> pd.DataFrame:
    """Store new quotas (history rows written; empty when nothing changed)."""
    return capacity.save_settings(data.get_conn(), dataset.dataset_id, settings, note=note, suggested=suggested,
                                  actor=auth.actor())


def capacity_history(dataset: datasets.Dataset) -> pd.DataFrame:
    return capacity.settings_history(data.get_conn(), dataset.dataset_id)


@st.cache_data(show_spinner=False, max_entries=16)
def customer_owners(cache_key: tuple[int, int]) -> pd.DataFrame:
    """customer_id, account_manager (None when unowned), region."""
    return capacity.customer_owners(data.get_conn(), cache_key[0])


@st.cache_data(show_spinner=False, max_entries=16)
def settings_evaluation(cache_key: tuple[int, int], change_date: date, window_days: int,
                        settings: ValueSettings) -> pd.DataFrame:
    """Churn, satisfaction and CLV per tier in the ``window_days`` before and after ``change_date``;
    tiers from the value as of the day before the change (custlib.capacity.evaluate_settings_change)."""
    con = data.get_conn()
    before = valuation.value_customers(con, cache_key[0], change_date - timedelta(days=1), settings)
    return capacity.evaluate_settings_change(con, cache_key[0], change_date, capacity.customer_tiers(before),
                                             window_days=window_days, clv_before=before.customers["clv"],
                                             value_settings=settings)


# --- churn ----------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def churn_scores(cache_key: tuple[int, int], as_of: date, settings: ValueSettings
                 ) -> tuple[pd.DataFrame, churn.ChurnReport]:
    """custlib.customers.CustomerBook.churn (active customers' churn scores and the model's report), per
    dataset version, date and value settings. Raises CustlibError when the history is too short."""
    scores, report, _ = data.book(cache_key, as_of, settings).churn()
    return scores, report


def churn_risk(cache_key: tuple[int, int], as_of: date, settings: ValueSettings) -> tuple[pd.Series, str]:
    """Churn risk per customer for capacity planning, and which model gave it ("churn" or "bgnbd"): the
    churn model's probability for active customers, 1 - P(alive) (BG/NBD) for the others, or for all
    when the history is too short for a churn model."""
    fallback = capacity.default_churn_risk(data.value_snapshot(cache_key, as_of, settings))
    try:
        scores, _ = churn_scores(cache_key, as_of, settings)
    except CustlibError:
        return fallback, "bgnbd"
    model = scores.set_index("customer_id")["churn_probability"]
    return model.combine_first(fallback).rename("churn_risk"), "churn"


def reason_text(row: pd.Series, k: int) -> str | None:
    """A customer's k-th churn reason in the page's language (custlib.messages), or None when there is none."""
    code = row.get(f"reason_{k}")
    if not isinstance(code, str) or not code:
        return None
    return messages.render(code, {"a": row[f"reason_{k}_a"], "b": row[f"reason_{k}_b"]}, language())


@st.cache_data(show_spinner=False, max_entries=8)
def reasons_in_words(cache_key: tuple[int, int], as_of: date, settings: ValueSettings, lang: str) -> pd.Series:
    """Each scored customer's reasons joined into one line in ``lang``, indexed by customer_id.

    custlib.messages words each reason column-wise, so a page of tens of thousands of customers costs no
    per-row Python (and the result is cached).
    """
    scores, _ = churn_scores(cache_key, as_of, settings)
    separator = t("list_separator")
    joined = None
    for k in range(1, churn.N_REASONS + 1):
        words = messages.render_column(scores[f"reason_{k}"], {"a": scores[f"reason_{k}_a"],
                                                              "b": scores[f"reason_{k}_b"]}, lang)
        joined = words.fillna("") if joined is None else joined + (separator + words).where(words.notna(), "")
    return pd.Series(joined.to_numpy(), index=scores["customer_id"].to_numpy(), name="reasons")


# --- one customer ---------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=8)
def customer_orders(cache_key: tuple[int, int], as_of: date) -> pd.DataFrame:
    """Every customer's orders up to ``as_of`` (custlib.features.customer_orders), indexed by customer_id."""
    return features.customer_orders(data.get_conn(), cache_key[0], as_of).set_index("customer_id")


@st.cache_data(show_spinner=False, max_entries=8)
def customer_features(cache_key: tuple[int, int], as_of: date) -> pd.DataFrame:
    """custlib.features.customer_features as of ``as_of``, indexed by customer_id."""
    return features.customer_features(data.get_conn(), cache_key[0], as_of).set_index("customer_id")


def customer_interactions(cache_key: tuple[int, int], customer_id: str, as_of: date) -> pd.DataFrame:
    """One customer's interactions (calls, visits, emails, tickets, complaints, surveys) up to ``as_of``,
    oldest first. Uncached: one customer, one indexed read.
    (custlib has no per-customer interaction query yet; this one binds every value.)

    Notes are free text that may hold contact details: for roles that see contacts masked, emails,
    phone numbers and the customer's stored names in them are masked (custlib.masking.mask_contacts_in_text).
    """
    con, params = data.get_conn(), [int(cache_key[0]), str(customer_id)]
    frame = db.query_df(con, """
        select interaction_at, kind, nps_score, satisfaction, note
        from interactions
        where dataset_id = ? and customer_id = ? and cast(interaction_at as date) <= ?
        order by interaction_at""", [*params, as_of])
    role = state.signed_in_role()
    if not masking.may_see_contacts(role) and frame["note"].notna().any():
        names = db.query_df(con, "select distinct name from customers where dataset_id = ? and customer_id = ? "
                                 "and name is not null", params)["name"]
        frame["note"] = masking.mask_contacts_in_text(frame["note"], role, tuple(names))
    return frame


def stage_history(cache_key: tuple[int, int], as_of: date, settings: ValueSettings,
                  customer_id: str, months_back: tuple[int, ...] = (12, 6, 3, 0)) -> pd.DataFrame:
    """The customer's lifecycle stage (and segment, tier) as of a few past dates: ``data.customer_table``
    as of each date (one fit per date, cached and shared by every customer). Dates before the
    customer's first purchase are left out."""
    rows = []
    for months in months_back:
        day = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
        try:
            table = data.customer_table(cache_key, day, settings)
        except CustlibError:
            continue
        if customer_id in table.index:
            row = table.loc[customer_id]
            rows.append({"as_of": day, "stage": row["stage"], "segment": row["segment"], "tier": row["tier"],
                         "probability_alive": row["probability_alive"], "clv": row["clv"]})
    return pd.DataFrame(rows, columns=["as_of", "stage", "segment", "tier", "probability_alive", "clv"])
