"""Retention capacity planning (custlib/capacity.py): holdings, settings with history, at-risk customers,
reassignment, before/after evaluation. Numbers are hand-counted on tiny fixtures (worked in comments)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custlib import capacity as cap
from custlib import datasets, db

# --- the hand fixture ---------------------------------------------------------------------------------
# Managers: Ann (East), Bo (East), Cy (West). Quotas (core / potential / low-value): 2 / 3 / 5.
#   Ann: core c1 c2 c3 (3 > 2: over), potential p1           -> core over, potential under (1 < 0.8*3)
#   Bo:  core c4 (1 < 1.6: under), potential p2 p3 p4          -> potential within (3 = 3)
#   Cy:  core (none), low-value l1 (region West)
#   no owner: c5 (core, East), c6 (core, West), l2 (low-value)
CUSTOMERS = [
    ("c1", "Ann", "East"), ("c2", "Ann", "East"), ("c3", "Ann", "East"), ("p1", "Ann", "East"),
    ("c4", "Bo", "East"), ("p2", "Bo", "East"), ("p3", "Bo", "East"), ("p4", "Bo", "East"),
    ("l1", "Cy", "West"), ("c5", None, "East"), ("c6", "  ", "West"), ("l2", None, None),
]
TIERS = {"c1": "core", "c2": "core", "c3": "core", "c4": "core", "c5": "core", "c6": "core",
         "p1": "potential", "p2": "potential", "p3": "potential", "p4": "potential", "l1": "low-value"}
SETTINGS = {"core": cap.TierSettings(2, 6, 300.0), "potential": cap.TierSettings(3, 3, 100.0),
            "low-value": cap.TierSettings(5, 1, 20.0)}
CLV = {"c1": 1000.0, "c2": 3000.0, "c3": 500.0, "c4": 800.0, "c5": 2000.0, "c6": 900.0}
RISK = {"c1": 0.9, "c2": 0.6, "c3": 0.2, "c4": 0.9, "c5": 0.7, "c6": 0.5}
# value at risk (clv x risk): c2 1800, c5 1400, c1 900, c6 450; c3 below the 0.5 threshold, c4's owner not over


@pytest.fixture
def shop(con):
    frame = pd.DataFrame(CUSTOMERS, columns=["customer_id", "account_manager", "region"])
    datasets.store_frame(con, "shop", "customers", frame)
    return datasets.get_dataset(con, "shop").dataset_id


def _tiers():
    return pd.Series(TIERS, name="tier")


def test_owners_trim_blank_managers(con, shop):
    owners = cap.customer_owners(con, shop)
    assert tuple(owners.columns) == cap.OWNER_COLUMNS
    assert owners.set_index("customer_id")["account_manager"].isna().to_dict() == {
        cid: cid in ("c5", "c6", "l2") for cid, _, _ in CUSTOMERS}


def test_holdings_against_quotas(con, shop):
    h = cap.holdings(cap.customer_owners(con, shop), _tiers(), SETTINGS).set_index(["account_manager", "tier"])
    assert tuple(h.reset_index()[list(cap.HOLDING_COLUMNS)].columns) == cap.HOLDING_COLUMNS
    assert h["customers"].to_dict() == {
        ("Ann", "core"): 3, ("Ann", "potential"): 1, ("Ann", "low-value"): 0,
        ("Bo", "core"): 1, ("Bo", "potential"): 3, ("Bo", "low-value"): 0,
        ("Cy", "core"): 0, ("Cy", "potential"): 0, ("Cy", "low-value"): 1}
    assert h.loc[("Ann", "core"), "status"] == "over" and h.loc[("Ann", "core"), "spare"] == -1
    assert h.loc[("Bo", "potential"), "status"] == "within"
    assert h.loc[("Bo", "core"), "status"] == "under"
    assert h.loc[("Ann", "core"), "contacts_per_quarter"] == 18  # 3 customers x 6
    assert h.loc[("Ann", "core"), "retention_budget_amount"] == 900.0
    assert h.loc[("Cy", "core"), "region"] == "West"


def test_saving_settings_writes_history_and_changes_the_view(con, shop):
    db.ensure_schema(con)  # idempotent: connect made the tables already
    assert cap.get_settings(con, shop)["is_default"].all()
    first = cap.save_settings(con, shop, SETTINGS, changed_at="2024-01-01", note="initial")
    assert tuple(first.columns) == cap.HISTORY_COLUMNS
    # only the quotas differ from the defaults (service levels and budgets are the defaults' values)
    assert first[["tier", "setting"]].values.tolist() == [[t, "max_customers_per_manager"] for t in
                                                          ("core", "potential", "low-value")]
    assert first.set_index(["tier", "setting"]).loc[("core", "max_customers_per_manager"), "old_value"] == \
        cap.DEFAULT_SETTINGS["core"].max_customers_per_manager
    owners = cap.customer_owners(con, shop)
    before = cap.holdings(owners, _tiers(), cap.get_settings(con, shop)).set_index(["account_manager", "tier"])
    assert before.loc[("Ann", "core"), "status"] == "over"
    # raise the core quota to 3: only that one value changes and is recorded
    change = cap.save_settings(con, shop, {"core": cap.TierSettings(3, 6, 300.0)}, changed_at="2024-06-01")
    assert change[["tier", "setting", "old_value", "new_value"]].values.tolist() == [
        ["core", "max_customers_per_manager", 2.0, 3.0]]
    assert cap.save_settings(con, shop, {"core": cap.TierSettings(3, 6, 300.0)}).empty  # no change, no history
    after = cap.holdings(owners, _tiers(), cap.get_settings(con, shop)).set_index(["account_manager", "tier"])
    assert after.loc[("Ann", "core"), "status"] == "within"  # 3 of 3
    assert after.loc[("Bo", "core"), "status"] == "under"  # 1 < 0.8 x 3
    history = cap.settings_history(con, shop)
    assert len(history) == 4 and history["changed_at"].is_monotonic_increasing
    assert cap.get_settings(con, 99)["is_default"].all()  # settings are per dataset
    with pytest.raises(Exception, match="Unknown tier"):
        cap.save_settings(con, shop, {"gold": cap.TierSettings(1, 1, 1.0)})


def test_at_risk_and_reassignment_move_the_most_value_first(con, shop):
    owners = cap.customer_owners(con, shop)
    holding = cap.holdings(owners, _tiers(), SETTINGS)
    risky = cap.at_risk_customers(owners, _tiers(), pd.Series(CLV), pd.Series(RISK), holding)
    assert tuple(risky.columns) == cap.AT_RISK_COLUMNS
    assert risky["customer_id"].tolist() == ["c2", "c5", "c1", "c6"]
    assert risky["value_at_risk"].tolist() == pytest.approx([1800.0, 1400.0, 900.0, 450.0])
    assert risky["reason"].tolist() == ["owner over quota", "no owner", "owner over quota", "no owner"]
    moves = cap.suggest_reassignment(risky, holding)
    assert tuple(moves.columns) == cap.REASSIGNMENT_COLUMNS
    # Core spare: Ann -1, Bo 1, Cy 2.
    # c2 (East, Ann over): Bo is East with room -> Bo (Bo 0 left; Ann back to quota).
    # c5 (East, unowned): no East manager has room -> Cy (West), the only one with room.
    # c1 (Ann): Ann is now within quota -> stays.  c6 (West, unowned): Cy has 1 left -> Cy.
    assert moves[["customer_id", "to_manager", "reason"]].fillna("-").values.tolist() == [
        ["c2", "Bo", "move"], ["c5", "Cy", "assign"], ["c1", "-", "owner now within quota"], ["c6", "Cy", "assign"]]
    assert moves["same_region"].tolist() == [True, False, False, True]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reassignment_never_exceeds_a_quota_and_leaves_no_one_behind(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    n_managers = data.draw(st.integers(1, 6))
    n = data.draw(st.integers(1, 80))
    quota = data.draw(st.integers(0, 15))
    managers = [f"m{i}" for i in range(n_managers)]
    regions = ["East", "West", "North"]
    owner = np.where(rng.random(n) < 0.3, None, rng.choice(managers, n)).astype(object)
    owners = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(n)], "account_manager": owner,
                           "region": rng.choice(regions, n)})
    tiers = pd.Series("core", index=owners["customer_id"])
    rules = {**cap.DEFAULT_SETTINGS, "core": cap.TierSettings(quota, 1, 1.0)}
    holding = cap.holdings(owners, tiers, rules)
    clv = pd.Series(rng.gamma(2.0, 500.0, n), index=owners["customer_id"])
    risk = pd.Series(rng.random(n), index=owners["customer_id"])
    risky = cap.at_risk_customers(owners, tiers, clv, risk, holding)
    moves = cap.suggest_reassignment(risky, holding)
    # apply the moves and recount
    final = owners.set_index("customer_id")["account_manager"].copy()
    moved = moves.dropna(subset=["to_manager"])
    final.loc[moved["customer_id"]] = moved["to_manager"].to_numpy()
    counts = final.dropna().value_counts()
    start = holding[holding["tier"] == "core"].set_index("account_manager")["customers"]
    for manager in holding["account_manager"].unique():
        # a manager ends within quota, or (if over quota from the start) no fuller than they started
        assert counts.get(manager, 0) <= max(quota, start.get(manager, 0))
        if start.get(manager, 0) <= quota:
            assert counts.get(manager, 0) <= quota
    left = moves[moves["to_manager"].isna() & moves["from_manager"].isna()]
    if len(left):  # an unowned at-risk customer is only left when no manager has any room
        assert all(counts.get(m, 0) >= quota for m in holding["account_manager"].unique())
    # moves happen in order of value at risk
    assert moves["value_at_risk"].is_monotonic_decreasing


# --- before / after a settings change --------------------------------------------------------------------
# Change on 2024-04-01, windows of 30 days (2024 is a leap year):
#   base = [Jan 31, Mar 2), before = [Mar 2, Apr 1), after = [Apr 1, May 1).
#   A (core):      buys Feb 10, Mar 10, Apr 10   -> active base, before, after
#   B (core):      buys Feb 15, Mar 15           -> churns after the change
#   C (core):      buys Feb 20                   -> churns before the change
#   D (potential): buys Mar 20, Apr 20           -> retained after
# Core: before base {A, B, C}, churned {C} -> 1/3; after base {A, B}, churned {B} -> 1/2.
# Potential: before base {} -> NaN; after base {D}, churned {} -> 0.
# Satisfaction (core): before A 4 (Mar 12), B 2 (Mar 20) -> 3.0; after A 5 (Apr 11) -> 5.0.
TX = [("A", "2024-02-10", 10.0), ("A", "2024-03-10", 10.0), ("A", "2024-04-10", 10.0),
      ("B", "2024-02-15", 10.0), ("B", "2024-03-15", 10.0), ("C", "2024-02-20", 10.0),
      ("D", "2024-03-20", 10.0), ("D", "2024-04-20", 10.0), ("C", "2024-03-05", -10.0)]  # a return is not activity
ANSWERS = [("A", "2024-03-12 10:00", 4), ("B", "2024-03-20 09:00", 2), ("A", "2024-04-11 16:00", 5),
           ("D", "2024-01-05 10:00", 1)]  # outside both windows


def test_before_after_evaluation_on_a_fixture(con):
    tx = pd.DataFrame(TX, columns=["customer_id", "order_date", "amount"])
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    answers = pd.DataFrame(ANSWERS, columns=["customer_id", "interaction_at", "satisfaction"])
    answers["interaction_at"] = pd.to_datetime(answers["interaction_at"])
    datasets.store_frame(con, "eval", "transactions", tx)
    datasets.store_frame(con, "eval", "interactions", answers)
    dataset = datasets.get_dataset(con, "eval").dataset_id
    tiers = pd.Series({"A": "core", "B": "core", "C": "core", "D": "potential"})
    clv_before = pd.Series({"A": 100.0, "B": 50.0, "C": 0.0, "D": 30.0})
    clv_after = pd.Series({"A": 120.0, "B": 10.0, "C": 0.0, "D": 40.0})
    frame = cap.evaluate_settings_change(con, dataset, "2024-04-01", tiers, window_days=30,
                                         clv_before=clv_before, clv_after=clv_after)
    assert tuple(frame.columns) == cap.EVALUATION_COLUMNS
    got = frame.set_index(["tier", "period"])
    assert got.loc[("core", "before"), "window_start"] == pd.Timestamp("2024-03-02")
    assert got.loc[("core", "after"), "window_end"] == pd.Timestamp("2024-04-30")
    assert got.loc[("core", "before"), ["base_customers", "churned_customers"]].tolist() == [3, 1]
    assert got.loc[("core", "before"), "churn_rate"] == pytest.approx(1 / 3)
    assert got.loc[("core", "after"), "churn_rate"] == pytest.approx(1 / 2)
    assert np.isnan(got.loc[("potential", "before"), "churn_rate"])
    assert got.loc[("potential", "after"), "churn_rate"] == 0
    assert got.loc[("core", "before"), "satisfaction_mean"] == pytest.approx(3.0)
    assert got.loc[("core", "after"), "satisfaction_mean"] == pytest.approx(5.0)
    assert np.isnan(got.loc[("potential", "after"), "satisfaction_mean"])
    assert got.loc[("core", "before"), "clv_mean"] == pytest.approx(50.0)
    assert got.loc[("core", "after"), "clv_mean"] == pytest.approx(130 / 3)
    # the data end on 2024-04-20: the after window (to Apr 30) is still running
    assert got["is_complete"].to_dict() == {k: k[1] == "before" for k in got.index}


def test_window_mart_follows_its_contract_and_docs(con):
    frame = db.query(con, "mart_capacity_window_activity", dataset_id=1, change_date="2024-04-01", window_days=30)
    assert tuple(frame.columns) == cap.WINDOW_COLUMNS
    for name, contract in (("mart_capacity_window_activity", cap.WINDOW_COLUMNS),
                           ("mart_capacity_owners", cap.OWNER_COLUMNS)):
        assert all(f"--   {column} " in db.sql_text(name) for column in contract), name


def test_suggested_quotas_hold_the_current_book_with_headroom(con):
    # 3 managers own 10 + 20 + 30 = 60 core customers: 60 / 3 x 1.1 = 22 -> rounded up to 25;
    # 150 potential customers: 150 / 3 x 1.1 = 55 -> 55; nobody owns a low-value customer.
    owners = pd.DataFrame({"customer_id": [f"c{i}" for i in range(211)],
                           "account_manager": ["A"] * 60 + ["B"] * 70 + ["C"] * 80 + [None],
                           "region": ["East"] * 211})
    tiers = pd.Series(["core"] * 10 + ["potential"] * 50 + ["core"] * 20 + ["potential"] * 50
                      + ["core"] * 30 + ["potential"] * 50 + ["low-value"],
                      index=owners["customer_id"].to_numpy())
    assert cap.suggested_quotas(owners, tiers) == {"core": 25, "potential": 55}
    settings = cap.get_settings(con, 1, cap.suggested_quotas(owners, tiers)).set_index("tier")
    assert settings.loc["core", "max_customers_per_manager"] == 25 and settings.loc["core", "is_default"]
    assert settings.loc["low-value", "max_customers_per_manager"] == \
        cap.DEFAULT_SETTINGS["low-value"].max_customers_per_manager
    cap.save_settings(con, 1, {"core": cap.TierSettings(10, 4, 100.0)})
    saved = cap.get_settings(con, 1, {"core": 25}).set_index("tier")
    assert saved.loc["core", "max_customers_per_manager"] == 10 and not saved.loc["core", "is_default"]
