"""The demo generator: deterministic, canonical, stored all or nothing, and true to its own truth.

Statistical checks compare the data with what ``truth`` implies and allow four standard errors,
computed from the truth, so a broken generator fails them while a correct one passes for any seed.
"""
import re

import numpy as np
import pandas as pd
import pytest

from custlib import datasets, db, demo

N_CUSTOMERS = 4_000
SEED = 2024
INACTIVE_DAYS = 180


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate_demo(n_customers=N_CUSTOMERS, seed=SEED)


@pytest.fixture(scope="module")
def sales(data) -> pd.DataFrame:
    return data.transactions[data.transactions["amount"] > 0]


@pytest.fixture(scope="module")
def seasoned(data, sales) -> pd.DataFrame:
    """Customers acquired at least a year before the end, with first and last purchase and latent truth."""
    end = pd.Timestamp(data.truth["end_date"])
    first = sales.sort_values("order_id").groupby("customer_id")[["order_date", "is_promo"]].first()
    summary = (data.truth["customers"].set_index("customer_id")
               .join(first.rename(columns={"order_date": "first_date", "is_promo": "first_is_promo"}))
               .join(sales.groupby("customer_id")["order_date"].max().rename("last_date")))
    summary["inactive"] = summary["last_date"] <= end - pd.Timedelta(days=INACTIVE_DAYS)
    return summary[summary["first_date"] <= end - pd.Timedelta(days=365)]


def test_same_seed_gives_identical_frames_and_another_seed_does_not(data):
    again = demo.generate_demo(n_customers=N_CUSTOMERS, seed=SEED)
    for table, frame in data.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[table])
    pd.testing.assert_frame_equal(data.truth["customers"], again.truth["customers"])
    other = demo.generate_demo(n_customers=N_CUSTOMERS, seed=SEED + 1)
    assert not other.transactions["amount"].equals(data.transactions["amount"])
    assert not other.customers["name"].equals(data.customers["name"])


def test_columns_and_types_are_the_canonical_ones(data):
    for table, frame in data.tables().items():
        assert list(frame.columns) == list(db.TABLE_COLUMNS[table]), table
    tx, customers, interactions = data.transactions, data.customers, data.interactions
    for frame, column in ((tx, "order_date"), (customers, "signup_date"), (interactions, "interaction_at")):
        assert pd.api.types.is_datetime64_dtype(frame[column]), column
    assert (tx["order_date"] == tx["order_date"].dt.normalize()).all()  # whole days
    assert tx["is_promo"].dtype == bool
    assert np.array_equal(tx["amount"], tx["amount"].round(2)) and (tx["amount"] != 0).all()
    assert str(interactions["nps_score"].dtype) == "Int64"
    assert len(customers) == N_CUSTOMERS and customers["customer_id"].is_unique
    assert customers["customer_id"].str.fullmatch(r"C\d{7}").all()
    assert set(interactions["kind"]) <= set(db.INTERACTION_KINDS)
    assert set(tx["channel"]) == {"online", "store", "sales rep", "marketplace"}


