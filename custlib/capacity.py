"""Retention capacity planning (保有量): can the account managers hold the customers worth keeping?

(Longer than the ~400 lines a module aims for: the four questions below share the settings table and
the tier rules; each is about 100 lines.)

It answers four questions, by value tier (core / potential / low-value, from predicted CLV through
:func:`custlib.segments.value_tiers`):

* What may each manager hold? Settings per tier -- the most customers one manager may own, the service
  level (contacts per quarter per customer) and the retention budget per customer (currency) -- stored
  in DuckDB with a history of every change (:func:`get_settings`, :func:`save_settings`,
  :func:`settings_history`).
* What does each manager hold against those quotas (:func:`holdings`: over / within / under)?
* Which valuable customers are at risk and badly covered (:func:`at_risk_customers`: core tier, high
  churn risk, no owner or an owner over quota), and who should take them (:func:`suggest_reassignment`:
  greedy, most value at risk first, never over a quota, same region preferred)?
* Did a settings change help (:func:`evaluate_settings_change`: churn rate, satisfaction and CLV per
  tier in equal windows before and after the change date)?

Churn risk is an argument everywhere (a Series of probabilities indexed by customer_id), so any churn
model can be plugged in; :func:`default_churn_risk` is 1 - P(alive) from the value snapshot.
Value at risk = CLV x churn risk (currency): the predicted value that leaves if the risk comes true.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from . import audit, db
from .contracts import checked
from .errors import CustlibError
from .segments import TIERS, value_tiers

__all__ = [
    "TierSettings", "DEFAULT_SETTINGS", "get_settings", "save_settings", "settings_history",
    "customer_owners", "customer_tiers", "suggested_quotas", "default_churn_risk", "holdings", "at_risk_customers",
    "suggest_reassignment", "evaluate_settings_change",
]


@dataclass(frozen=True)
class TierSettings:
    """What one tier asks of an account manager.

    max_customers_per_manager: the quota, customers of this tier one manager may own.
    contacts_per_quarter: service level, planned contacts per customer per quarter.
    retention_budget_amount: retention budget per customer per quarter (currency).
    """

    max_customers_per_manager: int
    contacts_per_quarter: float
    retention_budget_amount: float

    def __post_init__(self):
        if int(self.max_customers_per_manager) != self.max_customers_per_manager or self.max_customers_per_manager < 0:
            raise ValueError(f"max_customers_per_manager must be a whole number >= 0; "
                             f"got {self.max_customers_per_manager!r}.")
        for name in ("contacts_per_quarter", "retention_budget_amount"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0; got {value!r}.")
        object.__setattr__(self, "max_customers_per_manager", int(self.max_customers_per_manager))


SETTING_FIELDS = tuple(f.name for f in fields(TierSettings))
#: In effect until a dataset's settings are saved.
DEFAULT_SETTINGS = {
    "core": TierSettings(max_customers_per_manager=40, contacts_per_quarter=6, retention_budget_amount=300.0),
    "potential": TierSettings(max_customers_per_manager=80, contacts_per_quarter=3, retention_budget_amount=100.0),
    "low-value": TierSettings(max_customers_per_manager=200, contacts_per_quarter=1, retention_budget_amount=20.0),
}
SETTINGS_COLUMNS = ("tier",) + SETTING_FIELDS + ("updated_at", "is_default")
#: Room left above the current average book when a quota is suggested from the data.
SUGGESTED_HEADROOM = 1.10
HISTORY_COLUMNS = ("change_id", "changed_at", "changed_by", "tier", "setting", "old_value", "new_value", "note")
OWNER_COLUMNS = ("customer_id", "account_manager", "region")
HOLDING_COLUMNS = ("account_manager", "region", "tier", "customers", "quota", "spare", "utilisation", "status",
                   "contacts_per_quarter", "retention_budget_amount")
AT_RISK_COLUMNS = ("customer_id", "account_manager", "region", "tier", "clv", "churn_risk", "value_at_risk", "reason")
REASSIGNMENT_COLUMNS = ("step", "customer_id", "tier", "region", "from_manager", "to_manager", "to_region",
                        "same_region", "value_at_risk", "clv", "churn_risk", "reason")
EVALUATION_COLUMNS = ("tier", "period", "window_start", "window_end", "customers", "base_customers",
                      "churned_customers", "churn_rate", "satisfaction_responses", "satisfaction_mean", "clv_mean",
                      "is_complete")
WINDOW_COLUMNS = ("customer_id", "is_active_base", "is_active_before", "is_active_after", "satisfaction_before_sum",
                  "satisfaction_before_count", "satisfaction_after_sum", "satisfaction_after_count")
NO_TIER = "low-value"


# --- settings -----------------------------------------------------------------------------------------


def suggested_quotas(owners: pd.DataFrame, tiers: pd.Series, headroom: float = SUGGESTED_HEADROOM) -> dict[str, int]:
    """Customers per account manager that would hold each tier's owned customers evenly, plus ``headroom``.

    For tier k: ceil(owned customers in k / managers x headroom), rounded up to a round number (5, 10 or
    50). A starting point where the data can tell, so the first view shows who is above the average book
    rather than everyone over an arbitrary default; tiers nobody owns keep :data:`DEFAULT_SETTINGS`.
    """
    owned = owners.dropna(subset=["account_manager"])
    managers = owned["account_manager"].nunique()
    counts = tiers.reindex(owned["customer_id"].to_numpy()).value_counts()
    quotas = {}
    for tier in TIERS:
        customers = int(counts.get(tier, 0))
        if managers and customers:
            raw = customers / managers * headroom
            step = 5 if raw < 100 else 10 if raw < 1000 else 50
            quotas[tier] = int(math.ceil(round(raw / step, 9)) * step)  # 55.000000001 is 55
    return quotas


def get_settings(con, dataset_id: int, suggested: dict[str, int] | None = None) -> pd.DataFrame:
    """The settings in effect, one row per tier in :data:`TIERS` order: ``tier``, the
    :class:`TierSettings` fields, ``updated_at`` (NaT for a default) and ``is_default``.

    A tier never saved uses :data:`DEFAULT_SETTINGS`, with the quota from ``suggested`` when given
    (see :func:`suggested_quotas`)."""
    stored = db.query_df(con, f"select tier, {', '.join(SETTING_FIELDS)}, updated_at from capacity_settings "
                              f"where dataset_id = ?", [int(dataset_id)]).set_index("tier")
    rows = []
    for tier in TIERS:
        if tier in stored.index:
            row = stored.loc[tier]
            rows.append({"tier": tier, **{f: row[f] for f in SETTING_FIELDS}, "updated_at": row["updated_at"],
                         "is_default": False})
        else:
            default = asdict(DEFAULT_SETTINGS[tier])
            if suggested and tier in suggested:
                default["max_customers_per_manager"] = int(suggested[tier])
            rows.append({"tier": tier, **default, "updated_at": pd.NaT, "is_default": True})
    frame = pd.DataFrame(rows, columns=list(SETTINGS_COLUMNS))
    frame["max_customers_per_manager"] = frame["max_customers_per_manager"].astype("int64")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"])
    return frame


def _settings_map(settings: pd.DataFrame | dict | None) -> dict[str, TierSettings]:
    if settings is None:
        return dict(DEFAULT_SETTINGS)
    if isinstance(settings, pd.DataFrame):
        frame = settings.set_index("tier") if "tier" in settings.columns else settings
        return {str(tier): TierSettings(**{f: row[f] for f in SETTING_FIELDS}) for tier, row in frame.iterrows()}
    out = {}
    for tier, value in settings.items():
        out[str(tier)] = value if isinstance(value, TierSettings) else TierSettings(**value)
    return out


def save_settings(con, dataset_id: int, settings: dict | pd.DataFrame, changed_at=None, note: str = "",
                  suggested: dict[str, int] | None = None, actor=None) -> pd.DataFrame:
    """Store new settings for some or all tiers (a dict tier -> :class:`TierSettings` or dict of its
    fields, or a frame like :func:`get_settings`) and record every changed value in the history.

    ``changed_at`` (default now) is when the settings take effect. ``suggested``: the quotas in effect for
    tiers never saved (as given to :func:`get_settings`), so a value left as suggested is not a change and
    "before" in the history is what was in effect. Returns the history rows written
    (:data:`HISTORY_COLUMNS`; empty when nothing changed). All or nothing: one write transaction, which
    also writes the audit entry. ``actor`` (a custlib.audit.Actor; None: this process's user) needs the
    ``can_save_plans`` permission and is recorded as the author of each change.
    """
    actor = actor or audit.Actor.this_process()
    audit.authorize(con, actor, "can_save_plans", "save capacity settings")
    new = _settings_map(settings)
    unknown = sorted(set(new) - set(TIERS))
    if unknown:
        raise CustlibError(f"Unknown tier(s) {unknown}: the tiers are {', '.join(TIERS)}.")
    at = pd.Timestamp(changed_at if changed_at is not None else datetime.now()).to_pydatetime()
    current = get_settings(con, dataset_id, suggested).set_index("tier")
    changes = []
    with db.write_transaction(con) as cur:
        for tier, value in new.items():
            for name in SETTING_FIELDS:
                old, fresh = float(current.loc[tier, name]), float(getattr(value, name))
                if old != fresh:
                    changes.append((tier, name, old, fresh))
            if any(c[0] == tier for c in changes):
                cur.execute("delete from capacity_settings where dataset_id = ? and tier = ?", [int(dataset_id), tier])
                cur.execute(f"insert into capacity_settings (dataset_id, tier, {', '.join(SETTING_FIELDS)}, updated_at) "
                            f"values (?, ?, ?, ?, ?, ?)",
                            [int(dataset_id), tier, value.max_customers_per_manager, float(value.contacts_per_quarter),
                             float(value.retention_budget_amount), at])
        ids = []
        for tier, name, old, fresh in changes:
            ids.append(cur.execute(
                "insert into capacity_settings_history (dataset_id, changed_at, changed_by, tier, setting, old_value, "
                "new_value, note) values (?, ?, ?, ?, ?, ?, ?, ?) returning change_id",
                [int(dataset_id), at, actor.user, tier, name, old, fresh, note or None]).fetchall()[0][0])
        if changes:
            audit.record(cur, actor, "save_plan", dataset_id=int(dataset_id),
                         detail={"plan": "capacity settings", "changes": len(changes),
                                 "tiers": sorted({c[0] for c in changes})})
    history = settings_history(con, dataset_id)
    return history[history["change_id"].isin(ids)].reset_index(drop=True)


def settings_history(con, dataset_id: int) -> pd.DataFrame:
    """Every recorded change, oldest first: :data:`HISTORY_COLUMNS` (one row per changed setting;
    ``old_value`` is what was in effect before, the default for a first save)."""
    frame = db.query_df(con, f"select {', '.join(HISTORY_COLUMNS)} from capacity_settings_history "
                             f"where dataset_id = ? order by changed_at, change_id", [int(dataset_id)])
    return frame[list(HISTORY_COLUMNS)]


# --- who holds whom ----------------------------------------------------------------------------------


def customer_owners(con, dataset_id: int) -> pd.DataFrame:
    """customer_id, account_manager (None when unowned), region: ``sql/mart/mart_capacity_owners.sql``."""
    return checked(db.query(con, "mart_capacity_owners", dataset_id=int(dataset_id)), OWNER_COLUMNS,
                   "mart_capacity_owners")


def customer_tiers(snapshot, core_share: float = 0.20, potential_share: float = 0.30) -> pd.Series:
    """Value tier per customer from the snapshot's CLV (:func:`custlib.segments.value_tiers`)."""
    return value_tiers(snapshot.customers["clv"], core_share, potential_share)


def default_churn_risk(snapshot) -> pd.Series:
    """Churn risk when no churn model is plugged in: 1 - P(alive) of the purchase model, by customer_id."""
    return (1.0 - snapshot.customers["probability_alive"]).rename("churn_risk")


def _tier_of(owners: pd.DataFrame, tiers: pd.Series) -> np.ndarray:
    """Tier of each owner row; customers without a predicted value (no purchase yet) count as low-value."""
    values = pd.Series(tiers).astype(object).reindex(owners["customer_id"].to_numpy())
    return values.fillna(NO_TIER).astype(str).to_numpy()


def _manager_regions(owners: pd.DataFrame) -> pd.Series:
    """A manager's region: the most common region of their customers (alphabetical on ties)."""
    owned = owners.dropna(subset=["account_manager"])
    managers = pd.Index(sorted(owned["account_manager"].unique()), name="account_manager")
    regions = owned.dropna(subset=["region"])
    if regions.empty:
        return pd.Series(None, index=managers, dtype=object, name="region")
    counts = regions.groupby(["account_manager", "region"]).size().reset_index(name="n")
    counts = counts.sort_values(["account_manager", "n", "region"], ascending=[True, False, True])
    return counts.drop_duplicates("account_manager").set_index("account_manager")["region"].reindex(managers)


def holdings(owners: pd.DataFrame, tiers: pd.Series, settings: pd.DataFrame | dict | None = None,
             under_share: float = 0.8) -> pd.DataFrame:
    """Each account manager's customers by tier against the tier's quota.

    ``owners`` as :func:`customer_owners`; ``tiers`` a Series of tiers by customer_id (customers
    without one count as low-value); ``settings`` as :func:`get_settings` (default
    :data:`DEFAULT_SETTINGS`). One row per manager x tier (every tier, zeros included):
    ``account_manager``, ``region`` (the manager's most common customer region), ``tier``,
    ``customers``, ``quota`` (max_customers_per_manager), ``spare`` = quota - customers (negative when
    over), ``utilisation`` = customers / quota (NaN for a zero quota), ``status``: "over" when
    customers > quota, "under" when customers < ``under_share`` x quota, else "within";
    ``contacts_per_quarter`` (planned contacts for these customers) and ``retention_budget_amount``
    (currency per quarter) at the tier's service level.
    """
    rules = _settings_map(settings)
    owned = owners.assign(tier=_tier_of(owners, tiers)).dropna(subset=["account_manager"])
    regions = _manager_regions(owners)
    counts = owned.groupby(["account_manager", "tier"]).size()
    grid = pd.MultiIndex.from_product([regions.index, list(TIERS)], names=["account_manager", "tier"])
    frame = counts.reindex(grid, fill_value=0).rename("customers").reset_index()
    frame["region"] = regions.reindex(frame["account_manager"]).to_numpy()
    frame["quota"] = frame["tier"].map(lambda t: rules[t].max_customers_per_manager).astype("int64")
    frame["customers"] = frame["customers"].astype("int64")
    frame["spare"] = frame["quota"] - frame["customers"]
    quota = frame["quota"].where(frame["quota"] > 0)
    frame["utilisation"] = frame["customers"] / quota
    frame["status"] = np.select([frame["customers"] > frame["quota"],
                                 frame["customers"] < under_share * frame["quota"]], ["over", "under"], "within")
    frame["contacts_per_quarter"] = frame["customers"] * frame["tier"].map(lambda t: rules[t].contacts_per_quarter)
    frame["retention_budget_amount"] = frame["customers"] * frame["tier"].map(
        lambda t: rules[t].retention_budget_amount)
    return frame[list(HOLDING_COLUMNS)]


def at_risk_customers(owners: pd.DataFrame, tiers: pd.Series, clv: pd.Series, churn_risk: pd.Series,
                      holding: pd.DataFrame, risk_threshold: float = 0.5,
                      at_risk_tiers: tuple[str, ...] = ("core",)) -> pd.DataFrame:
    """High-value customers at risk who are badly covered, most value at risk first.

    A customer is listed when their tier is in ``at_risk_tiers``, their ``churn_risk`` (probability,
    any churn model; e.g. :func:`default_churn_risk`) is at least ``risk_threshold``, and they have no
    owner (reason "no owner") or their owner holds more customers of that tier than its quota (reason
    "owner over quota", from ``holding`` = :func:`holdings`). Columns: ``customer_id``,
    ``account_manager``, ``region``, ``tier``, ``clv`` (currency), ``churn_risk``, ``value_at_risk`` =
    clv x churn_risk (currency), ``reason``. Customers without a CLV or risk are not listed.
    """
    frame = owners.assign(tier=_tier_of(owners, tiers))
    frame["clv"] = pd.Series(clv, dtype=float).reindex(frame["customer_id"].to_numpy()).to_numpy()
    frame["churn_risk"] = pd.Series(churn_risk, dtype=float).reindex(frame["customer_id"].to_numpy()).to_numpy()
    frame = frame[frame["tier"].isin(at_risk_tiers) & (frame["churn_risk"] >= risk_threshold)
                  & frame["clv"].notna()].copy()
    over = holding.loc[holding["status"] == "over", ["account_manager", "tier"]]
    over_keys = set(zip(over["account_manager"], over["tier"]))
    is_over = np.array([(m, t) in over_keys for m, t in zip(frame["account_manager"], frame["tier"])], dtype=bool)
    unowned = frame["account_manager"].isna().to_numpy()
    frame = frame[unowned | is_over].copy()
    frame["reason"] = np.where(frame["account_manager"].isna(), "no owner", "owner over quota")
    frame["value_at_risk"] = frame["clv"] * frame["churn_risk"]
    frame = frame.sort_values(["value_at_risk", "customer_id"], ascending=[False, True], kind="mergesort")
    return frame[list(AT_RISK_COLUMNS)].reset_index(drop=True)


def suggest_reassignment(at_risk: pd.DataFrame, holding: pd.DataFrame) -> pd.DataFrame:
    """Who should take each at-risk customer: greedy, most value at risk first, within every quota.

    In order of ``value_at_risk`` (highest first), each customer of :func:`at_risk_customers` goes to
    the manager with spare capacity in the customer's tier (spare > 0 in ``holding``), preferring
    managers of the customer's region, then the most spare capacity, then the name. Moving a customer
    off an owner over quota frees that owner a place; once the owner is back within quota, their
    remaining at-risk customers stay (reason "owner now within quota"). A customer no manager has room
    for keeps ``to_manager`` empty (reason "no spare capacity"). So no quota is ever exceeded and no
    at-risk customer is left unowned while any manager has room in their tier.

    Returns one row per at-risk customer in the order decided: ``step``, ``customer_id``, ``tier``,
    ``region``, ``from_manager``, ``to_manager``, ``to_region``, ``same_region``, ``value_at_risk``,
    ``clv``, ``churn_risk``, ``reason`` ("move", "assign", "owner now within quota", "no spare capacity").
    """
    managers = sorted(holding["account_manager"].unique())
    position = {m: i for i, m in enumerate(managers)}
    regions = holding.drop_duplicates("account_manager").set_index("account_manager")["region"].reindex(managers)
    region_arr = regions.to_numpy(dtype=object)
    spare = {tier: part.set_index("account_manager")["spare"].reindex(managers).fillna(0).to_numpy(
        dtype=np.int64, copy=True) for tier, part in holding.groupby("tier")}
    names = np.array(managers, dtype=object)
    rows = []
    ordered = at_risk.sort_values(["value_at_risk", "customer_id"], ascending=[False, True], kind="mergesort")
    for step, record in enumerate(ordered.itertuples(index=False), start=1):
        tier, owner = record.tier, record.account_manager
        owner = None if pd.isna(owner) else owner
        room = spare.setdefault(tier, np.zeros(len(managers), dtype=np.int64))
        target, reason = None, "no spare capacity"
        if owner is not None and owner in position and room[position[owner]] >= 0:
            reason = "owner now within quota"
        else:
            candidates = room > 0
            if owner is not None and owner in position:
                candidates[position[owner]] = False
            if candidates.any():
                same = candidates & (region_arr == record.region) if pd.notna(record.region) else candidates & False
                pool = np.flatnonzero(same if same.any() else candidates)
                best = pool[np.lexsort((names[pool], -room[pool]))[0]]
                target = managers[best]
                room[best] -= 1
                if owner is not None and owner in position:
                    room[position[owner]] += 1
                reason = "move" if owner is not None else "assign"
        to_region = None if target is None else region_arr[position[target]]
        rows.append({"step": step, "customer_id": record.customer_id, "tier": tier, "region": record.region,
                     "from_manager": owner, "to_manager": target, "to_region": to_region,
                     "same_region": bool(target is not None and pd.notna(record.region)
                                         and to_region == record.region),
                     "value_at_risk": record.value_at_risk, "clv": record.clv, "churn_risk": record.churn_risk,
                     "reason": reason})
    return pd.DataFrame(rows, columns=list(REASSIGNMENT_COLUMNS))


# --- did the change help? -----------------------------------------------------------------------------


def evaluate_settings_change(con, dataset_id: int, change_date, tiers: pd.Series, window_days: int = 90,
                             clv_before: pd.Series | None = None, clv_after: pd.Series | None = None,
                             value_settings=None) -> pd.DataFrame:
    """Churn rate, satisfaction and CLV per tier in two windows of ``window_days`` days before and after
    ``change_date`` (e.g. the ``changed_at`` of a :func:`settings_history` row).

    The same customers are compared on both sides: ``tiers`` (by customer_id) as of the change date.
    Windows ("before" = [change - w, change), "after" = [change, change + w)); churn in a window is the
    share of the tier's customers who bought in the window before it and not in it (for "before", the
    base is the window before "before"; see ``sql/mart/mart_capacity_window_activity.sql``). Satisfaction
    is the mean answer (1-5) in the window. CLV (currency) is the mean over the tier of ``clv_before``
    and ``clv_after`` (the value as of the change date and as of the end of the after window; computed
    with :func:`custlib.valuation.value_customers` and ``value_settings`` when not given).

    Columns: ``tier``, ``period`` ("before", "after"), ``window_start``, ``window_end`` (last day),
    ``customers``, ``base_customers``, ``churned_customers``, ``churn_rate`` (0..1, NaN with no base),
    ``satisfaction_responses``, ``satisfaction_mean``, ``clv_mean``, ``is_complete`` (the window ends
    on or before the last transaction date: a later window is still running and reads as churn).
    """
    if int(window_days) < 1:
        raise ValueError("window_days must be a whole number of days >= 1.")
    change = pd.Timestamp(change_date).normalize()
    window = timedelta(days=int(window_days))
    activity = db.query(con, "mart_capacity_window_activity", dataset_id=int(dataset_id), change_date=change.date(),
                        window_days=int(window_days))
    checked(activity, WINDOW_COLUMNS, "mart_capacity_window_activity")
    last = db.last_order_date(con, dataset_id)
    last = pd.Timestamp(last) if last is not None else None
    if clv_before is None or clv_after is None:
        from . import valuation

        settings = value_settings or valuation.ValueSettings()
        if clv_before is None:
            clv_before = valuation.value_customers(con, dataset_id, (change - timedelta(days=1)).date(),
                                                   settings).customers["clv"]
        if clv_after is None:
            clv_after = valuation.value_customers(con, dataset_id, (change + window - timedelta(days=1)).date(),
                                                  settings).customers["clv"]
    tier_series = pd.Series(tiers).astype(object).dropna().astype(str)
    frame = activity.set_index("customer_id").reindex(tier_series.index)
    for column in WINDOW_COLUMNS[1:4]:
        frame[column] = frame[column].fillna(False).astype(bool)
    for column in WINDOW_COLUMNS[4:]:
        frame[column] = frame[column].fillna(0)
    frame["tier"] = tier_series
    frame["clv_before"] = pd.Series(clv_before, dtype=float).reindex(frame.index)
    frame["clv_after"] = pd.Series(clv_after, dtype=float).reindex(frame.index)
    periods = {
        "before": ("is_active_base", "is_active_before", "satisfaction_before", "clv_before", change - window),
        "after": ("is_active_before", "is_active_after", "satisfaction_after", "clv_after", change),
    }
    rows = []
    for tier in [t for t in TIERS if t in set(tier_series)] + sorted(set(tier_series) - set(TIERS)):
        part = frame[frame["tier"] == tier]
        for period, (base_col, active_col, sat, clv_col, start) in periods.items():
            base = part[base_col]
            churned = base & ~part[active_col]
            count = part[f"{sat}_count"].sum()
            end = start + window - timedelta(days=1)
            rows.append({"tier": tier, "period": period, "window_start": start, "window_end": end,
                         "customers": len(part), "base_customers": int(base.sum()),
                         "churned_customers": int(churned.sum()),
                         "churn_rate": churned.sum() / base.sum() if base.sum() else np.nan,
                         "satisfaction_responses": int(count),
                         "satisfaction_mean": part[f"{sat}_sum"].sum() / count if count else np.nan,
                         "clv_mean": part[clv_col].mean(), "is_complete": last is not None and end <= last})
    return pd.DataFrame(rows, columns=list(EVALUATION_COLUMNS))

