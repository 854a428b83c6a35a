"""A seeded, believable demo company, with the truth it was generated from.

The company sells coffee, tea, equipment and services to businesses (cafés,
hotels, offices; company sizes "1-10" to "1000+") and to consumers
(company_size "Individual"), in mainland China and abroad. ``generate_demo``
answers: what would three years of its transactions, customer records and
customer interactions look like, and what are the true parameters behind them?
Later tests fit models to these data and check that the estimates recover
``DemoData.truth``.

Longer than the ~400 lines a module aims for: the generator is one story (customers, their purchase
and dropout processes, promotions, returns, interactions, the truth kept beside them) whose parts share
one random stream; split, the seed's meaning would be spread over files.

How the data arise (all vectorised with numpy; no loop over customers or rows):

* Acquisition: each customer makes a first purchase on a day drawn from a
  growing, seasonal acquisition intensity that jumps during promotions. A
  customer acquired by a promotion ("promo") pays its first order with a
  discount; the others are "organic".
* Repeat purchases follow the BG/NBD story (Fader, Hardie & Lee 2005,
  "Counting your customers the easy way", Marketing Science 24(2)): while alive
  a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``
  per week, and after each repeat purchase drops out for good with probability
  ``p ~ Beta(a, b)``. Promo-acquired customers have their own (r, alpha, a, b),
  with a higher mean dropout: the known effect a churn model should recover.
* Seasonality and promotions time-warp the purchase clock: the Poisson process
  runs on "operational time", the cumulative daily intensity (month factor x
  Chinese-New-Year dip x weekday factor x promotion uplift), which averages
  about one operational day per calendar day. ``lambda`` is per operational
  week.
* Spend follows the Gamma-Gamma model (Fader & Hardie 2013, "The Gamma-Gamma
  model of monetary value"): each order's net amount is ``z ~ Gamma(p, nu)``
  (nu a rate) with ``nu ~ Gamma(q, v)`` (v a rate) per customer, times a fixed
  multiplier for the company size. Orders are split into 1-3 lines.
* Some lines are returned later: a negative line with the same order_id.
* Surveys (NPS 0-10, satisfaction 1-5), complaints, tickets, calls, visits and
  emails follow orders; customers with a high dropout probability, and
  customers around their last purchase before dropping out, score lower and
  complain more.

Amounts are in the company's reporting currency (think CNY), rounded to cents:
``amount`` is what was paid after any discount (negative for returns) and
``discount_amount`` is the discount given on that line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import audit, datasets, db

DEFAULT_END_DATE = date(2026, 9, 30)
MAX_CUSTOMERS = 5_000_000

# --- the true generating parameters -------------------------------------------------------------
# Purchase rate lambda ~ Gamma(r, rate alpha) per week; dropout after each repeat purchase
# p ~ Beta(a, b). Promo-acquired customers buy a little less often and drop out about twice as
# fast (mean p 0.22 against 0.10): deal seekers, the effect the promotion-vs-loyalty page weighs.
PURCHASE_PARAMS = {
    "organic": {"r": 1.4, "alpha": 8.0, "a": 1.6, "b": 14.4},
    "promo": {"r": 1.2, "alpha": 8.0, "a": 1.8, "b": 6.4},
}
# Gamma-Gamma net order amount: z ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v); mean p*v/(q-1) = 600.
SPEND_PARAMS = {"p": 4.0, "q": 5.0, "v": 600.0}
COMPANY_SIZES = ("Individual", "1-10", "11-50", "51-200", "201-1000", "1000+")
SIZE_SPEND_MULTIPLIER = {"Individual": 0.45, "1-10": 0.8, "11-50": 1.3, "51-200": 2.2,
                         "201-1000": 3.5, "1000+": 5.5}
CONSUMER_SHARE = 0.35
BUSINESS_SIZE_SHARE = (0.30, 0.30, 0.20, 0.13, 0.07)  # of business customers, "1-10" .. "1000+"

# Month factors of the purchase and acquisition intensity; they average 1 over a year.
MONTH_FACTOR = (0.95, 0.72, 0.95, 0.98, 1.00, 0.98, 0.92, 0.92, 1.00, 1.02, 1.38, 1.18)
WEEKDAY_FACTOR = (1.08, 1.08, 1.08, 1.08, 1.08, 0.85, 0.75)  # Monday first; averages 1
CNY_DIP = 0.40  # intensity factor over the Spring Festival holiday
CNY_DAYS_BEFORE, CNY_DAYS_AFTER = 3, 7
CHINESE_NEW_YEAR = {
    2010: "2010-02-14", 2011: "2011-02-03", 2012: "2012-01-23", 2013: "2013-02-10", 2014: "2014-01-31",
    2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16", 2019: "2019-02-05",
    2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
    2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03",
}
ACQUISITION_GROWTH = (0.8, 1.2)  # acquisition intensity at the first and the last day, linear between

# Promotions: on a promotion day the purchase intensity is (1 + uplift) times the base; the extra
# orders are promotion orders, and so are base_take_rate of the orders that would have happened
# anyway (discounts given away). Outside promotions a few orders use a coupon.
PROMO_PARAMS = {"uplift": 0.6, "base_take_rate": 0.35, "coupon_rate": 0.03, "coupon_discount": 0.08,
                "acquisition_uplift": 2.5, "discount_spread": 0.25}
# (name, first day "MM-DD" or None for Black Friday, last day, discount depth as a share of list price)
PROMO_CALENDAR = (
    ("Women's Day Sale", "03-07", "03-09", 0.10),
    ("618 Mid-Year Sale", "06-01", "06-18", 0.15),
    ("Singles' Day", "11-01", "11-11", 0.20),
    ("Black Friday", None, None, 0.15),
    ("Double 12", "12-10", "12-12", 0.10),
)

RETURN_PARAMS = {"line_rate": 0.03, "promo_multiplier": 1.8, "consumer_multiplier": 1.4, "mean_delay_days": 12}
LINES_PER_ORDER_SHARE = (0.62, 0.28, 0.10)  # orders of 1, 2 and 3 lines

# Voice of the customer. Latent score = base - slope * (logit(p) - logit(0.1)) - last_orders_drop
# (on the last two orders of a customer who then drops out) + customer effect + noise; NPS is it
# rounded into 0..10, satisfaction 1..5 follows it.
NPS_PARAMS = {"base": 8.4, "slope": 1.1, "last_orders_drop": 2.0, "customer_sd": 0.9, "survey_sd": 1.2,
              "invite_rate": 0.25, "response_rate": 0.35}
SATISFACTION_PARAMS = {"intercept": 1.3, "slope": 0.36, "sd": 0.45}
# Complaint probability per order = sigmoid(intercept + slope * (logit(p) - logit(0.1)) + last_orders).
COMPLAINT_PARAMS = {"intercept": -4.0, "slope": 0.8, "last_orders": 1.8}
CONTACT_RATES = {"ticket": 0.05, "email": 0.12, "call": 0.18, "visit": 0.10, "winback_call": 0.5}

REGIONS = ("East China", "South China", "North China", "Central China", "Southwest China",
           "Northeast China", "Hong Kong & Macau", "Southeast Asia", "Europe", "North America")
REGION_SHARE = (0.24, 0.17, 0.15, 0.08, 0.08, 0.05, 0.05, 0.07, 0.06, 0.05)
ENGLISH_NAME_SHARE = (0.04, 0.04, 0.04, 0.03, 0.03, 0.03, 0.30, 0.45, 0.90, 0.90)  # by region
INDUSTRIES = ("Hospitality", "Retail", "Technology", "Manufacturing", "Education", "Healthcare",
              "Finance", "Logistics", "Government")
INDUSTRY_SHARE = (0.25, 0.18, 0.15, 0.12, 0.08, 0.07, 0.08, 0.04, 0.03)
CHANNELS = ("online", "store", "sales rep", "marketplace")
CHANNEL_SHARE = {"consumer": (0.50, 0.15, 0.00, 0.35), "business": (0.30, 0.10, 0.50, 0.10)}
PREFERRED_CHANNEL_RATE = 0.8

# (category, product, list price); the share columns are how often consumers / businesses pick it.
CATALOG = (
    ("Coffee", "Espresso Beans 1kg", 168.0, 8, 14),
    ("Coffee", "House Blend 1kg", 128.0, 8, 14),
    ("Coffee", "Yunnan Single Origin 500g", 98.0, 7, 4),
    ("Coffee", "Cold Brew Pack", 59.0, 6, 3),
    ("Tea", "Longjing Green Tea 250g", 238.0, 6, 4),
    ("Tea", "Pu'er Cake 357g", 188.0, 5, 3),
    ("Tea", "Jasmine Tea 100 Bags", 69.0, 6, 6),
    ("Tea", "Oolong Gift Tin", 158.0, 5, 2),
    ("Equipment", "Espresso Machine Pro", 12800.0, 1, 4),
    ("Equipment", "Grinder G2", 3200.0, 1, 4),
    ("Equipment", "Drip Brewer", 899.0, 3, 4),
    ("Equipment", "Tea Brewing Station", 5600.0, 0, 2),
    ("Accessories", "Milk Frother", 299.0, 5, 3),
    ("Accessories", "Ceramic Cup Set", 189.0, 6, 5),
    ("Accessories", "Travel Mug", 129.0, 6, 2),
    ("Accessories", "Filter Papers x500", 45.0, 4, 7),
    ("Gift Sets", "Mid-Autumn Gift Box", 398.0, 6, 3),
    ("Gift Sets", "New Year Hamper", 688.0, 5, 3),
    ("Gift Sets", "Tasting Sampler", 158.0, 7, 1),
    ("Services", "Barista Training", 2400.0, 0, 4),
    ("Services", "Maintenance Plan (1 yr)", 1800.0, 0, 4),
    ("Services", "Office Coffee Service (month)", 3500.0, 0, 4),
)

CHINESE_FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
                  "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang",
                  "Han", "Feng", "Deng", "Cao", "Peng")
CHINESE_GIVEN = ("Fang", "Wei", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yan", "Jie", "Tao",
                 "Ming", "Chao", "Xiuying", "Hui", "Na", "Ping", "Gang", "Yong", "Xin", "Hao", "Yu", "Lan",
                 "Ting", "Bo", "Hong", "Mei", "Zhiwei", "Xiaoling", "Jianguo", "Haoran", "Yuxuan", "Zihan")
ENGLISH_FIRST = ("Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Grace", "Chloe",
                 "James", "Liam", "Noah", "Oliver", "William", "Lucas", "Henry", "Daniel", "Jack", "Thomas",
                 "Hannah", "Lena", "Anna", "David", "Michael", "Sarah", "Laura", "Ethan", "Ryan", "Kevin")
ENGLISH_LAST = ("Clark", "Smith", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Johnson", "Miller",
                "Anderson", "Martin", "Thompson", "Walker", "White", "Harris", "Lewis", "Young", "King",
                "Schmidt", "Fischer", "Dubois", "Rossi", "Tan", "Lim", "Lee", "Wong", "Ng", "Nguyen",
                "Chan", "Murphy")
EMAIL_DOMAINS = ("example.com", "example.cn", "example.org", "example.net")
# Three account managers per region, in REGIONS order; consumers have none.
ACCOUNT_MANAGERS = (
    ("Zhou Min", "Chen Jing", "Xu Haoran"), ("Huang Wei", "Lin Xiaoling", "Liang Tao"),
    ("Zhang Lei", "Zhao Yan", "Sun Qiang"), ("Hu Jun", "Deng Ting", "Peng Bo"),
    ("Tang Hong", "Yang Xin", "Cao Yu"), ("Han Gang", "Gao Lan", "Ma Chao"),
    ("Wong Ka Ming", "Chan Mei", "Grace Lee"), ("Daniel Tan", "Sarah Lim", "Kevin Nguyen"),
    ("Laura Schmidt", "Thomas Dubois", "Anna Rossi"), ("Emma Clark", "Michael Walker", "Ryan Murphy"),
)

NOTES = {
    "survey_detractor": ("Delivery was late again", "Prices went up too much", "Machine keeps breaking down",
                         "Support never called back", "Quality is not what it used to be"),
    "survey_passive": ("OK overall", "Good coffee, delivery could be faster", "Fine, a bit expensive",
                       "Does the job"),
    "survey_promoter": ("Great beans, fast delivery", "Our account manager is excellent",
                        "Customers love the new blend", "Reliable and friendly", "Best tea we have tried"),
    "complaint": ("Late delivery", "Damaged packaging", "Wrong item shipped", "Billing error",
                  "Machine breakdown", "Slow support response", "Price increase"),
    "ticket": ("Invoice copy request", "Machine setup help", "Delivery tracking", "Warranty question",
               "Change delivery address", "Password reset"),
    "email": ("Newsletter", "Quote sent", "Invoice sent", "Order follow-up", "Promotion announcement"),
    "call": ("Reorder reminder", "Follow-up call", "Account review", "Upsell: maintenance plan"),
    "visit": ("Quarterly business review", "On-site barista training", "Equipment installation",
              "Tasting session"),
}
WINBACK_NOTE = "Win-back call"
LOGIT_REFERENCE_P = 0.1


@dataclass
class DemoData:
    """Three canonical tables (columns as in ``db.TABLE_COLUMNS``) and the truth behind them."""

    transactions: pd.DataFrame
    customers: pd.DataFrame
    interactions: pd.DataFrame
    truth: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"customers": self.customers, "transactions": self.transactions,
                "interactions": self.interactions}


def generate_demo(n_customers: int = 20_000, seed: int = 7, years: float = 3.0,
                  end_date: date = DEFAULT_END_DATE) -> DemoData:
    """Generate the demo company: ``n_customers`` acquired over ``years`` years ending on ``end_date``.

    The same arguments always give identical frames (``np.random.default_rng(seed)``; today's date
    plays no part). 20,000 customers take well under a second; 1,000,000 customers give about ten
    million transaction lines in some twenty seconds and 3.5 GB of memory (bench/bench_demo.py).
    See the module docstring for the generating process and ``truth`` for its parameters
    (``truth["customers"]`` holds each customer's latent values).
    """
    if not 1 <= int(n_customers) <= MAX_CUSTOMERS:
        raise ValueError(f"n_customers must be between 1 and {MAX_CUSTOMERS:,}; got {n_customers}.")
    if not 0.1 <= float(years) <= 20:
        raise ValueError(f"years must be between 0.1 and 20; got {years}.")
    n = int(n_customers)
    rng = np.random.default_rng(seed)
    cal = _calendar(pd.Timestamp(end_date), years)
    cust = _draw_customers(rng, n, cal)
    orders = _draw_orders(rng, cust, cal)
    lines = _draw_lines(rng, cust, orders, cal)
    transactions = _transactions_frame(cust, orders, lines, cal)
    customers = _customers_frame(rng, cust, cal)
    interactions = _interactions_frame(rng, cust, orders, cal)
    truth = _truth(cust, orders, cal, n, seed, years)
    return DemoData(transactions=transactions, customers=customers, interactions=interactions, truth=truth)


def load_demo(con, dataset_name: str = "demo", n_customers: int = 20_000, seed: int = 7,
              actor: audit.Actor | None = None) -> DemoData:
    """Generate the demo data and store its three tables as dataset ``dataset_name``, all or nothing.

    The dataset becomes the active one; the load is written to the audit log as an import by ``actor``
    (None: this process's user). Returns the generated data (with its truth).
    """
    audit.authorize(con, actor, "can_import_and_delete", f"load the demo data into dataset {dataset_name!r}")
    data = generate_demo(n_customers=n_customers, seed=seed)
    source = f"demo generator (seed {seed}, {n_customers} customers)"
    with db.write_transaction(con) as cur:
        rows = {table: datasets.store_frame(con, dataset_name, table, frame, source=source, cur=cur)
                for table, frame in data.tables().items()}
        name = datasets.validate_dataset_name(dataset_name)
        dataset_id = cur.execute("select dataset_id from datasets where name = ?", [name]).fetchall()[0][0]
        cur.execute("update datasets set is_active = (dataset_id = ?)", [dataset_id])  # part of the load
        audit.record(cur, actor, "import", dataset_name=name, dataset_id=dataset_id,
                     detail={"file_name": source, "rows_loaded": rows, "made_default": True})
    return data


# --- calendar ------------------------------------------------------------------------------------

@dataclass
class _Calendar:
    start: np.datetime64          # first day, datetime64[D]
    n_days: int
    seasonal: np.ndarray          # month x CNY x weekday factor per day
    promo_index: np.ndarray       # index into periods, -1 outside promotions
    periods: list[dict]
    intensity: np.ndarray         # seasonal x promotion uplift: operational days per calendar day
    clock: np.ndarray             # operational time at the start of each day, length n_days + 1
    cny_dates: list[str]

    def to_day(self, operational_time: np.ndarray) -> np.ndarray:
        """Calendar day index (0 = start) of operational times."""
        day = np.searchsorted(self.clock, operational_time, side="right") - 1
        return np.clip(day, 0, self.n_days - 1).astype(np.int32)


def _calendar(end: pd.Timestamp, years: float) -> _Calendar:
    n_days = int(round(years * 365.25))
    last = np.datetime64(end.date(), "D")
    start = last - np.timedelta64(n_days - 1, "D")
    days = start + np.arange(n_days)
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    year_of = days.astype("datetime64[Y]").astype(np.int64) + 1970
    seasonal = np.asarray(MONTH_FACTOR)[month - 1] * np.asarray(WEEKDAY_FACTOR)[weekday]
    cny_dates = []
    for year in range(int(year_of[0]), int(year_of[-1]) + 2):
        # Outside the table, 5 February is a fair middle of the Spring Festival's range.
        cny = np.datetime64(CHINESE_NEW_YEAR.get(year, f"{year}-02-05"), "D")
        offset = (days - cny).astype(np.int64)
        holiday = (offset >= -CNY_DAYS_BEFORE) & (offset <= CNY_DAYS_AFTER)
        if holiday.any():
            cny_dates.append(str(cny))
            seasonal = np.where(holiday, seasonal * CNY_DIP, seasonal)
    promo_index = np.full(n_days, -1, dtype=np.int32)
    periods: list[dict] = []
    for year in range(int(year_of[0]), int(year_of[-1]) + 1):
        for name, first, last_day, depth in PROMO_CALENDAR:
            if first is None:
                first_p, last_p = _black_friday(year)
            else:
                first_p = np.datetime64(f"{year}-{first}", "D")
                last_p = np.datetime64(f"{year}-{last_day}", "D")
            lo = max(int((first_p - start).astype(np.int64)), 0)
            hi = min(int((last_p - start).astype(np.int64)), n_days - 1)
            if lo > hi:
                continue
            promo_index[lo:hi + 1] = len(periods)
            periods.append({"name": name, "start_date": pd.Timestamp(start + lo).date(),
                            "end_date": pd.Timestamp(start + hi).date(), "discount": depth})
    intensity = seasonal * np.where(promo_index >= 0, 1.0 + PROMO_PARAMS["uplift"], 1.0)
    clock = np.concatenate([[0.0], np.cumsum(intensity)])
    return _Calendar(start=start, n_days=n_days, seasonal=seasonal, promo_index=promo_index,
                     periods=periods, intensity=intensity, clock=clock, cny_dates=cny_dates)


def _black_friday(year: int) -> tuple[np.datetime64, np.datetime64]:
    """Black Friday to Cyber Monday: the day after the fourth Thursday of November, four days."""
    nov1 = np.datetime64(f"{year}-11-01", "D")
    weekday = (nov1.astype(np.int64) + 3) % 7
    thanksgiving = nov1 + np.timedelta64(int((3 - weekday) % 7) + 21, "D")
    return thanksgiving + np.timedelta64(1, "D"), thanksgiving + np.timedelta64(4, "D")


# --- customers and their latent traits ---------------------------------------------------------

def _pick(rng: np.random.Generator, shares, size) -> np.ndarray:
    """Indices drawn with probabilities proportional to ``shares`` (vectorised inverse CDF)."""
    cdf = np.cumsum(np.asarray(shares, dtype=float))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1).astype(np.int32)


def _draw_customers(rng: np.random.Generator, n: int, cal: _Calendar) -> dict:
    growth = np.linspace(*ACQUISITION_GROWTH, cal.n_days)
    in_promo = cal.promo_index >= 0
    weight = growth * cal.seasonal * np.where(in_promo, 1.0 + PROMO_PARAMS["acquisition_uplift"], 1.0)
    first_day = np.sort(_pick(rng, weight, n))  # customer ids follow acquisition order
    first_time = cal.clock[first_day] + rng.random(n) * cal.intensity[first_day]
    # Customers on a promotion day are promo-acquired with the share the acquisition uplift added.
    uplift = PROMO_PARAMS["acquisition_uplift"]
    is_promo = in_promo[first_day] & (rng.random(n) < uplift / (1.0 + uplift))

    size = np.where(rng.random(n) < CONSUMER_SHARE, 0, 1 + _pick(rng, BUSINESS_SIZE_SHARE, n)).astype(np.int8)
    is_business = size > 0
    region = _pick(rng, REGION_SHARE, n)

    kind = np.where(is_promo, "promo", "organic")
    lam = np.empty(n)
    p_drop = np.empty(n)
    for name, params in PURCHASE_PARAMS.items():
        mask = kind == name
        lam[mask] = rng.gamma(params["r"], 1.0 / params["alpha"], mask.sum())
        p_drop[mask] = rng.beta(params["a"], params["b"], mask.sum())
    nu = rng.gamma(SPEND_PARAMS["q"], 1.0 / SPEND_PARAMS["v"], n)
    multiplier = np.asarray([SIZE_SPEND_MULTIPLIER[s] for s in COMPANY_SIZES])[size]

    consumer_channel = _pick(rng, CHANNEL_SHARE["consumer"], n)
    business_channel = _pick(rng, CHANNEL_SHARE["business"], n)
    logit_gap = np.log(p_drop / (1 - p_drop)) - np.log(LOGIT_REFERENCE_P / (1 - LOGIT_REFERENCE_P))
    return {
        "n": n, "first_day": first_day.astype(np.int32), "first_time": first_time, "is_promo": is_promo,
        "size": size, "is_business": is_business, "region": region,
        "industry": _pick(rng, INDUSTRY_SHARE, n), "manager_slot": rng.integers(0, 3, n),
        "lam": lam, "p": p_drop, "nu": nu, "multiplier": multiplier,
        "channel": np.where(is_business, business_channel, consumer_channel).astype(np.int8),
        "logit_gap": logit_gap,
        "customer_effect": rng.normal(0.0, NPS_PARAMS["customer_sd"], n),
    }


# --- orders --------------------------------------------------------------------------------------

def _draw_orders(rng: np.random.Generator, cust: dict, cal: _Calendar) -> dict:
    """Every order: first purchases and BG/NBD repeat purchases, sorted by time.

    Given N Poisson events in the customer's remaining operational time S, the event times are
    sorted uniforms on S; the first k of them are drawn without the other N - k through Rényi's
    representation: U_(i) = (E_1 + ... + E_i) / (E_1 + ... + E_(N+1)), E iid exponential, where
    the sum of the last N + 1 - k exponentials is one Gamma(N + 1 - k) draw.

    Also records on ``cust`` each customer's repeats, whether alive at the end, and last purchase time.
    """
    n = cust["n"]
    span = cal.clock[-1] - cust["first_time"]
    events = rng.poisson(cust["lam"] / 7.0 * span)
    drop_after = rng.geometric(cust["p"])  # the repeat purchase after which the customer leaves
    repeats = np.minimum(events, drop_after)
    cust["repeats"] = repeats
    cust["alive"] = drop_after > events

    total_repeats = int(repeats.sum())
    owner = np.repeat(np.arange(n), repeats)
    gaps = rng.standard_exponential(total_repeats)
    running = np.cumsum(gaps)
    ends = np.cumsum(repeats)
    before = np.concatenate([[0.0], running])[ends - repeats]  # cumulative sum before each customer's run
    within = running - before[owner]
    drawn_sum = np.concatenate([[0.0], running])[ends] - before
    rest = rng.standard_gamma(events - repeats + 1.0)
    repeat_time = cust["first_time"][owner] + span[owner] * within / (drawn_sum + rest)[owner]

    cust["last_time"] = np.where(repeats > 0, np.concatenate([[0.0], repeat_time])[ends], cust["first_time"])
    time = np.concatenate([cust["first_time"], repeat_time])
    customer = np.concatenate([np.arange(n), owner]).astype(np.int32)
    position = np.concatenate([np.zeros(n, dtype=np.int64), np.arange(total_repeats) - (ends - repeats)[owner] + 1])
    orders_of_customer = repeats[customer] + 1
    from_last = orders_of_customer - 1 - position
    # Customers who leave are unhappy in their last two orders: the signal churn models look for.
    last_orders = ~cust["alive"][customer] & (from_last <= 1)
    is_final = ~cust["alive"][customer] & (from_last == 0)

    order = np.argsort(time, kind="stable")
    customer, time = customer[order], time[order]
    last_orders, is_final = last_orders[order], is_final[order]
    is_first = (position[order] == 0)
    day = cal.to_day(time)
    promo_index = cal.promo_index[day]
    on_promo_day = promo_index >= 0
    uplift, take = PROMO_PARAMS["uplift"], PROMO_PARAMS["base_take_rate"]
    promo_chance = np.where(on_promo_day, (uplift + take) / (1.0 + uplift), PROMO_PARAMS["coupon_rate"])
    is_promo = rng.random(len(time)) < promo_chance
    is_promo = np.where(is_first, cust["is_promo"][customer], is_promo)
    depth = np.where(on_promo_day, np.asarray([p["discount"] for p in cal.periods] + [0.0])[promo_index],
                     PROMO_PARAMS["coupon_discount"])
    spread = PROMO_PARAMS["discount_spread"]
    depth = np.where(is_promo, depth * rng.uniform(1 - spread, 1 + spread, len(time)), 0.0)

    # Gamma-Gamma: net amount z ~ Gamma(p, rate nu); at least one currency unit.
    net = rng.standard_gamma(SPEND_PARAMS["p"], len(time)) / cust["nu"][customer] * cust["multiplier"][customer]
    net_cents = np.maximum(np.rint(net * 100.0), 100).astype(np.int64)
    preferred = rng.random(len(time)) < PREFERRED_CHANNEL_RATE
    other_channel = np.where(cust["is_business"][customer], _pick(rng, CHANNEL_SHARE["business"], len(time)),
                             _pick(rng, CHANNEL_SHARE["consumer"], len(time)))
    channel = np.where(preferred, cust["channel"][customer], other_channel).astype(np.int8)
    return {"n": len(time), "customer": customer, "day": day, "is_first": is_first, "last_orders": last_orders,
            "is_final": is_final, "is_promo": is_promo, "depth": depth, "net_cents": net_cents, "channel": channel}


def _draw_lines(rng: np.random.Generator, cust: dict, orders: dict, cal: _Calendar) -> dict:
    """Sale lines (1-3 per order) and the return lines some of them get later."""
    n_orders = orders["n"]
    n_lines = (_pick(rng, LINES_PER_ORDER_SHARE, n_orders) + 1).astype(np.int64)
    order_of = np.repeat(np.arange(n_orders), n_lines)
    ends = np.cumsum(n_lines)
    starts = ends - n_lines
    raw = rng.standard_gamma(2.0, len(order_of))
    share = raw / np.add.reduceat(raw, starts)[order_of]
    # A floor on each line's share keeps every line, after the rounding fix below, above zero.
    share = 0.2 / n_lines[order_of] + 0.8 * share
    cents = np.rint(orders["net_cents"][order_of] * share).astype(np.int64)
    last = ends - 1
    cents[last] = orders["net_cents"] - (np.add.reduceat(cents, starts) - cents[last])

    customer = orders["customer"][order_of]
    is_business = cust["is_business"][customer]
    amount = cents / 100.0
    product = _pick_products(rng, amount, is_business)
    prices = np.asarray([item[2] for item in CATALOG])
    quantity = np.maximum(np.rint(amount / prices[product]), 1.0)
    depth = orders["depth"][order_of]
    discount = np.round(amount * depth / (1.0 - depth), 2)

    is_promo = orders["is_promo"][order_of]
    rate = (RETURN_PARAMS["line_rate"] * np.where(is_promo, RETURN_PARAMS["promo_multiplier"], 1.0)
            * np.where(is_business, 1.0, RETURN_PARAMS["consumer_multiplier"]))
    returned = np.flatnonzero(rng.random(len(order_of)) < rate)
    delay = rng.geometric(1.0 / RETURN_PARAMS["mean_delay_days"], len(returned))  # at least a day later
    return_day = orders["day"][order_of[returned]] + delay
    keep = return_day < cal.n_days
    returned, return_day = returned[keep], return_day[keep]
    qty = quantity[returned]
    returned_qty = np.minimum(1 + np.floor(rng.random(len(returned)) * qty), qty)
    return_cents = -np.rint(cents[returned] * returned_qty / qty).astype(np.int64)
    return {"order": order_of, "cents": cents, "product": product, "quantity": quantity, "discount": discount,
            "returned": returned, "return_day": return_day.astype(np.int32), "return_cents": return_cents,
            "return_quantity": -returned_qty}


def _pick_products(rng: np.random.Generator, amount: np.ndarray, is_business: np.ndarray) -> np.ndarray:
    """Catalog index of each line: the segment's usual mix among products the line amount affords.

    Nobody pays 80 for an espresso machine, so a line picks only among products whose list price is
    at most 1.5 times its amount (the cheapest product when none is).
    """
    prices = np.asarray([item[2] for item in CATALOG])
    by_price = np.argsort(prices, kind="stable")
    affordable = np.searchsorted(prices[by_price] / 1.5, amount, side="right")
    product = np.empty(len(amount), dtype=np.int16)
    for column, mask in ((4, is_business), (3, ~is_business)):
        weight = np.asarray([CATALOG[i][column] for i in by_price], dtype=float)
        cumulative = np.concatenate([[0.0], np.cumsum(weight)])
        # The affordable products come first in price order: draw within their share of the mix.
        ceiling = cumulative[affordable[mask]]
        drawn = np.searchsorted(cumulative, rng.random(mask.sum()) * ceiling, side="right") - 1
        drawn = np.where(ceiling > 0, np.minimum(drawn, affordable[mask] - 1), 0)
        product[mask] = by_price[np.clip(drawn, 0, len(prices) - 1)]
    return product


# --- frames --------------------------------------------------------------------------------------

def _text(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pandas ``str`` column straight from Arrow, without a Python object per row."""
    return pd.Series(values, dtype="str")


def _take(labels, index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(list(labels), type=pa.string()), pa.array(index))


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _dates(cal: _Calendar, day: np.ndarray) -> np.ndarray:
    return (cal.start + day.astype("timedelta64[D]")).astype("datetime64[us]")


def _customer_ids(n: int) -> pa.Array:
    return _numbered("C", np.arange(1, n + 1), max(7, len(str(n))))


def _transactions_frame(cust: dict, orders: dict, lines: dict, cal: _Calendar) -> pd.DataFrame:
    returned = lines["returned"]
    order_of = np.concatenate([lines["order"], lines["order"][returned]])
    day = np.concatenate([orders["day"][lines["order"]], lines["return_day"]])
    # Returns come after their sale: a stable sort by day keeps the lines of each order together.
    row = np.argsort(day, kind="stable")
    order_of, day = order_of[row], day[row]
    sale_line = np.concatenate([np.arange(len(lines["order"])), returned])[row]
    is_return = row >= len(lines["order"])
    customer = orders["customer"][order_of]
    cents = np.concatenate([lines["cents"], lines["return_cents"]])[row]
    quantity = np.concatenate([lines["quantity"], lines["return_quantity"]])[row]
    discount = np.where(is_return, 0.0, lines["discount"][sale_line])
    width = max(8, len(str(orders["n"])))
    return pd.DataFrame({
        "customer_id": _text(pc.take(_customer_ids(cust["n"]), pa.array(customer))),
        "order_id": _text(_numbered("O", order_of + 1, width)),
        "order_date": _dates(cal, day),
        "amount": cents / 100.0,
        "quantity": quantity,
        "channel": _text(_take(CHANNELS, orders["channel"][order_of])),
        "category": _text(_take([item[0] for item in CATALOG], lines["product"][sale_line])),
        "product": _text(_take([item[1] for item in CATALOG], lines["product"][sale_line])),
        "region": _text(_take(REGIONS, cust["region"][customer])),
        "is_promo": orders["is_promo"][order_of],
        "discount_amount": discount,
    })


def _customers_frame(rng: np.random.Generator, cust: dict, cal: _Calendar) -> pd.DataFrame:
    n = cust["n"]
    region = cust["region"]
    english = rng.random(n) < np.asarray(ENGLISH_NAME_SHARE)[region]
    family = np.where(english, _pick(rng, np.ones(len(ENGLISH_LAST)), n),
                      _pick(rng, np.ones(len(CHINESE_FAMILY)), n))
    given = np.where(english, _pick(rng, np.ones(len(ENGLISH_FIRST)), n),
                     _pick(rng, np.ones(len(CHINESE_GIVEN)), n))
    offset_family = np.where(english, len(CHINESE_FAMILY), 0) + family
    offset_given = np.where(english, len(CHINESE_GIVEN), 0) + given
    family_text = _take(CHINESE_FAMILY + ENGLISH_LAST, offset_family)
    given_text = _take(CHINESE_GIVEN + ENGLISH_FIRST, offset_given)
    # Chinese names are written family name first, English ones given name first.
    first = pc.if_else(pa.array(english), given_text, family_text)
    second = pc.if_else(pa.array(english), family_text, given_text)
    name = pc.binary_join_element_wise(first, second, " ")
    local = pc.binary_join_element_wise(pc.utf8_lower(first), pc.utf8_lower(second), ".")
    number = pc.cast(pa.array(rng.integers(1, 1000, n)), pa.string())
    domain = _take(EMAIL_DOMAINS, _pick(rng, (0.5, 0.3, 0.1, 0.1), n))
    email = pc.binary_join_element_wise(local, number, "@", domain, "")

    signup_lag = np.where(cust["is_business"], rng.geometric(1 / 20, n) - 1,
                          np.where(rng.random(n) < 0.7, 0, rng.geometric(1 / 10, n)))
    signup_day = np.maximum(cust["first_day"] - signup_lag, 0)
    managers = np.asarray(ACCOUNT_MANAGERS, dtype=object)
    manager_index = region.astype(np.int64) * 3 + cust["manager_slot"]
    manager = pc.if_else(pa.array(cust["is_business"]),
                         _take(managers.ravel().tolist(), manager_index), pa.scalar(None, pa.string()))
    industry = pc.if_else(pa.array(cust["is_business"]), _take(INDUSTRIES, cust["industry"]), pa.scalar("Consumer"))
    return pd.DataFrame({
        "customer_id": _text(_customer_ids(n)),
        "name": _text(name),
        "email": _text(email),
        "phone": _text(_phones(rng, region)),
        "signup_date": _dates(cal, signup_day),
        "region": _text(_take(REGIONS, region)),
        "industry": _text(industry),
        "company_size": _text(_take(COMPANY_SIZES, cust["size"])),
        "account_manager": _text(manager),
    })


def _phones(rng: np.random.Generator, region: np.ndarray) -> pa.Array:
    """Plausible phone numbers in each region's format (+86 mainland mobiles, +852, +65, +44, +1)."""
    n = len(region)

    def digits(width: int, low: int = 0) -> pa.Array:
        return pc.utf8_lpad(pc.cast(pa.array(rng.integers(low, 10 ** width, n)), pa.string()), width, "0")

    mobile = pc.binary_join_element_wise("+86 1", pc.cast(pa.array(rng.integers(30, 100, n)), pa.string()), "")
    mainland = pc.binary_join_element_wise(mobile, digits(4), digits(4), " ")
    local8 = pc.binary_join_element_wise(digits(4, 2000), digits(4), " ")
    formats = {
        "Hong Kong & Macau": pc.binary_join_element_wise("+852", local8, " "),
        "Southeast Asia": pc.binary_join_element_wise("+65", local8, " "),
        "Europe": pc.binary_join_element_wise("+44 20", local8, " "),
        "North America": pc.binary_join_element_wise("+1", digits(3, 201), "555", digits(4), " "),
    }
    phone = mainland
    for name, text in formats.items():
        phone = pc.if_else(pa.array(region == REGIONS.index(name)), text, phone)
    return phone


def _interactions_frame(rng: np.random.Generator, cust: dict, orders: dict, cal: _Calendar) -> pd.DataFrame:
    """Surveys, complaints, tickets, emails, calls and visits that follow orders, plus win-back calls."""
    n_orders = orders["n"]
    customer = orders["customer"]
    last_orders = orders["last_orders"]
    is_business = cust["is_business"][customer]
    gap = cust["logit_gap"][customer]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("order", "kind", "delay", "nps", "sat", "note")}
    note_labels: list[str] = []

    def add(kind: str, chosen: np.ndarray, delay: np.ndarray, notes: tuple[str, ...] | np.ndarray,
            nps: np.ndarray | None = None, sat: np.ndarray | None = None) -> None:
        count = len(chosen)
        if isinstance(notes, tuple):
            note_index = len(note_labels) + rng.integers(0, len(notes), count)
            note_labels.extend(notes)
        else:
            note_index = notes
        parts["order"].append(chosen)
        parts["kind"].append(np.full(count, db.INTERACTION_KINDS.index(kind), dtype=np.int8))
        parts["delay"].append(delay)
        parts["nps"].append(nps if nps is not None else np.full(count, -1))
        parts["sat"].append(sat if sat is not None else np.full(count, -1))
        parts["note"].append(note_index)

    def chosen_where(probability) -> np.ndarray:
        return np.flatnonzero(rng.random(n_orders) < probability)

    surveyed = chosen_where(NPS_PARAMS["invite_rate"] * NPS_PARAMS["response_rate"])
    latent = (NPS_PARAMS["base"] - NPS_PARAMS["slope"] * gap[surveyed]
              - NPS_PARAMS["last_orders_drop"] * last_orders[surveyed]
              + cust["customer_effect"][customer[surveyed]] + rng.normal(0, NPS_PARAMS["survey_sd"], len(surveyed)))
    nps = np.clip(np.rint(latent), 0, 10).astype(np.int64)
    sat = _satisfaction(rng, latent)
    bucket = np.where(nps <= 6, 0, np.where(nps <= 8, 1, 2))
    comment_sets = (NOTES["survey_detractor"], NOTES["survey_passive"], NOTES["survey_promoter"])
    first_label = len(note_labels) + np.cumsum([0] + [len(s) for s in comment_sets])[:-1]
    sizes = np.asarray([len(s) for s in comment_sets])
    for comments in comment_sets:
        note_labels.extend(comments)
    comment = first_label[bucket] + (rng.random(len(surveyed)) * sizes[bucket]).astype(np.int64)
    add("survey", surveyed, rng.integers(2, 15, len(surveyed)), comment, nps, sat)

    logit = (COMPLAINT_PARAMS["intercept"] + COMPLAINT_PARAMS["slope"] * gap
             + COMPLAINT_PARAMS["last_orders"] * last_orders)
    complained = chosen_where(1.0 / (1.0 + np.exp(-logit)))
    add("complaint", complained, rng.integers(1, 21, len(complained)), NOTES["complaint"])

    ticketed = chosen_where(CONTACT_RATES["ticket"])
    # Half the tickets end with a satisfaction rating, a little below the survey ones.
    ticket_latent = (NPS_PARAMS["base"] - 0.5 - NPS_PARAMS["slope"] * gap[ticketed]
                     + cust["customer_effect"][customer[ticketed]]
                     + rng.normal(0, NPS_PARAMS["survey_sd"], len(ticketed)))
    ticket_sat = np.where(rng.random(len(ticketed)) < 0.5, _satisfaction(rng, ticket_latent), -1)
    add("ticket", ticketed, rng.integers(0, 30, len(ticketed)), NOTES["ticket"], sat=ticket_sat)

    emailed = chosen_where(CONTACT_RATES["email"])
    add("email", emailed, rng.integers(0, 30, len(emailed)), NOTES["email"])
    called = chosen_where(CONTACT_RATES["call"] * is_business)
    add("call", called, rng.integers(1, 40, len(called)), NOTES["call"])
    visited = chosen_where(CONTACT_RATES["visit"] * (cust["size"][customer] >= 3))
    add("visit", visited, rng.integers(3, 45, len(visited)), NOTES["visit"])

    # Account managers try to win back business customers who went quiet after their last order.
    final = np.flatnonzero(orders["is_final"])
    winback = final[cust["is_business"][customer[final]] & (rng.random(len(final)) < CONTACT_RATES["winback_call"])]
    note_labels.append(WINBACK_NOTE)
    add("call", winback, rng.integers(60, 121, len(winback)), np.full(len(winback), len(note_labels) - 1))

    order = np.concatenate(parts["order"])
    day = orders["day"][order] + np.concatenate(parts["delay"]).astype(np.int32)
    keep = np.flatnonzero(day < cal.n_days)
    seconds = rng.integers(9 * 3600, 18 * 3600, len(keep))  # office hours
    at = _dates(cal, day[keep]) + seconds.astype("timedelta64[s]")
    row = np.lexsort((orders["customer"][order[keep]], at))
    keep = keep[row]
    who = orders["customer"][order[keep]]
    nps_values = np.concatenate(parts["nps"])[keep]
    sat_values = np.concatenate(parts["sat"])[keep]
    return pd.DataFrame({
        "customer_id": _text(pc.take(_customer_ids(cust["n"]), pa.array(who))),
        "interaction_at": at[row],
        "kind": _text(_take(db.INTERACTION_KINDS, np.concatenate(parts["kind"])[keep])),
        "nps_score": pd.Series(nps_values, dtype="Int64").mask(nps_values < 0),
        "satisfaction": pd.Series(sat_values, dtype="Int64").mask(sat_values < 0),
        "note": _text(_take(note_labels, np.concatenate(parts["note"])[keep])),
    })


def _satisfaction(rng: np.random.Generator, latent: np.ndarray) -> np.ndarray:
    """Satisfaction 1-5 from the latent NPS-scale score."""
    value = (SATISFACTION_PARAMS["intercept"] + SATISFACTION_PARAMS["slope"] * latent
             + rng.normal(0, SATISFACTION_PARAMS["sd"], len(latent)))
    return np.clip(np.rint(value), 1, 5).astype(np.int64)


# --- truth ---------------------------------------------------------------------------------------

def _truth(cust: dict, orders: dict, cal: _Calendar, n: int, seed: int, years: float) -> dict:
    p, q, v = SPEND_PARAMS["p"], SPEND_PARAMS["q"], SPEND_PARAMS["v"]
    base_mean = p * v / (q - 1)
    dropout_day = np.where(cust["alive"], -1, cal.to_day(cust["last_time"]))
    dropout_date = pd.Series(_dates(cal, np.maximum(dropout_day, 0))).where(dropout_day >= 0)
    latent = pd.DataFrame({
        "customer_id": _text(_customer_ids(n)),
        "acquisition": np.where(cust["is_promo"], "promo", "organic"),
        "purchase_rate_per_week": cust["lam"],
        "dropout_probability": cust["p"],
        "spend_multiplier": cust["multiplier"],
        "mean_order_amount": p / cust["nu"] * cust["multiplier"],
        "repeat_purchases": cust["repeats"],
        "is_alive_at_end": cust["alive"],
        "dropout_date": dropout_date,
    })
    return {
        "seed": seed, "n_customers": n, "years": years,
        "start_date": pd.Timestamp(cal.start).date(), "end_date": pd.Timestamp(cal.start + cal.n_days - 1).date(),
        "time_unit": "week of operational time (about a calendar week; see daily_intensity)",
        "purchase": {kind: dict(params) for kind, params in PURCHASE_PARAMS.items()},
        "dropout_mean": {kind: params["a"] / (params["a"] + params["b"]) for kind, params in PURCHASE_PARAMS.items()},
        "purchase_rate_mean": {kind: params["r"] / params["alpha"] for kind, params in PURCHASE_PARAMS.items()},
        "spend": {"p": p, "q": q, "v": v, "mean_order_amount": base_mean,
                  "size_multiplier": dict(SIZE_SPEND_MULTIPLIER),
                  "mean_order_amount_by_size": {s: base_mean * m for s, m in SIZE_SPEND_MULTIPLIER.items()}},
        "promo": {**PROMO_PARAMS, "periods": list(cal.periods),
                  "promo_acquired_share": float(cust["is_promo"].mean())},
        "seasonality": {"month_factor": dict(zip(range(1, 13), MONTH_FACTOR)),
                        "weekday_factor": dict(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                                                   WEEKDAY_FACTOR)),
                        "cny_factor": CNY_DIP, "cny_days_before": CNY_DAYS_BEFORE,
                        "cny_days_after": CNY_DAYS_AFTER, "cny_dates": cal.cny_dates},
        "daily_intensity": pd.Series(cal.intensity, index=pd.DatetimeIndex(_dates(cal, np.arange(cal.n_days))),
                                     name="operational_days_per_day"),
        "acquisition_growth": ACQUISITION_GROWTH,
        "returns": dict(RETURN_PARAMS),
        "nps": dict(NPS_PARAMS), "satisfaction": dict(SATISFACTION_PARAMS),
        "complaints": dict(COMPLAINT_PARAMS), "contact_rates": dict(CONTACT_RATES),
        "logit_reference_p": LOGIT_REFERENCE_P,
        "customers": latent,
    }