def test_people_look_real(data):
    customers = data.customers
    assert customers["name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()
    emails = customers["name"].str.lower().str.replace(" ", ".", regex=False)
    assert (customers["email"].str.extract(r"^([a-z]+\.[a-z]+)\d+@example\.(?:com|cn|org|net)$")[0] == emails).all()
    mainland = customers["region"].str.endswith(" China")
    assert customers.loc[mainland, "phone"].str.fullmatch(r"\+86 1\d\d \d{4} \d{4}").all()
    managers = customers["account_manager"].dropna().unique()
    assert 20 <= len(managers) <= 40
    consumers = customers["company_size"] == "Individual"
    assert customers.loc[consumers, "account_manager"].isna().all()
    assert customers.loc[~consumers, "account_manager"].notna().all()
    assert 0.25 < consumers.mean() < 0.45  # truth: 35% consumers
    assert set(customers["company_size"]) == set(demo.COMPANY_SIZES)


def test_load_demo_stores_every_table_and_makes_the_dataset_active(con):
    loaded = demo.load_demo(con, "demo", n_customers=2_000, seed=5)
    assert datasets.get_dataset(con).name == "demo"
    for table, frame in loaded.tables().items():
        stored = db.query_df(con, f"select count(*) as n, count(distinct customer_id) as c from {table}")
        assert (stored["n"][0], stored["c"][0]) == (len(frame), frame["customer_id"].nunique()), table
    totals = db.query_df(con, "select sum(amount) as amount, sum(is_promo::int) as promo, "
                              "count(distinct order_id) as orders from transactions")
    assert totals["amount"][0] == pytest.approx(loaded.transactions["amount"].sum(), abs=0.01)
    assert totals["promo"][0] == loaded.transactions["is_promo"].sum()
    assert totals["orders"][0] == loaded.transactions["order_id"].nunique()
    nps = db.query_df(con, "select count(nps_score) as n, sum(nps_score) as total from interactions")
    assert nps["n"][0] == loaded.interactions["nps_score"].count()
    assert nps["total"][0] == loaded.interactions["nps_score"].sum()


def test_load_demo_is_all_or_nothing(con, monkeypatch):
    real_store = datasets.store_frame

    def fail_on_interactions(con_, name, table, frame, source="generated", cur=None):
        if table == "interactions":
            raise RuntimeError("disk full")
        return real_store(con_, name, table, frame, source, cur)

    monkeypatch.setattr(datasets, "store_frame", fail_on_interactions)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.load_demo(con, "demo", n_customers=1_000, seed=5)
    assert datasets.list_datasets(con) == []
    assert db.query_df(con, "select count(*) as n from transactions")["n"][0] == 0


def test_purchases_belong_to_known_customers_between_signup_and_end(data):
    tx = data.transactions.merge(data.customers[["customer_id", "signup_date", "region"]], on="customer_id",
                                 how="left", suffixes=("", "_customer"), validate="many_to_one")
    assert tx["signup_date"].notna().all()
    assert (tx["order_date"] >= tx["signup_date"]).all()
    assert tx["order_date"].max() <= pd.Timestamp(demo.DEFAULT_END_DATE)
    assert tx["order_date"].min() >= pd.Timestamp(data.truth["start_date"])
    assert (tx["region"] == tx["region_customer"]).all()
    assert data.interactions["interaction_at"].max() < pd.Timestamp(demo.DEFAULT_END_DATE) + pd.Timedelta(days=1)
    assert data.interactions["customer_id"].isin(data.customers["customer_id"]).all()


def test_returns_are_negative_and_follow_a_sale_of_the_same_order(data, sales):
    tx = data.transactions
    returns = tx[tx["amount"] < 0]
    assert 0.02 < len(returns) / len(sales) < 0.08  # truth: 3% of lines, more for promotions and consumers
    sale_orders = sales.groupby("order_id").agg(customer_id=("customer_id", "first"),
                                                 sale_date=("order_date", "min"), sold=("amount", "sum"))
    matched = returns.merge(sale_orders, left_on="order_id", right_index=True, how="left",
                            suffixes=("", "_sale"), validate="many_to_one")
    assert matched["sale_date"].notna().all()
    assert (matched["customer_id"] == matched["customer_id_sale"]).all()
    assert (matched["order_date"] > matched["sale_date"]).all()
    returned = returns.groupby("order_id")["amount"].sum()
    assert (returned.abs() <= sale_orders["sold"].reindex(returned.index) + 0.005).all()
    assert (returns["quantity"] < 0).all() and (returns["discount_amount"] == 0).all()


def test_orders_have_one_to_three_lines_in_the_true_shares(sales):
    lines = sales.groupby("order_id").size()
    assert set(lines.unique()) == {1, 2, 3}
    for count, share in zip((1, 2, 3), demo.LINES_PER_ORDER_SHARE):
        observed = (lines == count).mean()
        assert abs(observed - share) < 4 * np.sqrt(share * (1 - share) / len(lines)), count


def test_promotion_lines_carry_a_discount_and_others_do_not(sales):
    promo = sales[sales["is_promo"]]
    assert (sales.loc[~sales["is_promo"], "discount_amount"] == 0).all()
    rate = promo["discount_amount"] / (promo["amount"] + promo["discount_amount"])  # share of list price
    spread = demo.PROMO_PARAMS["discount_spread"]
    assert rate.min() >= 0.08 * (1 - spread) - 0.01 and rate.max() <= 0.20 * (1 + spread) + 0.01
    assert 0.10 < sales["is_promo"].mean() < 0.25


def test_promotion_acquired_customers_churn_faster_as_the_truth_implies(data, seasoned):
    """Share with no purchase in the last 180 days, against its BG/NBD expectation given each
    customer's latent rate and dropout: alive at S - H with probability exp(-lambda p (S - H)),
    then buys within H with probability 1 - exp(-lambda H) (Fader, Hardie & Lee 2005), S and H
    measured on the operational clock of ``truth["daily_intensity"]``."""
    assert (seasoned["first_is_promo"] == (seasoned["acquisition"] == "promo")).all()
    intensity = data.truth["daily_intensity"].to_numpy()
    clock = np.concatenate([[0.0], np.cumsum(intensity)])
    day = (seasoned["first_date"] - data.truth["daily_intensity"].index[0]).dt.days.to_numpy()
    age = clock[-1] - (clock[day] + 0.5 * intensity[day])  # the first purchase falls mid-day on average
    window = clock[-1] - clock[-1 - INACTIVE_DAYS]
    rate = seasoned["purchase_rate_per_week"].to_numpy() / 7
    p = seasoned["dropout_probability"].to_numpy()
    buys = np.exp(-rate * p * (age - window)) * (1 - np.exp(-rate * window))
    expected = pd.Series(1 - buys, index=seasoned.index).groupby(seasoned["acquisition"]).mean()
    observed = seasoned.groupby("acquisition")["inactive"].agg(["mean", "count"])
    for kind in ("organic", "promo"):
        se = np.sqrt(expected[kind] * (1 - expected[kind]) / observed.loc[kind, "count"])
        assert abs(observed.loc[kind, "mean"] - expected[kind]) < 4 * se, kind
    gap = observed.loc["promo", "mean"] - observed.loc["organic", "mean"]
    assert gap > 0.08  # about 0.17 expected with these parameters
    assert expected["promo"] - expected["organic"] > 0.08


def test_latent_traits_follow_their_mixing_distributions(data):
    latent = data.truth["customers"]
    for kind, params in data.truth["purchase"].items():
        group = latent[latent["acquisition"] == kind]
        a, b, r, alpha = params["a"], params["b"], params["r"], params["alpha"]
        beta_sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        assert abs(group["dropout_probability"].mean() - a / (a + b)) < 4 * beta_sd / np.sqrt(len(group)), kind
        assert abs(group["purchase_rate_per_week"].mean() - r / alpha) < 4 * np.sqrt(r) / alpha / np.sqrt(len(group))
    assert data.truth["dropout_mean"]["promo"] > 1.5 * data.truth["dropout_mean"]["organic"]
    share = data.truth["promo"]["promo_acquired_share"]
    assert 0.1 < share < 0.4 and share == pytest.approx((latent["acquisition"] == "promo").mean())


def test_customers_who_stop_buying_gave_lower_nps_and_complained_more(data, sales, seasoned):
    interactions = data.interactions
    nps = interactions[interactions["kind"] == "survey"].groupby("customer_id")["nps_score"].mean()
    by_status = seasoned.join(nps.rename("nps")).groupby("inactive")["nps"].mean()
    assert by_status[False] - by_status[True] > 0.6  # about 1.1 points with these parameters
    complaints = interactions[interactions["kind"] == "complaint"].groupby("customer_id").size()
    orders = sales.groupby("customer_id")["order_id"].nunique()
    frame = seasoned.join(complaints.rename("complaints")).join(orders.rename("orders")).fillna({"complaints": 0})
    per_order = frame.groupby("inactive")[["complaints", "orders"]].sum()
    rate = per_order["complaints"] / per_order["orders"]
    assert rate[True] > 2 * rate[False]
    surveys = interactions[interactions["kind"] == "survey"]
    assert surveys["nps_score"].between(0, 10).all() and surveys["satisfaction"].between(1, 5).all()
    assert surveys["nps_score"].astype(float).corr(surveys["satisfaction"].astype(float)) > 0.5
    assert interactions.loc[interactions["kind"] != "survey", "nps_score"].isna().all()


def test_november_outsells_february(sales):
    daily = sales.groupby("order_date")["amount"].sum()
    month = daily.index.month
    # Truth: month factors 1.38 against 0.72, Singles' Day and Black Friday against the Spring Festival dip.
    assert daily[month == 11].mean() > 1.8 * daily[month == 2].mean()
    per_year = sales.groupby(sales["order_date"].dt.to_period("M"))["amount"].sum()
    for year in (2024, 2025):
        assert per_year[pd.Period(f"{year}-11", "M")] > per_year[pd.Period(f"{year + 1}-02", "M")]


def test_repeat_orders_rise_in_promotions_as_the_daily_intensity_says(data, sales):
    """Repeat purchases follow the operational clock, so repeat orders in the promotions over those
    in the two weeks before each should match the same ratio of the true daily intensity."""
    intensity = data.truth["daily_intensity"]
    orders = sales.drop_duplicates("order_id")
    first_order = orders.groupby("customer_id")["order_id"].transform("min")
    repeat_days = orders.loc[orders["order_id"] != first_order, "order_date"].value_counts()
    repeat_days = repeat_days.reindex(intensity.index, fill_value=0)
    in_promo, before, promo_days, prior_days = 0.0, 0.0, 0, 0
    expected_promo, expected_before = 0.0, 0.0
    for period in data.truth["promo"]["periods"]:
        days = pd.date_range(period["start_date"], period["end_date"])
        prior = pd.date_range(end=days[0] - pd.Timedelta(days=1), periods=14)
        if prior[0] < intensity.index[0] + pd.Timedelta(days=120):
            continue  # the young customer base grows too fast in the first months to compare
        in_promo += repeat_days[days].sum()
        promo_days += len(days)
        prior_days += len(prior)
        before += repeat_days[prior].sum()
        expected_promo += intensity[days].sum()
        expected_before += intensity[prior].sum()
    observed, expected = in_promo / before, expected_promo / expected_before
    # Four Poisson standard errors, plus 5% for the customers a promotion itself brings in, who can
    # buy again before it ends (about +3% over seeds 1-8).
    assert observed == pytest.approx(expected, rel=4 * np.sqrt(1 / in_promo + 1 / before) + 0.05)
    assert (in_promo / promo_days) / (before / prior_days) > 1.4  # truth: intensity 1.75 per day against 1.09


def test_spend_per_order_matches_the_gamma_gamma_truth(data, sales):
    """Mean over customers of their mean net order amount, size multiplier removed, against
    E[p / nu] = p v / (q - 1) (Fader & Hardie 2013); the standard error uses Var(p / nu) =
    p^2 v^2 / ((q-1)^2 (q-2)) between customers and E[p / nu^2] / x = p v^2 / ((q-1)(q-2) x) within."""
    spend = data.truth["spend"]
    p, q, v = spend["p"], spend["q"], spend["v"]
    orders = sales.groupby(["customer_id", "order_id"])["amount"].sum().reset_index()
    multiplier = data.customers.set_index("customer_id")["company_size"].map(spend["size_multiplier"])
    orders["z"] = orders["amount"] / orders["customer_id"].map(multiplier)
    per_customer = orders.groupby("customer_id")["z"].agg(["mean", "count"])
    between = p ** 2 * v ** 2 / ((q - 1) ** 2 * (q - 2))
    within = p * v ** 2 / ((q - 1) * (q - 2))
    se = np.sqrt((between + within / per_customer["count"]).mean() / len(per_customer))
    assert abs(per_customer["mean"].mean() - spend["mean_order_amount"]) < 4 * se
    assert spend["mean_order_amount"] == pytest.approx(600.0)
    sizes = orders.join(data.customers.set_index("customer_id")["company_size"], on="customer_id")
    by_size = sizes.groupby("company_size")["amount"].mean()
    assert by_size["1000+"] > 5 * by_size["Individual"]  # truth: multipliers 5.5 against 0.45


def test_truth_describes_the_window_and_the_promotion_calendar(data):
    truth = data.truth
    assert truth["end_date"] == demo.DEFAULT_END_DATE
    assert (truth["end_date"] - truth["start_date"]).days + 1 == round(3 * 365.25)
    assert len(truth["daily_intensity"]) == round(3 * 365.25)
    names = {period["name"] for period in truth["promo"]["periods"]}
    assert {"Singles' Day", "618 Mid-Year Sale", "Black Friday"} <= names
    singles = [p for p in truth["promo"]["periods"] if p["name"] == "Singles' Day"]
    assert all((p["start_date"].month, p["start_date"].day, p["end_date"].day) == (11, 1, 11) for p in singles)
    assert set(truth["customers"]["customer_id"]) == set(data.customers["customer_id"])


def test_sizes_outside_the_supported_range_are_refused():
    with pytest.raises(ValueError, match="n_customers must be between 1 and"):
        demo.generate_demo(n_customers=0)
    with pytest.raises(ValueError, match="years must be between"):
        demo.generate_demo(n_customers=10, years=0)


def test_a_different_end_date_moves_the_whole_window():
    small = demo.generate_demo(n_customers=300, seed=1, years=1.0, end_date=pd.Timestamp("2024-12-31").date())
    assert small.transactions["order_date"].max() <= pd.Timestamp("2024-12-31")
    assert small.transactions["order_date"].min() >= pd.Timestamp("2024-01-01")
    assert re.fullmatch(r"O\d{8}", small.transactions["order_id"].iloc[0])
