"""Who each customer is, what they are worth, whether they are leaving and what to do: the one
per-customer table.

The pages (cached by ``ui.data`` and ``ui.decisions``), the command line's ``score`` and every export read
what this module builds; nothing else puts a per-customer table together, so a customer's tier, stage and
action are the same wherever they are shown. Three steps, each usable alone because the pages draw the
first before the churn model is ready:

1. :func:`value_table`: RFM scores and segment, lifecycle stage, value tier, the purchase model's columns
   (P(alive), expected purchases and spend, CLV), trailing revenue and revenue at risk, for every customer
   with an order line on or before the as-of date.
2. :func:`churn_table`: the churn model, fitted on windows that end on the as-of date, scoring the active
   customers; tier and stage come from the value table, the action follows them.
3. :func:`customer_table`: both, with the CLV interval and the expected next order date: the columns of
   :data:`SCORE_COLUMNS`, what ``python -m custlib score`` writes.

:class:`CustomerBook` holds the steps' results for one dataset, date and set of value settings, each made on
first use and kept, so a caller (the app's cache, the score command) asks for what it shows and nothing is
computed twice. Nothing after the as-of date is read by any step.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from . import capacity, churn, clv, db, features as _features, findings, segments, valuation
from .errors import CustlibError

#: The purchase model's columns the value table carries.
MODEL_COLUMNS = ("probability_alive", "expected_purchases", "expected_spend", "clv")

#: Column -> meaning of :func:`customer_table`. Money is in the dataset's currency; dates are ISO days.
SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "the customer, as imported",
    "recency_score": "R score 1-5 (5 = bought most recently)",
    "frequency_score": "F score 1-5 (5 = most repeat purchase days)",
    "monetary_score": "M score 1-5 (5 = highest total net spend)",
    "segment": "named RFM segment (docs/models.md)",
    "tier": "value tier by CLV among all customers: core (top 20%), potential (next 30%), low-value",
    "stage": "lifecycle stage: new, exploration, development, stability, decline, lost",
    "probability_alive": "probability the customer is still active (purchase model)",
    "expected_purchases": "repeat purchases expected over the horizon (purchase model)",
    "expected_next_order_date": "as-of date plus the median wait to the next purchase if still active",
    "clv": "expected discounted gross margin over the horizon (purchase model + Gamma-Gamma)",
    "clv_lower": "lower bound of the CLV interval (5%, parameter uncertainty)",
    "clv_upper": "upper bound of the CLV interval (95%, parameter uncertainty)",
    "churn_probability": "probability of no purchase in the churn horizon (blank: lapsed, not scored)",
    "value_at_risk": "churn probability x CLV",
    **churn.REASON_COLUMNS,  # codes here and in the database; words in the file the CLI writes
    "action": "recommended action: win back, nurture, keep warm or let go",
}
CHURN_COLUMNS = ("churn_probability", "value_at_risk", *churn.reason_columns(), "action")


def value_table(con, dataset_id: int, as_of, value: valuation.ValueSnapshot | None) -> pd.DataFrame:
    """Step 1: everything known per customer without the churn model, indexed by customer_id.

    Columns: r_score, f_score, m_score, segment and the other RFM columns, stage (with P(alive) from the
    model), tier (CLV ranked among all customers; missing without a model), :data:`MODEL_COLUMNS`,
    trailing_revenue_amount (net, the :data:`custlib.findings.AT_RISK_WINDOW_DAYS` days ending ``as_of``) and
    revenue_at_risk_amount ((1 - P(alive)) x trailing revenue). ``value`` None (no model could be fitted):
    stages from recency alone, no CLV and no tiers. A customer with only returns has no model row: CLV 0,
    P(alive) missing.
    """
    as_of = _features.as_date(as_of)
    values = (value.customers if value is not None
              else pd.DataFrame(columns=list(MODEL_COLUMNS), dtype=float))
    frame = segments.customer_segments(con, dataset_id, as_of, p_alive=values["probability_alive"])
    frame = frame.set_index("customer_id").join(values[list(MODEL_COLUMNS)])
    if value is None:
        frame["tier"] = pd.Categorical([None] * len(frame), categories=segments.TIERS, ordered=True)
    else:
        frame["clv"] = frame["clv"].fillna(0.0)
        frame["tier"] = segments.value_tiers(frame["clv"]).to_numpy()
    trailing = db.query(con, "mart_trailing_revenue", dataset_id=int(dataset_id), as_of=as_of,
                        days=findings.AT_RISK_WINDOW_DAYS).set_index("customer_id")["trailing_revenue_amount"]
    frame["trailing_revenue_amount"] = trailing.reindex(frame.index).fillna(0.0)
    frame["revenue_at_risk_amount"] = findings.revenue_at_risk(
        frame["probability_alive"].dropna(), frame["trailing_revenue_amount"]).reindex(frame.index).fillna(0.0)
    frame.attrs.update(as_of=as_of)
    return frame


def churn_table(con, dataset_id: int, as_of, value_settings: valuation.ValueSettings,
                value: valuation.ValueSnapshot, table: pd.DataFrame, current_features: pd.DataFrame | None = None,
                horizon_days: int | None = None, random_state: int = 0
                ) -> tuple[pd.DataFrame, churn.ChurnReport, churn.ChurnModel]:
    """Step 2: churn probability, value at risk, reasons and action of every customer active on ``as_of``.

    ``table`` is :func:`value_table` of the same date and ``value``: tier and stage are taken from it (so
    they match every other page) and the action follows them (:func:`custlib.churn.recommend_actions`).
    ``current_features``: the features as of ``as_of`` when already read; ``horizon_days``: the churn
    horizon (None: the rule of :func:`custlib.churn.default_horizon_days`). Returns the scores (columns of
    :data:`custlib.churn.SCORE_COLUMNS`, largest value at risk first), the model's report and the model.
    Raises CustlibError when the history is too short for a churn model.
    """
    as_of = _features.as_date(as_of)
    if current_features is None:
        current_features = _features.customer_features(con, dataset_id, as_of)
    frames = churn.training_frames(con, dataset_id, as_of, horizon_days=horizon_days,
                                   value_settings=value_settings, current_features=current_features)
    model = churn.ChurnModel(random_state=random_state).fit(frames)
    scores = churn.score_customers(model, current_features, value)
    ids = scores["customer_id"].to_numpy()
    scores["tier"] = pd.Categorical(table["tier"].reindex(ids).astype(object).fillna(capacity.NO_TIER),
                                    categories=segments.TIERS, ordered=True)
    scores["stage"] = pd.Categorical(table["stage"].reindex(ids).astype(object).fillna("lost"),
                                     categories=segments.STAGES, ordered=True)
    scores["action"] = pd.Categorical(churn.recommend_actions(scores["churn_probability"], scores["tier"],
                                                              scores["stage"]), categories=churn.ACTIONS)
    return scores, model.report_, model


class CustomerBook:
    """Every per-customer result of one dataset as of one date under one set of value settings, each made on
    first use and kept: the model choice (when the settings say "auto"), the value snapshot, the features,
    the value table and the churn scores.

    Results are shared, not copied: callers must not change them in place. A result that failed keeps its
    error, so asking again raises it again without recomputing. Safe to share between threads (one lock).
    """

    def __init__(self, con, dataset_id: int, as_of, settings: valuation.ValueSettings):
        self.con, self.dataset_id = con, int(dataset_id)
        self.as_of, self.settings = _features.as_date(as_of), settings
        self._lock = threading.RLock()
        self._made: dict[str, object] = {}

    def _once(self, name: str, make):
        with self._lock:
            if name not in self._made:
                try:
                    self._made[name] = make()
                except CustlibError as exc:
                    self._made[name] = exc
            made = self._made[name]
        if isinstance(made, CustlibError):
            raise made
        return made

    def model_choice(self) -> valuation.ModelChoice:
        """Which purchase model predicts best on a holdout inside the history (three models fitted)."""
        return self._once("model_choice", lambda: valuation.choose_purchase_model(
            self.con, self.dataset_id, self.as_of, self.settings.unit))

    def value(self) -> valuation.ValueSnapshot:
        """The value snapshot; with model "auto", of the model :meth:`model_choice` picks. Raises CustlibError
        when no model can be fitted on these data."""
        def make():
            settings = self.settings
            if settings.model == "auto":
                settings = replace(settings, model=self.model_choice().selected)
            return valuation.value_customers(self.con, self.dataset_id, self.as_of, settings)
        return self._once("value", make)

    def value_or_none(self) -> valuation.ValueSnapshot | None:
        try:
            return self.value()
        except CustlibError:
            return None

    def features(self) -> pd.DataFrame:
        """custlib.features.customer_features as of the date (ordered by customer_id)."""
        return self._once("features", lambda: _features.customer_features(self.con, self.dataset_id, self.as_of))

    def value_table(self) -> pd.DataFrame:
        """:func:`value_table` (every customer, indexed by customer_id)."""
        return self._once("value_table", lambda: value_table(self.con, self.dataset_id, self.as_of,
                                                             self.value_or_none()))

    def churn(self, horizon_days: int | None = None, random_state: int = 0
              ) -> tuple[pd.DataFrame, churn.ChurnReport, churn.ChurnModel]:
        """:func:`churn_table` on the kept value snapshot, value table and features. Raises CustlibError when
        the history is too short for a churn model (or no value model can be fitted)."""
        return self._once(f"churn-{horizon_days}-{random_state}", lambda: churn_table(
            self.con, self.dataset_id, self.as_of, self.settings, self.value(), self.value_table(),
            current_features=self.features(), horizon_days=horizon_days, random_state=random_state))


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


def customer_table(con, dataset_id: int, as_of, settings: ScoreSettings | None = None) -> ScoreResult:
    """Step 3: every customer's scores as of ``as_of``, columns :data:`SCORE_COLUMNS`, one row per customer
    of :func:`value_table` (ordered by customer_id). Nothing after ``as_of`` is read."""
    settings = settings or ScoreSettings()
    if settings.unit not in clv.UNIT_DAYS:
        raise CustlibError(f"unit must be one of {', '.join(clv.UNIT_DAYS)}.")
    if not settings.horizon_units > 0:
        raise CustlibError("The horizon must be a positive number of time units.")
    book = CustomerBook(con, dataset_id, as_of, settings.value_settings())
    as_of, value = book.as_of, book.value()
    notes = list(value.notes)
    values = value.customers
    unit_days = clv.UNIT_DAYS[settings.unit]
    x, tx, T = (values[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    expected = np.asarray(value.purchase_model.predict_purchases(settings.horizon_units, x, tx, T), dtype=float)
    wait_units = np.asarray(value.purchase_model.median_time_to_next_purchase(x, tx, T), dtype=float)
    next_dates = pd.Series((pd.Timestamp(as_of) + pd.to_timedelta(np.round(wait_units * unit_days), unit="D")).date,
                           index=values.index)
    lower, upper, equity_lower, equity_upper = _clv_interval(con, dataset_id, as_of, settings, value, notes)

    base = book.value_table()
    table = pd.DataFrame({
        "customer_id": base.index.to_numpy(),
        "recency_score": base["r_score"].to_numpy(),
        "frequency_score": base["f_score"].to_numpy(),
        "monetary_score": base["m_score"].to_numpy(),
        "segment": base["segment"].astype(str).to_numpy(),
        "tier": base["tier"].astype(object).fillna(capacity.NO_TIER).astype(str).to_numpy(),
        "stage": base["stage"].astype(str).to_numpy(),
        "probability_alive": base["probability_alive"].to_numpy(float),
        "expected_purchases": pd.Series(expected, index=values.index).reindex(base.index).to_numpy(),
        "expected_next_order_date": next_dates.reindex(base.index).to_numpy(),
        "clv": base["clv"].to_numpy(float),
        "clv_lower": lower.reindex(base.index).to_numpy() if lower is not None else np.nan,
        "clv_upper": upper.reindex(base.index).to_numpy() if upper is not None else np.nan,
    })

    report = None
    try:
        risk, report, model = book.churn(settings.churn_horizon_days, settings.random_state)
        risk = risk.set_index("customer_id")[list(CHURN_COLUMNS)]
        risk["action"] = risk["action"].astype(object)
        table = table.join(risk, on="customer_id")
        lapsed = table["churn_probability"].isna()
        if lapsed.any():
            notes.append(f"{int(lapsed.sum()):,} customers bought nothing in the last {model.active_days_} days: "
                         f"they are lapsed, not scored for churn.")
            table.loc[lapsed, "reason_1"] = "reason_lapsed"
            table.loc[lapsed, "reason_1_a"] = float(model.active_days_)
            table.loc[lapsed, "action"] = churn.recommend_actions(
                np.ones(int(lapsed.sum())), table.loc[lapsed, "tier"].to_numpy(), table.loc[lapsed, "stage"].to_numpy())
    except CustlibError as exc:
        notes.append(f"No churn scores: {exc}")
        for column in CHURN_COLUMNS:
            table[column] = None if column == "action" or column.endswith(("_1", "_2", "_3")) else np.nan
    table["action"] = table["action"].astype(object)
    table = table[list(SCORE_COLUMNS)].sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    return ScoreResult(table=table, as_of=as_of, settings=settings, value=value, churn_report=report,
                       equity=float(table["clv"].sum()), equity_lower=equity_lower, equity_upper=equity_upper,
                       notes=notes)


def _clv_interval(con, dataset_id, as_of, settings, value, notes):
    """Per-customer CLV bounds (Series by customer id) and equity bounds, or Nones with a note why not."""
    if value.spend_model is None or settings.interval_draws <= 0:
        notes.append("No CLV interval: the spend model was not fitted.")
        return None, None, None, None
    values = value.customers
    summary = clv.summary_as_of(con, dataset_id, as_of, unit=settings.unit).set_index("customer_id")
    x, tx, T = (values[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    try:
        estimate = clv.clv_with_uncertainty(
            value.purchase_model, value.spend_model, x, tx, T, values["monetary_value"].to_numpy(float),
            horizon_months=settings.horizon_months, margin=settings.margin,
            annual_discount_rate=settings.annual_discount_rate, unit_days=clv.UNIT_DAYS[settings.unit],
            spend_frequency=summary["spend_frequency"].reindex(values.index).to_numpy(float),
            n_draws=settings.interval_draws, random_state=settings.random_state)
    except (clv.FitFailed, clv.InvalidSummary, np.linalg.LinAlgError, ValueError) as exc:
        notes.append(f"No CLV interval: {exc}")
        return None, None, None, None
    bounds = estimate.customers
    return (pd.Series(bounds["clv_lower"].to_numpy(float), index=values.index),
            pd.Series(bounds["clv_upper"].to_numpy(float), index=values.index),
            estimate.equity_lower, estimate.equity_upper)
