"""Every customer's scores as of a date, in one table: who they are, what they are worth, whether they
are leaving, and what to do. What `python -m custlib score` writes and the pages read.

One row per customer with a purchase on or before ``as_of`` (:data:`SCORE_COLUMNS` says what each
column means). The pieces come from the other modules, each fitted on data up to ``as_of`` only:
RFM scores, segment, tier and stage (:mod:`custlib.segments`), probability alive, expected purchases,
the expected next order date and CLV with its interval (:mod:`custlib.valuation`, :mod:`custlib.clv`),
churn probability, value at risk, reasons and action (:mod:`custlib.churn`). The table is also stored
in DuckDB (``customer_scores``, one set per dataset, replaced on every run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from . import churn, clv, db, features as _features, segments, valuation
from .errors import CustlibError

#: Column -> meaning. Money is in the dataset's currency; dates are ISO days.
SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "the customer, as imported",
    "recency_score": "R score 1-5 (5 = bought most recently)",
    "frequency_score": "F score 1-5 (5 = most repeat purchase days)",
    "monetary_score": "M score 1-5 (5 = highest total net spend)",
    "segment": "named RFM segment (docs/models.md)",
    "tier": "value tier by CLV: core (top 20%), potential (next 30%), low-value",
    "stage": "lifecycle stage: new, exploration, development, stability, decline, lost",
    "probability_alive": "probability the customer is still active (purchase model)",
    "expected_purchases": "repeat purchases expected over the horizon (purchase model)",
    "expected_next_order_date": "as-of date plus the median wait to the next purchase if still active",
    "clv": "expected discounted gross margin over the horizon (purchase model + Gamma-Gamma)",
    "clv_lower": "lower bound of the CLV interval (5%, parameter uncertainty)",
    "clv_upper": "upper bound of the CLV interval (95%, parameter uncertainty)",
    "churn_probability": "probability of no purchase in the churn horizon (blank: lapsed, not scored)",
    "value_at_risk": "churn probability x CLV",
    "reason_1": "the strongest reason for the risk, in plain words",
    "reason_2": "the second reason",
    "reason_3": "the third reason",
    "action": "recommended action: win back, nurture, keep warm or let go",
}


@dataclass(frozen=True)
class ScoreSettings:
    """Horizon in model units (default: 52 weeks), model time unit, purchase model, money settings."""
    horizon: float | None = None
    unit: str = "week"
    model: str = "bgnbd"
    margin: float = 0.30
    annual_discount_rate: float = 0.10
    churn_horizon_days: int | None = None
    interval_draws: int = 100
    random_state: int = 0

    @property
    def horizon_units(self) -> float:
        return self.horizon if self.horizon is not None else 12 * clv.DAYS_PER_MONTH / clv.UNIT_DAYS[self.unit]

    @property
    def horizon_months(self) -> int:
        return max(1, int(round(self.horizon_units * clv.UNIT_DAYS[self.unit] / clv.DAYS_PER_MONTH)))

    def value_settings(self) -> valuation.ValueSettings:
        return valuation.ValueSettings(horizon_months=self.horizon_months, margin=self.margin,
                                       annual_discount_rate=self.annual_discount_rate, unit=self.unit,
                                       model=self.model)


@dataclass
class ScoreResult:
    table: pd.DataFrame
    as_of: date
    settings: ScoreSettings
    value: valuation.ValueSnapshot
    churn_report: churn.ChurnReport | None
    equity: float
    equity_lower: float | None
    equity_upper: float | None
    notes: list[str] = field(default_factory=list)


def customer_scores(con, dataset_id: int, as_of, settings: ScoreSettings | None = None) -> ScoreResult:
    """Score every customer as of ``as_of`` (see the module docstring). Nothing after ``as_of`` is read."""
    settings = settings or ScoreSettings()
    if settings.unit not in clv.UNIT_DAYS:
        raise CustlibError(f"unit must be one of {', '.join(clv.UNIT_DAYS)}.")
    if not settings.horizon_units > 0:
        raise CustlibError("The horizon must be a positive number of time units.")
    as_of = _features.as_date(as_of)
    value = valuation.value_customers(con, dataset_id, as_of, settings.value_settings())
    notes = list(value.notes)
    customers = value.customers
    unit_days = clv.UNIT_DAYS[settings.unit]
    x, tx, T = (customers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    expected = np.asarray(value.purchase_model.predict_purchases(settings.horizon_units, x, tx, T), dtype=float)
    wait_units = np.asarray(value.purchase_model.median_time_to_next_purchase(x, tx, T), dtype=float)
    next_dates = pd.Timestamp(as_of) + pd.to_timedelta(np.round(wait_units * unit_days), unit="D")

    lower = upper = None
    equity_lower = equity_upper = None
    if value.spend_model is not None and settings.interval_draws > 0:
        try:
            estimate = clv.clv_with_uncertainty(
                value.purchase_model, value.spend_model, x, tx, T, customers["monetary_value"].to_numpy(float),
                horizon_months=settings.horizon_months, margin=settings.margin,
                annual_discount_rate=settings.annual_discount_rate, unit_days=unit_days,
                spend_frequency=_spend_frequency(con, dataset_id, as_of, settings.unit, customers.index),
                n_draws=settings.interval_draws, random_state=settings.random_state)
            lower = estimate.customers["clv_lower"].to_numpy(float)
            upper = estimate.customers["clv_upper"].to_numpy(float)
            equity_lower, equity_upper = estimate.equity_lower, estimate.equity_upper
        except (clv.FitFailed, clv.InvalidSummary, np.linalg.LinAlgError, ValueError) as exc:
            notes.append(f"No CLV interval: {exc}")
    else:
        notes.append("No CLV interval: the spend model was not fitted.")

    groups = segments.customer_segments(con, dataset_id, as_of, clv=customers["clv"],
                                        p_alive=customers["probability_alive"]).set_index("customer_id")
    groups = groups.reindex(customers.index)
    table = pd.DataFrame({
        "customer_id": customers.index.to_numpy(),
        "recency_score": groups["r_score"].to_numpy(),
        "frequency_score": groups["f_score"].to_numpy(),
        "monetary_score": groups["m_score"].to_numpy(),
        "segment": groups["segment"].astype(str).to_numpy(),
        "tier": groups["tier"].astype(str).to_numpy(),
        "stage": groups["stage"].astype(str).to_numpy(),
        "probability_alive": customers["probability_alive"].to_numpy(float),
        "expected_purchases": expected,
        "expected_next_order_date": next_dates.date,
        "clv": customers["clv"].to_numpy(float),
        "clv_lower": lower if lower is not None else np.nan,
        "clv_upper": upper if upper is not None else np.nan,
    })

    report = None
    try:
        current = _features.customer_features(con, dataset_id, as_of)   # once: the horizon rule and the scores
        frames = churn.training_frames(con, dataset_id, as_of, horizon_days=settings.churn_horizon_days,
                                       value_settings=settings.value_settings(), current_features=current)
        model = churn.ChurnModel(random_state=settings.random_state).fit(frames)
        report = model.report_
        risk = churn.score_customers(model, current, value)
        risk = risk.set_index("customer_id")[["churn_probability", "value_at_risk", "reason_1", "reason_2",
                                               "reason_3", "action"]]
        table = table.join(risk, on="customer_id")
        lapsed = table["churn_probability"].isna()
        if lapsed.any():
            notes.append(f"{int(lapsed.sum()):,} customers bought nothing in the last {model.active_days_} days: "
                         f"they are lapsed, not scored for churn.")
            table.loc[lapsed, "reason_1"] = f"no purchase in the last {model.active_days_} days: already lapsed"
            table.loc[lapsed, "action"] = churn.recommend_actions(
                np.ones(int(lapsed.sum())), table.loc[lapsed, "tier"].to_numpy(), table.loc[lapsed, "stage"].to_numpy())
    except CustlibError as exc:
        notes.append(f"No churn scores: {exc}")
        for column in ("churn_probability", "value_at_risk", "reason_1", "reason_2", "reason_3", "action"):
            table[column] = np.nan if column in ("churn_probability", "value_at_risk") else None
    table["action"] = table["action"].astype(object)
    table = table[list(SCORE_COLUMNS)].sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    return ScoreResult(table=table, as_of=as_of, settings=settings, value=value, churn_report=report,
                       equity=float(table["clv"].sum()), equity_lower=equity_lower, equity_upper=equity_upper,
                       notes=notes)


def _spend_frequency(con, dataset_id: int, as_of: date, unit: str, index: pd.Index) -> np.ndarray:
    summary = clv.summary_as_of(con, dataset_id, as_of, unit=unit).set_index("customer_id")
    return summary["spend_frequency"].reindex(index).to_numpy(float)


# --- storage -----------------------------------------------------------------------------------

_TYPES = db.SCORE_COLUMNS


def store_scores(con, dataset_id: int, result: ScoreResult) -> int:
    """Replace the dataset's stored scores with ``result``; all or nothing. Returns the rows stored."""
    frame = result.table.copy()
    with db.write_transaction(con) as cur:
        cur.execute("delete from customer_scores where dataset_id = ?", [int(dataset_id)])
        cur.register("scores_frame", frame)
        try:
            select = ", ".join(f"cast({name} as {kind})" for name, kind in _TYPES.items())
            cur.execute(f"insert into customer_scores (dataset_id, as_of, {', '.join(_TYPES)}) "
                        f"select ?, ?, {select} from scores_frame", [int(dataset_id), result.as_of])
        finally:
            cur.unregister("scores_frame")
    return len(frame)


def stored_scores(con, dataset_id: int) -> pd.DataFrame:
    """The dataset's stored scores (empty when none were stored)."""
    return db.query_df(con, "select * exclude (dataset_id) from customer_scores where dataset_id = ? "
                            "order by customer_id", [int(dataset_id)])


def write_scores(result: ScoreResult, path) -> None:
    """Write the score table to .csv (formula-safe text cells) or .parquet."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        result.table.to_parquet(path, index=False)
    elif suffix == ".csv":
        from .export import csv_bytes

        path.write_bytes(csv_bytes(result.table))
    else:
        raise CustlibError(f"--out must end in .csv or .parquet, not {suffix or 'nothing'}.")
