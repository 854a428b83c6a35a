"""Customer features: hand-computed values on a tiny fixture, the column contract, no leakage."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from custlib import datasets, features

AS_OF = date(2024, 3, 31)

# Customer A (has a customer record, signed up 2023-12-01, region West):
#   2024-01-01 O1  100 promo, 0 (free item)  | two orders on one day
#   2024-01-01 O2   50                        |
#   2024-01-15 O1  -30 (return of an O1 item; a return-only day is not a purchase day)
#   2024-02-10 --   20, --  10 (no order id: two orders, one purchase day)
#   2024-03-20 O4   80
#   2024-04-05 O5  999 (after as_of: ignored)
# Customer B (no record): 2024-03-25 B0 0 South (a free sample, alone on its day: still a purchase day);
#   2024-03-30 B1 40 South, 5 South; no id 25 East.
# Customer C (no record): 2024-02-01 C9 -15 (a refund only); 2024-04-10 C10 60 (after as_of).
# Customer D: a record, no transactions -> no row. Customer E: only lines after as_of -> no row.
FUTURE_DATE = "2024-04-01"


def _transactions() -> pd.DataFrame:
    rows = [
        ("A", "O1", "2024-01-01", 100.0, True, "North"),
        ("A", "O1", "2024-01-01", 0.0, False, "North"),
        ("A", "O2", "2024-01-01", 50.0, False, "North"),
        ("A", "O1", "2024-01-15", -30.0, False, "North"),
        ("A", None, "2024-02-10", 20.0, False, "North"),
        ("A", None, "2024-02-10", 10.0, None, "North"),
        ("A", "O4", "2024-03-20", 80.0, False, "North"),
        ("A", "O5", "2024-04-05", 999.0, True, "North"),
        ("B", "B0", "2024-03-25", 0.0, None, "South"),
        ("B", "B1", "2024-03-30", 40.0, None, "South"),
        ("B", "B1", "2024-03-30", 5.0, None, "South"),
        ("B", None, "2024-03-30", 25.0, None, "East"),
        ("C", "C9", "2024-02-01", -15.0, None, None),
        ("C", "C10", "2024-04-10", 60.0, None, None),
        ("E", "E1", "2024-05-01", 70.0, None, "East"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount", "is_promo", "region"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


def _customers() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "D"],
        "signup_date": pd.to_datetime(["2023-12-01", "2023-01-01"]),
        "region": ["West", "North"],
        "industry": ["Retail", "Energy"],
        "company_size": ["10-49", "1-9"],
        "account_manager": ["Kim", "Lee"],
    })


def _interactions() -> pd.DataFrame:
    rows = [
        ("A", "2023-11-01 10:00", "complaint", None, None),
        ("A", "2024-02-01 09:00", "survey", 9, 4),
        ("A", "2024-03-01 16:30", "complaint", None, 2),
        ("A", "2024-03-31 23:59", "call", None, None),  # on as_of: counts (no answers)
        ("A", "2024-04-02 08:00", "survey", 0, 1),  # after as_of: ignored
        ("A", "2024-04-03 08:00", "complaint", None, None),  # after as_of: ignored
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "interaction_at", "kind", "nps_score", "satisfaction"])
    frame["interaction_at"] = pd.to_datetime(frame["interaction_at"])
    return frame.astype({"nps_score": "Int64", "satisfaction": "Int64"})


@pytest.fixture
def tiny(con) -> int:
    datasets.store_frame(con, "tiny", "transactions", _transactions())
    datasets.store_frame(con, "tiny", "customers", _customers())
    datasets.store_frame(con, "tiny", "interactions", _interactions())
    return datasets.get_dataset(con, "tiny").dataset_id


def test_columns_match_the_documented_contract(con, tiny):
    frame = features.customer_features(con, tiny, AS_OF)
    assert list(frame.columns) == list(features.FEATURE_COLUMNS)
    assert frame["customer_id"].is_unique
    # counts and whole days are integers (columns with a NULL, like recency_days for C, become float)
    whole = ["orders_count", "purchase_days", "days_since_last_order", "returns_count", "tenure_days",
             "complaints_last_90d", "complaints_count"] + [f"orders_{side}_{w}d" for side in ("last", "prev")
                                                           for w in features.WINDOWS_DAYS]
    assert {c: str(frame[c].dtype) for c in whole if frame[c].notna().all()} == {
        c: "int64" for c in whole if c != "days_since_last_order"}


def test_customers_with_a_line_on_or_before_as_of_get_one_row(con, tiny):
    frame = features.customer_features(con, tiny, AS_OF)
    assert frame["customer_id"].tolist() == ["A", "B", "C"]  # not D (no lines), not E (only later lines)


def _row(frame, customer_id) -> dict:
    return frame.set_index("customer_id").loc[customer_id].to_dict()


def test_customer_a_matches_hand_computation(con, tiny):
    a = _row(features.customer_features(con, tiny, AS_OF), "A")
    # Purchase days: Jan 1, Feb 10, Mar 20 (Jan 15 is a return only) -> 3, frequency 2.
    assert a["first_order_date"] == pd.Timestamp("2024-01-01")
    assert a["last_order_date"] == pd.Timestamp("2024-03-20")
    assert (a["purchase_days"], a["frequency"]) == (3, 2)
    # Orders: O1, O2, two lines without id, O4 = 5 (O5 is after as_of).
    assert a["orders_count"] == 5
    # recency = Mar 20 - Jan 1 = 31 + 29 (2024 is a leap year) + 19 = 79 days; T = Mar 31 - Jan 1 = 90 days.
    assert (a["recency_days"], a["T_days"], a["days_since_last_order"]) == (79, 90, 11)
    assert (a["recency"], a["T"]) == (79.0, 90.0)
    # gross = 100 + 0 + 50 + 20 + 10 + 80 = 260; returns 30 (1 line); net 230; AOV 230 / 5 = 46.
    assert (a["gross_sales_amount"], a["returns_amount"], a["returns_count"]) == (260.0, 30.0, 1)
    assert a["net_spend_amount"] == 230.0
    assert a["avg_order_value"] == pytest.approx(46.0)
    # Repeat purchase days: Feb 10 (20 + 10 = 30) and Mar 20 (80) -> mean 55.
    assert a["monetary_value"] == pytest.approx(55.0)
    # Gaps: Jan 1 -> Feb 10 = 40 days, Feb 10 -> Mar 20 = 39 days; median 39.5.
    assert a["typical_gap_days"] == pytest.approx(39.5)
    # Promo: only O1 has a promotional line -> 1 / 5.
    assert a["promo_order_share"] == pytest.approx(0.2)
    # Last 90 days = Jan 2 .. Mar 31 (Jan 1 is exactly 90 days back, so it falls in the previous 90).
    # spend: -30 + 30 + 80 = 80 last, 150 previous -> 80 / 150 - 1; orders: 3 last (2 no-id, O4), 2 previous.
    assert (a["spend_last_90d"], a["spend_prev_90d"]) == (80.0, 150.0)
    assert a["spend_trend_90d"] == pytest.approx(80 / 150 - 1)
    assert (a["orders_last_90d"], a["orders_prev_90d"]) == (3, 2)
    assert a["orders_trend_90d"] == pytest.approx(0.5)
    # 180 and 365 days hold everything; the windows before them are empty, so trends are undefined.
    assert (a["spend_last_180d"], a["orders_last_180d"], a["spend_last_365d"], a["orders_last_365d"]) == (230, 5, 230, 5)
    assert (a["spend_prev_180d"], a["orders_prev_180d"]) == (0, 0)
    assert pd.isna(a["spend_trend_180d"]) and pd.isna(a["orders_trend_365d"])
    # Tenure from signup: Dec 1 2023 -> Mar 31 2024 = 31 + 90 = 121 days.
    assert a["tenure_days"] == 121
    # Interactions on or before Mar 31: last NPS 9 (Feb 1); last satisfaction 2 (Mar 1);
    # complaints: Mar 1 (30 days back) in the last 90, plus Nov 1 2023 -> total 2.
    assert (a["last_nps_score"], a["last_satisfaction"]) == (9, 2)
    assert (a["complaints_last_90d"], a["complaints_count"]) == (1, 2)
    # The customer record wins over transaction regions.
    assert (a["region"], a["industry"], a["company_size"], a["account_manager"]) == ("West", "Retail", "10-49", "Kim")


def test_customer_b_free_sample_then_a_purchase_no_record(con, tiny):
    b = _row(features.customer_features(con, tiny, AS_OF), "B")
    # Purchase days: Mar 25 ($0 sample) and Mar 30 -> 2, frequency 1; orders B0, B1 and a line without id -> 3.
    assert (b["purchase_days"], b["frequency"], b["orders_count"]) == (2, 1, 3)
    assert (b["recency_days"], b["T_days"], b["days_since_last_order"]) == (5, 6, 1)
    # 0 + 40 + 5 + 25 = 70 net over 3 orders; the one repeat day (Mar 30) is worth 70.
    assert (b["net_spend_amount"], b["monetary_value"]) == (70.0, 70.0)
    assert b["avg_order_value"] == pytest.approx(70 / 3)
    assert b["typical_gap_days"] == 5.0 and b["promo_order_share"] == 0.0
    assert pd.isna(b["spend_trend_90d"])  # nothing in the previous 90 days
    # No record: tenure from the first line (Mar 25 -> 6 days); region = the earliest line's (South, Mar 25).
    assert b["tenure_days"] == 6 and b["region"] == "South"
    assert pd.isna(b["industry"]) and pd.isna(b["last_nps_score"]) and b["complaints_count"] == 0


def test_customer_c_with_only_a_refund(con, tiny):
    c = _row(features.customer_features(con, tiny, AS_OF), "C")
    assert (c["orders_count"], c["purchase_days"]) == (0, 0)
    assert pd.isna(c["frequency"]) and pd.isna(c["first_order_date"]) and pd.isna(c["avg_order_value"])
    assert (c["net_spend_amount"], c["returns_amount"], c["returns_count"]) == (-15.0, 15.0, 1)
    assert c["tenure_days"] == 59  # Feb 1 -> Mar 31, from the first line
    assert pd.isna(c["spend_trend_90d"])  # previous window empty


@pytest.mark.parametrize(("unit", "days"), [("week", 7.0), ("month", 30.4375)])
def test_units_scale_recency_and_t_only(con, tiny, unit, days):
    in_days = features.customer_features(con, tiny, AS_OF)
    scaled = features.customer_features(con, tiny, AS_OF, unit=unit)
    assert scaled.attrs["unit"] == unit
    np.testing.assert_allclose(scaled["recency"].dropna(), in_days["recency_days"].dropna() / days)
    np.testing.assert_allclose(scaled["T"].dropna(), in_days["T_days"].dropna() / days)
    pd.testing.assert_frame_equal(scaled.drop(columns=["recency", "T"]), in_days.drop(columns=["recency", "T"]))


def test_unknown_unit_is_refused(con, tiny):
    with pytest.raises(ValueError, match="unit must be one of day, week, month"):
        features.customer_features(con, tiny, AS_OF, unit="fortnight")


def test_signup_after_as_of_is_not_used(con, tiny):
    # As of Jan 10, A's signup (Dec 1) is known: tenure 40. Push the record's signup past as_of: first line wins.
    datasets.store_frame(con, "tiny", "customers", _customers().assign(signup_date=pd.to_datetime(["2024-01-05"] * 2)))
    a = _row(features.customer_features(con, tiny, date(2024, 1, 3)), "A")
    assert a["tenure_days"] == 2  # Jan 1 -> Jan 3


def test_sql_orders_agree_with_int_customer_orders(con, tiny):
    orders = features.customer_orders(con, tiny, AS_OF)
    # A: O1 (100 + 0 - 30; dated Jan 1 though its return is Jan 15), O2, two keyless, O4; C9 is not a purchase.
    o1 = orders.set_index("order_key").loc["O1"]
    assert (o1["order_date"], o1["last_line_date"], o1["net_amount"], o1["returns_amount"]) == (
        pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-15"), 70.0, 30.0)
    assert bool(o1["is_promo"]) and not bool(orders.set_index("order_key").loc["C9", "is_purchase"])
    per_customer = orders[orders["is_purchase"]].groupby("customer_id").size()
    feats = features.customer_features(con, tiny, AS_OF).set_index("customer_id")["orders_count"]
    assert per_customer.reindex(feats.index, fill_value=0).tolist() == feats.tolist()
    net = features.customer_features(con, tiny, AS_OF).set_index("customer_id")["net_spend_amount"]
    assert orders.groupby("customer_id")["net_amount"].sum().reindex(net.index).tolist() == net.tolist()


def _random_transactions(seed: int, customers: int = 60, lines: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01")
    frame = pd.DataFrame({
        "customer_id": np.char.add("c", rng.integers(0, customers, lines).astype(str)),
        "order_date": start + rng.integers(0, 900, lines).astype("timedelta64[D]"),
        "amount": np.round(rng.gamma(2.0, 30.0, lines) * np.where(rng.random(lines) < 0.1, -1, 1), 2),
        "is_promo": rng.random(lines) < 0.3,
        "region": rng.choice(["N", "S", "E"], lines),
    })
    order_ids = np.char.add("o", rng.integers(0, lines // 2, lines).astype(str)).astype(object)
    order_ids[rng.random(lines) < 0.2] = None
    frame["order_id"] = order_ids
    return frame


def _random_interactions(seed: int, customers: int = 60, rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "customer_id": np.char.add("c", rng.integers(0, customers, rows).astype(str)),
        "interaction_at": np.datetime64("2022-01-01T00:00") + rng.integers(0, 900 * 24 * 60, rows).astype(
            "timedelta64[m]"),
        "kind": rng.choice(["call", "complaint", "survey"], rows),
        "nps_score": pd.array(rng.integers(0, 11, rows), dtype="Int64"),
        "satisfaction": pd.array(rng.integers(1, 6, rows), dtype="Int64"),
    })
    frame.loc[rng.random(rows) < 0.5, "nps_score"] = pd.NA
    return frame


@pytest.mark.parametrize("as_of", [date(2022, 9, 30), date(2023, 6, 15)])
def test_no_leakage_rows_after_as_of_change_nothing(con, as_of):
    tx, inter = _random_transactions(11), _random_interactions(12)
    cutoff = pd.Timestamp(as_of)
    datasets.store_frame(con, "past", "transactions", tx[tx["order_date"] <= cutoff])
    datasets.store_frame(con, "past", "interactions", inter[inter["interaction_at"] < cutoff + pd.Timedelta(days=1)])
    datasets.store_frame(con, "full", "transactions", tx)
    datasets.store_frame(con, "full", "interactions", inter)
    past = features.customer_features(con, datasets.get_dataset(con, "past").dataset_id, as_of)
    full = features.customer_features(con, datasets.get_dataset(con, "full").dataset_id, as_of)
    assert len(past) > 20  # the fixture is not trivially empty
    pd.testing.assert_frame_equal(past, full)
    assert (full["last_order_date"].dropna() <= cutoff).all()


def test_random_data_invariants(con):
    tx = _random_transactions(5)
    datasets.store_frame(con, "r", "transactions", tx)
    as_of = pd.Timestamp("2023-06-01")
    frame = features.customer_features(con, datasets.get_dataset(con, "r").dataset_id, as_of)
    np.testing.assert_allclose(frame["net_spend_amount"], frame["gross_sales_amount"] - frame["returns_amount"])
    buyers = frame[frame["purchase_days"] > 0]
    assert (buyers["frequency"] == buyers["purchase_days"] - 1).all()
    assert (buyers["recency_days"] <= buyers["T_days"]).all()
    assert (buyers["orders_count"] >= 1).all()  # (an order id may span days: no order >= day rule)
    assert (frame["orders_last_365d"] >= frame["orders_last_180d"]).all()
    assert frame["promo_order_share"].dropna().between(0, 1).all()
    # Window spend recomputed in pandas: (as_of - 180, as_of] and (as_of - 360, as_of - 180].
    days_ago = (as_of - tx["order_date"]).dt.days
    assert frame["spend_last_180d"].sum() == pytest.approx(tx.loc[days_ago.between(0, 179), "amount"].sum())
    assert frame["spend_prev_180d"].sum() == pytest.approx(tx.loc[days_ago.between(180, 359), "amount"].sum())


@pytest.mark.parametrize("value", ["2024-01-31", "2024-01-31T23:59:59", date(2024, 1, 31), pd.Timestamp("2024-01-31 12:00"),
                                   pd.Timestamp("2024-01-31 12:00").to_pydatetime(), np.datetime64("2024-01-31"),
                                   np.datetime64("2024-01-31T23:59:59.123456789")])
def test_as_date_takes_every_kind_of_date_the_readers_get(value):
    # features, clv.summary and retention all read their as_of through this one converter
    assert features.as_date(value) == date(2024, 1, 31) and type(features.as_date(value)) is date


@pytest.mark.parametrize("value, message", [(None, "as_of is required"), (pd.NaT, "must be a date"),
                                            (np.datetime64("NaT"), "must be a date"), ("", "must be a date")])
def test_as_date_refuses_a_missing_date(value, message):
    with pytest.raises(ValueError, match=message):
        features.as_date(value)
