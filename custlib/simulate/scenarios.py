"""Plans kept for later: scenarios stored in DuckDB (table ``sim_scenarios``) with their assumptions and
result, listed, loaded, compared side by side (and exported as CSV by the caller) and deleted.

Saving and deleting need the ``can_save_plans`` permission and are written to the audit log.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd

from .. import audit, db
from ..errors import CustlibError
from .assumptions import Assumptions
from .curves import ALL_CUSTOMERS, ResponseCurves
from .levers import RESULT_COLUMNS, Scenario, simulate


SCENARIO_LIST_COLUMNS = ("scenario_id", "name", "created_at", "as_of", "budget_amount", "promo_share",
                         "target_segments", "horizon_months", "quarter_incremental_revenue", "incremental_value",
                         "npv", "roi")


def save_scenario(con, dataset_id: int, name: str, scenario: Scenario, assumptions: Assumptions,
                  result: pd.Series | None = None, as_of=None, curves: ResponseCurves | None = None,
                  actor=None) -> int:
    """Store a scenario with its assumptions and result (computed from ``curves`` when ``result`` is
    None) for dataset ``dataset_id``; returns its ``scenario_id``. ``as_of`` is the snapshot date.

    ``actor`` (a custlib.audit.Actor; None: this process's user) needs ``can_save_plans``; it is stored as
    the scenario's author (``saved_by``, with ``created_at``) and the save is in the audit log."""
    actor = actor or audit.Actor.this_process()
    audit.authorize(con, actor, "can_save_plans", "save a simulator scenario")
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 200:
        raise CustlibError(code="error_scenario_name")
    if result is None:
        if curves is None:
            raise ValueError("save_scenario needs the result or the curves to compute it.")
        result = simulate(curves, scenario, assumptions)
    payload = {name: (None if pd.isna(value) else float(value)) for name, value in result.items()}
    with db.write_transaction(con) as cur:
        row = cur.execute(
            "insert into sim_scenarios (dataset_id, name, as_of, scenario, assumptions, result, saved_by) "
            "values (?, ?, ?, ?, ?, ?, ?) returning scenario_id",
            [int(dataset_id), cleaned, None if as_of is None else pd.Timestamp(as_of).date(),
             json.dumps(asdict(scenario)), json.dumps(assumptions.to_dict()), json.dumps(payload),
             actor.user]).fetchall()
        audit.record(cur, actor, "save_plan", dataset_id=int(dataset_id),
                     detail={"plan": "scenario", "scenario_id": int(row[0][0]), "name": cleaned})
    return int(row[0][0])


def list_scenarios(con, dataset_id: int) -> pd.DataFrame:
    """Stored scenarios of a dataset, newest first: :data:`SCENARIO_LIST_COLUMNS` (``target_segments``
    joined by ", ", empty meaning all customers)."""
    raw = db.query_df(con, "select scenario_id, name, created_at, as_of, scenario, result from sim_scenarios "
                           "where dataset_id = ? order by created_at desc, scenario_id desc", [int(dataset_id)])
    rows = []
    for record in raw.itertuples(index=False):
        scenario, result = json.loads(record.scenario), json.loads(record.result)
        rows.append({"scenario_id": int(record.scenario_id), "name": record.name, "created_at": record.created_at,
                     "as_of": record.as_of, "budget_amount": scenario["budget_amount"],
                     "promo_share": scenario["promo_share"],
                     "target_segments": ", ".join(scenario["target_segments"]),
                     "horizon_months": scenario["horizon_months"],
                     **{k: result.get(k) for k in ("quarter_incremental_revenue", "incremental_value", "npv", "roi")}})
    return pd.DataFrame(rows, columns=list(SCENARIO_LIST_COLUMNS))


def load_scenario(con, dataset_id: int, scenario_id: int) -> tuple[str, Scenario, Assumptions, pd.Series]:
    """(name, scenario, assumptions, result) of a stored scenario."""
    rows = db.query_df(con, "select name, scenario, assumptions, result from sim_scenarios "
                            "where dataset_id = ? and scenario_id = ?", [int(dataset_id), int(scenario_id)])
    if rows.empty:
        raise CustlibError(code="error_no_scenario", params={"scenario_id": scenario_id})
    record = rows.iloc[0]
    scenario = json.loads(record["scenario"])
    scenario["target_segments"] = tuple(scenario["target_segments"])
    result = pd.Series({k: (np.nan if v is None else v) for k, v in json.loads(record["result"]).items()},
                       name="result", dtype=float)
    return (record["name"], Scenario(**scenario), Assumptions.from_dict(json.loads(record["assumptions"])), result)


def delete_scenario(con, dataset_id: int, scenario_id: int, actor=None) -> None:
    """Delete a stored scenario (``actor`` needs ``can_save_plans``; the deletion is in the audit log)."""
    audit.authorize(con, actor, "can_save_plans", "delete a simulator scenario")
    with db.write_transaction(con) as cur:
        deleted = cur.execute("delete from sim_scenarios where dataset_id = ? and scenario_id = ?",
                              [int(dataset_id), int(scenario_id)]).fetchall()[0][0]
        if deleted:
            audit.record(cur, actor, "delete_plan", dataset_id=int(dataset_id),
                         detail={"plan": "scenario", "scenario_id": int(scenario_id)})


def compare_scenarios(con, dataset_id: int, scenario_ids) -> pd.DataFrame:
    """Stored scenarios side by side: one column per scenario (``"<id>: <name>"``), rows the inputs
    (budget_amount, promo_share, target_segments, horizon_months, margin, annual_discount_rate), the
    results (:data:`RESULT_COLUMNS`) and the assumption values (``assumption: <name>``)."""
    columns = {}
    for scenario_id in scenario_ids:
        name, scenario, assumptions, result = load_scenario(con, dataset_id, scenario_id)
        inputs = asdict(scenario)
        inputs["target_segments"] = ", ".join(scenario.target_segments) or ALL_CUSTOMERS
        values = {**inputs, **{k: result.get(k, np.nan) for k in RESULT_COLUMNS},
                  **{f"assumption: {k}": getattr(assumptions, k) for k in Assumptions.names()}}
        columns[f"{scenario_id}: {name}"] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(columns)
    frame.index.name = "item"
    return frame

