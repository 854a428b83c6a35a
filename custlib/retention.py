"""Who comes back: acquisition cohorts, period retention rates, projected retention curves, NPS.

Every function that reads the database takes ``(con, dataset_id, as_of)`` and uses only rows dated
on or before ``as_of`` (order lines by ``order_date``, survey answers by ``interaction_at`` up to the
end of that day), so any result can be recomputed as it looked on an earlier day. Heavy work runs
in the named DuckDB queries ``custlib/sql/mart/mart_cohort_activity.sql``,
``mart_period_activity.sql`` and ``mart_nps_latest_responses.sql``; this module adds only
light pandas/numpy steps.

Conventions shared by every function here
-----------------------------------------
* A *purchase* is an order line with ``amount >= 0``; a line with ``amount < 0`` is a return or
  refund. A customer is *active* in a period when they made at least one purchase in it: a return
  alone does not make anyone active.
* *Revenue* is net revenue in the dataset's currency: returns are subtracted in the period they are
  booked.
* A customer's *cohort* is the period of their first purchase. Customers with only returns belong
  to no cohort.
* Periods are calendar weeks (starting Monday), months or quarters. **A period counts only once it
  has ended on or before ``as_of``.** The period that contains ``as_of`` (unless ``as_of`` is its
  last day) is incomplete and is reported nowhere: its cohort does not appear yet, its cells are
  NULL/NaN, and the period rates stop at the period before it. Comparing a half-month with full
  months would read as a drop in retention that is not there.
* Cells a cohort has not reached yet are NaN, never 0: they are not churn.
* Shares and rates are in 0..1; NPS is in points, -100..100; satisfaction on its 1-5 scale.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from . import db
from .contracts import checked as _checked
from .clv import FitFailed, ShiftedBetaGeometric
from .features import as_date

GRAINS = ("week", "month", "quarter")
GROUP_COLUMNS = ("region", "industry", "company_size", "account_manager")
MIN_PERIODS_TO_PROJECT = 3

# Column contracts: the SQL and the docstrings below must agree with these (tests check both).
COHORT_COLUMNS = (
    "cohort_start", "period_number", "period_start", "period_end", "is_observed", "cohort_customers",
    "active_customers", "retention_share", "revenue_amount", "cohort_revenue_amount", "revenue_retention",
)
PERIOD_GRAINS = GRAINS + ("year",)
PERIOD_ACTIVITY_COLUMNS = (
    "period_start", "period_end", "is_complete", "revenue_amount", "gross_sales_amount", "returns_amount",
    "orders", "average_order_value", "active_customers", "new_customers", "returning_customers",
    "returning_buyer_share", "previous_active_customers", "retained_customers", "retention_rate", "churn_rate",
    "previous_revenue_amount", "retained_revenue_amount", "net_revenue_retention", "customers_to_date",
    "repeat_customers_to_date", "repeat_purchase_rate",
)
NPS_LATEST_COLUMNS = (
    "customer_id", "period_start", "period_end", "nps_score", "satisfaction", *GROUP_COLUMNS,
)
NPS_COLUMNS = (
    "nps_responses", "promoters", "passives", "detractors", "promoter_share", "passive_share",
    "detractor_share", "nps", "satisfaction_responses", "satisfaction_mean",
)
PROJECTION_COLUMNS = (
    "cohort", "period_number", "observed_share", "survival_share", "fitted_share", "is_projected",
    "alpha", "beta", "note",
)
MATRIX_VALUES = ("retention_share", "revenue_retention", "active_customers", "revenue_amount")


# --- cohorts ------------------------------------------------------------------------------------

def cohort_retention(con, dataset_id: int, as_of, grain: str = "month",
                     customer_ids: list[str] | None = None) -> pd.DataFrame:
    """Customer and revenue retention of each acquisition cohort, one row per cohort and period k.

    A cohort is the customers whose first purchase fell in one period; period ``k`` is the k-th
    period after that one (k = 0 is the acquisition period). Only cohorts whose acquisition period
    has ended by ``as_of`` are listed (a cohort still being acquired has no fixed size). Rows run
    from k = 0 to the oldest cohort's last ended period for every cohort, so the frame is a full
    rectangle; cells of periods that have not ended by ``as_of`` have ``is_observed`` False and NaN
    values -- they are not churn.

    Columns (one row per ``cohort_start`` x ``period_number``):

    - ``cohort_start`` (datetime64): first day of the acquisition period.
    - ``period_number`` (int): k, periods since acquisition.
    - ``period_start``, ``period_end`` (datetime64): first and last day of period k.
    - ``is_observed`` (bool): period k has ended on or before ``as_of``.
    - ``cohort_customers`` (int): customers acquired in the cohort's period.
    - ``active_customers`` (Int64, NA when not observed): cohort customers with at least one
      purchase in period k (all of them at k = 0).
    - ``retention_share`` (0..1, NaN when not observed): active_customers / cohort_customers.
    - ``revenue_amount`` (currency, NaN when not observed): the cohort's net revenue in period k.
      Can be negative when returns outweigh purchases.
    - ``cohort_revenue_amount`` (currency): the cohort's net revenue in period 0.
    - ``revenue_retention`` (ratio, NaN when not observed or when period-0 revenue is not
      positive): revenue_amount / cohort_revenue_amount. Exceeds 1 when the cohort spends more
      than in its first period; negative only if returns outweigh purchases in period k.

    A return booked in a period before the customer's first purchase period belongs to no cell.
    ``customer_ids`` limits every count to those customers (None: everyone).
    """
    frame = db.query(con, "mart_cohort_activity", dataset_id=int(dataset_id), as_of=as_date(as_of),
                     grain=_check_grain(grain), customer_ids=None if customer_ids is None else list(customer_ids))
    return _checked(frame, COHORT_COLUMNS, "mart_cohort_activity")


def retention_matrix(cohorts: pd.DataFrame, value: str = "retention_share") -> pd.DataFrame:
    """The cohort x period matrix of one column of :func:`cohort_retention`.

    Index ``cohort_start``, columns ``period_number`` (0, 1, ...), values ``value`` (one of
    retention_share, revenue_retention, active_customers, revenue_amount); NaN where the cohort has
    not reached the period. This is the input :func:`project_cohorts` expects (``retention_share``).
    """
    if value not in MATRIX_VALUES:
        raise ValueError(f"value must be one of {', '.join(MATRIX_VALUES)}; got {value!r}")
    matrix = cohorts.pivot(index="cohort_start", columns="period_number", values=value)
    return matrix.astype(float)


# --- period rates -------------------------------------------------------------------------------

def period_activity(con, dataset_id: int, as_of, grain: str = "month",
                    customer_ids: list[str] | None = None) -> pd.DataFrame:
    """Revenue, orders, activity, retention, churn, repeat purchase and net revenue retention per calendar
    period (week, month, quarter or year), for every customer or those in ``customer_ids``.

    One row per period from the first period with an order line to the period that contains ``as_of``
    (periods without any activity included); ``is_complete`` is false for that last one when it has not
    ended (its figures are "to date", not comparable with whole periods). "Previous period" is the
    calendar period just before. Columns :data:`PERIOD_ACTIVITY_COLUMNS`; definitions:

    - ``revenue_amount`` (currency): net revenue of all customers in the period (returns subtracted in the
      period they are booked); ``gross_sales_amount``: sale lines; ``returns_amount``: returns, positive.
    - ``orders``: distinct orders with a sale line in the period; ``average_order_value`` = revenue / orders.
    - ``active_customers``: customers with a purchase in the period; ``new_customers`` of them made
      their first purchase in it, ``returning_customers`` had bought before it.
    - ``previous_active_customers``: customers active in the previous period;
      ``retained_customers``: those of them active again in this period.
    - ``retention_rate`` (0..1) = retained_customers / previous_active_customers (NaN when nobody
      was active in the previous period); ``churn_rate`` = 1 - retention_rate.
    - ``customers_to_date``: customers with a purchase on or before the period's end;
      ``repeat_customers_to_date``: those with purchases on 2 or more distinct days by then;
      ``repeat_purchase_rate`` (0..1) = repeat_customers_to_date / customers_to_date.
    - ``returning_buyer_share`` (0..1) = returning_customers / active_customers: the share of the
      period's buyers who had bought before.
    - ``previous_revenue_amount``: net revenue in the previous period of the customers active in
      it; ``retained_revenue_amount``: net revenue in this period of those same customers.
    - ``net_revenue_retention`` = retained_revenue_amount / previous_revenue_amount (NaN when
      previous revenue is not positive). Can exceed 1 (expansion); below 0 only when returns
      outweigh purchases.

    ``period_start`` and ``period_end`` (datetime64) are the first and last day of the period;
    ``is_complete``: it ended on or before ``as_of``.
    """
    if grain not in PERIOD_GRAINS:
        raise ValueError(f"grain must be one of {', '.join(PERIOD_GRAINS)}; got {grain!r}")
    frame = db.query(con, "mart_period_activity", dataset_id=int(dataset_id), as_of=as_date(as_of),
                     grain=grain, customer_ids=None if customer_ids is None else list(customer_ids))
    return _checked(frame, PERIOD_ACTIVITY_COLUMNS, "mart_period_activity")


# --- shifted-beta-geometric projection ----------------------------------------------------------

def project_cohorts(matrix: pd.DataFrame, periods_ahead: int) -> pd.DataFrame:
    """Observed and sBG-projected survival of each cohort, ``periods_ahead`` periods past its data.

    ``matrix`` is a cohort retention matrix of shares: one row per cohort, columns the period
    numbers 0, 1, 2, ..., NaN where the cohort has not reached the period -- what
    ``retention_matrix(cohort_retention(...))`` returns. Each cohort's observed values are the
    leading non-NaN cells; period 0 must be 1.

    Non-contract caveat: the shifted-beta-geometric model (:class:`custlib.clv.ShiftedBetaGeometric`,
    Fader & Hardie 2007) is a model of contractual survival, where a lost customer never returns. Here
    it is applied to "still active in period k" curves, where a customer can skip a period and come
    back, so the observed share can rise. The curve is therefore made non-increasing with a running
    minimum before fitting (``survival_share`` on observed rows). This ignores customers who come
    back after a gap, so the projection is conservative.

    A cohort with fewer than 3 observed periods (period 0 included), or with nobody left in its
    last observed period, is not projected; its ``note`` says why. The fit is on shares, so the
    cohort's size does not change the parameters.

    Columns, one row per cohort and period number:

    - ``cohort``: the matrix's index label (e.g. the cohort_start date).
    - ``period_number`` (int): k = 0 .. last observed + periods_ahead (observed only, when not
      projected).
    - ``observed_share`` (0..1): the matrix value; NaN on projected rows.
    - ``survival_share`` (0..1): the running minimum of observed_share on observed rows, the model's
      S(k) on projected rows.
    - ``fitted_share`` (0..1): the model's S(k) on every row (NaN when not projected), to draw the
      fit over the observed points.
    - ``is_projected`` (bool): the row is beyond the cohort's observed periods.
    - ``alpha``, ``beta``: the cohort's sBG parameters (NaN when not projected).
    - ``note``: why the cohort has no projection, else None.
    """
    periods_ahead = int(periods_ahead)
    if periods_ahead < 0:
        raise ValueError(f"periods_ahead must be 0 or more; got {periods_ahead}")
    if list(matrix.columns) != list(range(matrix.shape[1])):
        raise ValueError("matrix columns must be the period numbers 0, 1, 2, ... in order "
                         "(use retention_matrix(cohort_retention(...)))")
    values = matrix.to_numpy(dtype=float)
    pieces = []
    for label, row in zip(matrix.index, values):
        missing = np.isnan(row)
        n_observed = int(np.argmax(missing)) if missing.any() else len(row)
        observed = row[:n_observed]
        if n_observed and not np.isclose(observed[0], 1.0):
            raise ValueError(f"cohort {label}: period 0 is {observed[0]:g}, but a retention share starts at 1 "
                             f"(pass the retention_share matrix, not revenue or counts)")
        if np.any((observed < 0) | (observed > 1 + 1e-9)):
            raise ValueError(f"cohort {label}: retention shares must lie in 0..1")
        survival = np.minimum.accumulate(observed) if n_observed else observed
        piece = {"period_number": np.arange(n_observed), "observed_share": observed, "survival_share": survival,
                 "fitted_share": np.nan, "is_projected": False, "alpha": np.nan, "beta": np.nan, "note": None}
        if n_observed < MIN_PERIODS_TO_PROJECT:
            piece["note"] = (f"only {n_observed} observed period{'s' if n_observed != 1 else ''}; "
                             f"at least {MIN_PERIODS_TO_PROJECT} are needed to project")
        elif survival[-1] <= 0:
            piece["note"] = "no customer of the cohort is still active: nothing to project"
        else:
            try:
                model = ShiftedBetaGeometric().fit(survival)
            except FitFailed as exc:
                piece["note"] = str(exc)
        if piece["note"] is None:
            k = np.arange(n_observed + periods_ahead)
            fitted = model.predict_survival(k)
            piece = {
                "period_number": k,
                "observed_share": np.r_[observed, np.full(periods_ahead, np.nan)],
                "survival_share": np.r_[survival, fitted[n_observed:]],
                "fitted_share": fitted,
                "is_projected": k >= n_observed,
                "alpha": model.params_["alpha"],
                "beta": model.params_["beta"],
                "note": None,
            }
        part = pd.DataFrame(piece)
        part.insert(0, "cohort", label)
        pieces.append(part)
    if not pieces:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in PROJECTION_COLUMNS})
    frame = pd.concat(pieces, ignore_index=True)
    frame["note"] = frame["note"].astype(object).where(frame["note"].notna(), None)
    return _checked(frame, PROJECTION_COLUMNS, "project_cohorts")


# --- NPS and satisfaction -----------------------------------------------------------------------

def nps_summary(con, dataset_id: int, as_of, *, by: str | None = None, groups: pd.DataFrame | None = None,
                since=None) -> pd.DataFrame:
    """Net Promoter Score and average satisfaction as of ``as_of``, overall or per group.

    Each customer counts once: their latest NPS answer (0-10) on or before ``as_of`` (and on or
    after ``since`` when given), and separately their latest satisfaction answer (1-5). So a
    customer who answered twice is not weighted double, and the score reflects their current view.
    Answers outside the scales are ignored. Promoters score 9-10, passives 7-8, detractors 0-6;
    NPS = 100 x (promoters - detractors) / responses, in points -100..100.

    Grouping (at most one of):

    - ``by``: a column of the customers table, one of region, industry, company_size,
      account_manager (the customers' current values; the table keeps no history).
    - ``groups``: a frame with columns ``customer_id`` and ``group``, one row per customer.

    Customers without a group form the group NA. Columns: ``group`` (when grouped), then
    ``nps_responses`` (customers with an NPS answer), ``promoters``, ``passives``, ``detractors``,
    ``promoter_share``, ``passive_share``, ``detractor_share`` (0..1 of nps_responses), ``nps``
    (points, NaN without responses), ``satisfaction_responses``, ``satisfaction_mean`` (1..5).
    Pages should hide figures based on few responses; the counts are there for that.
    """
    answers = _latest_answers(con, dataset_id, as_date(as_of), "all", since)
    keys = _attach_group(answers, by, groups)
    return _nps_table(answers, keys)


def nps_over_time(con, dataset_id: int, as_of, *, grain: str = "month", by: str | None = None,
                  groups: pd.DataFrame | None = None, since=None) -> pd.DataFrame:
    """NPS and average satisfaction per period (monthly by default), overall or per group.

    Within each period each customer counts once, with their latest NPS answer and their latest
    satisfaction answer in that period. Only periods that have ended by ``as_of`` are listed, from
    the first period with an answer, periods without answers included (counts 0, scores NaN); with
    a grouping, every group seen gets every period. Grouping and columns as in :func:`nps_summary`,
    with ``period_start`` and ``period_end`` (datetime64) first.
    """
    as_of = as_date(as_of)
    answers = _latest_answers(con, dataset_id, as_of, _check_grain(grain), since)
    keys = _attach_group(answers, by, groups)
    table = _nps_table(answers, keys + ["period_start"])
    if answers.empty:
        return table.assign(period_end=pd.Series(dtype="datetime64[us]"))[_nps_order(keys, True)]
    starts = _period_starts(answers["period_start"].min(), as_of, grain)
    if keys:
        full_index = pd.MultiIndex.from_product([table["group"].drop_duplicates(), starts],
                                                names=["group", "period_start"])
    else:
        full_index = pd.Index(starts, name="period_start")
    table = table.set_index(keys + ["period_start"]).reindex(full_index).reset_index()
    counts = ["nps_responses", "promoters", "passives", "detractors", "satisfaction_responses"]
    table[counts] = table[counts].fillna(0).astype("int64")
    table["period_end"] = _period_ends(table["period_start"], grain)
    return table[_nps_order(keys, True)]


def _latest_answers(con, dataset_id, as_of, grain, since) -> pd.DataFrame:
    frame = db.query(con, "mart_nps_latest_responses", dataset_id=int(dataset_id), as_of=as_of,
                     since=None if since is None else as_date(since), grain=grain)
    frame = _checked(frame, NPS_LATEST_COLUMNS, "mart_nps_latest_responses")
    frame["nps_score"] = frame["nps_score"].astype("float64")
    frame["satisfaction"] = frame["satisfaction"].astype("float64")
    return frame


def _attach_group(answers: pd.DataFrame, by, groups) -> list[str]:
    """Add a ``group`` column from ``by`` or ``groups`` (in place); the grouping keys to use."""
    if by is not None and groups is not None:
        raise ValueError("group by a customers column (by=) or by a frame (groups=), not both")
    if by is not None:
        if by not in GROUP_COLUMNS:
            raise ValueError(f"by must be one of {', '.join(GROUP_COLUMNS)}; got {by!r}")
        answers["group"] = answers[by]
        return ["group"]
    if groups is not None:
        missing = {"customer_id", "group"} - set(groups.columns)
        if missing:
            raise ValueError(f"groups needs the columns customer_id and group; missing {', '.join(sorted(missing))}")
        ids = groups["customer_id"].astype(str)
        duplicated = ids[ids.duplicated()]
        if len(duplicated):
            raise ValueError(f"groups must have one row per customer; customer_id {duplicated.iloc[0]!r} "
                             f"appears more than once")
        mapping = pd.Series(groups["group"].to_numpy(), index=ids.to_numpy())
        answers["group"] = answers["customer_id"].astype(str).map(mapping)
        return ["group"]
    return []


def _nps_table(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    score = answers["nps_score"]
    work = pd.DataFrame({
        "has_nps": score.notna(),
        "promoter": score >= 9,
        "passive": score.between(7, 8),
        "detractor": score <= 6,
        "satisfaction": answers["satisfaction"],
    })
    for key in keys:
        work[key] = answers[key]
    if not keys:
        work["_all"] = 0
    grouped = work.groupby(keys or ["_all"], dropna=False, sort=True)
    table = grouped.agg(
        nps_responses=("has_nps", "sum"),
        promoters=("promoter", "sum"),
        passives=("passive", "sum"),
        detractors=("detractor", "sum"),
        satisfaction_responses=("satisfaction", "count"),
        satisfaction_mean=("satisfaction", "mean"),
    )
    if not keys and table.empty:  # no answers at all: one row of zeros, not an empty frame
        table = pd.DataFrame({c: [0] for c in ("nps_responses", "promoters", "passives", "detractors",
                                               "satisfaction_responses")}).assign(satisfaction_mean=np.nan)
    table = table.reset_index(drop=not keys)
    responses = table["nps_responses"].where(table["nps_responses"] > 0)
    for kind in ("promoter", "passive", "detractor"):
        table[f"{kind}_share"] = table[f"{kind}s"] / responses
    table["nps"] = 100 * (table["promoter_share"] - table["detractor_share"])
    counts = ["nps_responses", "promoters", "passives", "detractors", "satisfaction_responses"]
    table[counts] = table[counts].astype("int64")
    return table[[*keys, *NPS_COLUMNS]]


def _nps_order(keys: list[str], with_period: bool) -> list[str]:
    return [*keys, *(["period_start", "period_end"] if with_period else []), *NPS_COLUMNS]


# --- small helpers ------------------------------------------------------------------------------

def _check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}; got {grain!r}")
    return grain


_PERIOD_OFFSETS = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
                   "quarter": pd.DateOffset(months=3)}
_PERIOD_FREQ = {"week": "W-MON", "month": "MS", "quarter": "QS-JAN"}


def _period_ends(starts: pd.Series, grain: str) -> pd.Series:
    return starts + _PERIOD_OFFSETS[grain] - pd.Timedelta(days=1)


def _period_starts(first_start, as_of: date, grain: str) -> pd.DatetimeIndex:
    """Starts of every period from ``first_start`` whose last day is on or before ``as_of``."""
    starts = pd.date_range(pd.Timestamp(first_start), pd.Timestamp(as_of), freq=_PERIOD_FREQ[grain], unit="us")
    ends = starts + _PERIOD_OFFSETS[grain] - pd.Timedelta(days=1)
    return starts[ends <= pd.Timestamp(as_of)].rename("period_start")


