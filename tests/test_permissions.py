"""Permissions below the UI (issue 14, rows 4 and 5): every write in custlib checks the actor's role,
a refusal changes nothing and is in the audit log, and a saved plan records who saved it."""
from __future__ import annotations

import pandas as pd
import pytest

from custlib import access, audit, capacity, datasets, db, demo, io
from custlib import simulate as sim
from custlib.errors import PermissionDenied

SALES = "customer_id,order_id,order_date,amount\nc1,o1,2024-01-05,10\nc2,o2,2024-02-06,20\n"


def fingerprint(con) -> dict:
    """What a refused write must leave as it was: the registry, every table's rows, saved plans."""
    tables = ("datasets", "transactions", "imports", "capacity_settings", "capacity_settings_history",
              "sim_scenarios")
    return {table: db.query_df(con, f"select * from {table} order by all").to_csv(index=False) for table in tables}


def writes(tmp_path):
    """(permission, call(con, actor)) for every write function custlib offers."""
    upload = tmp_path / "more.csv"
    upload.write_text(SALES)
    scenario, assumptions = sim.Scenario(budget_amount=1000.0), sim.default_assumptions()
    result = pd.Series({"npv": 1.0, "roi": 0.1})

    def saved_id(con):
        return int(db.query_df(con, "select min(scenario_id) from sim_scenarios").iloc[0, 0])
    return {
        "import": ("can_import_and_delete", lambda con, a: io.import_file(con, upload, dataset="more", actor=a)),
        "load demo": ("can_import_and_delete",
                      lambda con, a: demo.load_demo(con, "demo2", n_customers=1_000, seed=1, actor=a)),
        "rename": ("can_import_and_delete", lambda con, a: datasets.rename_dataset(con, "shop", "renamed", actor=a)),
        "set default": ("can_import_and_delete", lambda con, a: datasets.set_active(con, "shop", actor=a)),
        "delete": ("can_import_and_delete", lambda con, a: datasets.delete_dataset(con, "shop", actor=a)),
        "save quotas": ("can_save_plans", lambda con, a: capacity.save_settings(
            con, datasets.get_dataset(con, "shop").dataset_id, {"core": capacity.TierSettings(5, 6, 100.0)}, actor=a)),
        "save scenario": ("can_save_plans", lambda con, a: sim.save_scenario(
            con, datasets.get_dataset(con, "shop").dataset_id, "plan", scenario, assumptions, result, actor=a)),
        "delete scenario": ("can_save_plans", lambda con, a: sim.delete_scenario(
            con, datasets.get_dataset(con, "shop").dataset_id, saved_id(con), actor=a)),
    }


@pytest.fixture
def shop(con, tmp_path):
    first = tmp_path / "shop.csv"
    first.write_text(SALES)
    io.import_file(con, first, dataset="shop")
    sim.save_scenario(con, datasets.get_dataset(con, "shop").dataset_id, "kept", sim.Scenario(budget_amount=10.0),
                      sim.default_assumptions(), pd.Series({"npv": 0.0}))
    return con


WRITES = ("import", "load demo", "rename", "set default", "delete", "save quotas", "save scenario", "delete scenario")


@pytest.mark.parametrize("role", list(access.ROLES))
@pytest.mark.parametrize("write", WRITES)
def test_each_write_checks_the_role_of_whoever_calls_it(shop, tmp_path, role, write):
    permission, call = writes(tmp_path)[write]
    actor = audit.Actor("someone", role, "app")
    before = fingerprint(shop)
    if access.ROLES[role].allows(permission):
        call(shop, actor)
        latest = audit.entries(shop, 1)[0]
        assert (latest["user_name"], latest["role"]) == ("someone", role) and latest["action"] != "refused"
        return
    with pytest.raises(PermissionDenied, match=f"someone \\({role}\\) may not"):
        call(shop, actor)
    assert fingerprint(shop) == before
    refused = audit.entries(shop, 1)[0]
    assert (refused["action"], refused["user_name"], refused["role"]) == ("refused", "someone", role)
    assert refused["detail"]["permission"] == permission


@pytest.mark.parametrize("write", WRITES)
def test_nobody_signed_in_may_write_and_the_command_line_may(shop, tmp_path, write):
    _, call = writes(tmp_path)[write]
    before = fingerprint(shop)
    with pytest.raises(PermissionDenied, match="Nobody is signed in"):
        call(shop, audit.Actor("-", None, "app"))
    assert fingerprint(shop) == before
    call(shop, audit.Actor("ops", None, "cli"))  # the file's owner, through the command line


def test_saved_plans_record_who_saved_them_and_when(shop):
    dataset_id = datasets.get_dataset(shop, "shop").dataset_id
    marketer = audit.Actor("li", "marketing", "app")
    capacity.save_settings(shop, dataset_id, {"core": capacity.TierSettings(5, 6, 100.0)}, actor=marketer,
                           changed_at="2024-03-01")
    history = capacity.settings_history(shop, dataset_id)
    assert set(history["changed_by"]) == {"li"} and list(history.columns) == list(capacity.HISTORY_COLUMNS)
    scenario_id = sim.save_scenario(shop, dataset_id, "=HYPERLINK(\"x\")", sim.Scenario(budget_amount=5.0),
                                    sim.default_assumptions(), pd.Series({"npv": 1.0}), actor=marketer)
    stored = db.query_df(shop, "select saved_by, created_at from sim_scenarios where scenario_id = ?", [scenario_id])
    assert stored["saved_by"][0] == "li" and pd.notna(stored["created_at"][0])
    actions = [e["action"] for e in audit.entries(shop, 2)]
    assert actions == ["save_plan", "save_plan"]
