"""How long the customer feature mart takes on a large dataset, and how much memory it needs.

Generates (vectorised with numpy, inserted through a registered DataFrame) a
dataset of 1M customers and about 10M transaction lines over three years, with
5% of orders without an order id, 4% return lines, customer records for 80% of
customers and 2M interactions; then, in a fresh process so the figures are the
query's own, times ``features.customer_features`` and prints seconds and peak
resident memory.

    .venv/bin/python bench/bench_features.py                    # 1M customers, ~10M lines
    .venv/bin/python bench/bench_features.py --customers 100000 # smaller
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custlib import datasets, db, features  # noqa: E402

START = np.datetime64("2022-01-01")
SPAN_DAYS = 3 * 365
AS_OF = date(2024, 12, 31)
REGIONS = "['North', 'South', 'East', 'West', 'Central']"


def generate(con, n_customers: int, seed: int = 20240531) -> int:
    """Write a synthetic dataset ``bench`` into ``con``; returns the number of transaction lines."""
    rng = np.random.default_rng(seed)
    # Orders per customer: 1 + Poisson with gamma-distributed rates (an NBD), mean 5; lines per order 1 + Poisson(1).
    orders_per_customer = rng.poisson(rng.gamma(1.0, 4.0, n_customers)) + 1
    order_customer = np.repeat(np.arange(n_customers), orders_per_customer)
    n_orders = order_customer.size
    first_day = rng.integers(0, SPAN_DAYS, n_customers)
    order_day = first_day[order_customer] + (rng.random(n_orders) * (SPAN_DAYS - first_day[order_customer])).astype(
        np.int64)
    order_no = np.arange(n_orders)
    order_no[rng.random(n_orders) < 0.05] = -1  # no order id: each line is an order of its own
    lines_per_order = rng.poisson(1.0, n_orders) + 1
    line_order = np.repeat(np.arange(n_orders), lines_per_order)
    n_lines = line_order.size
    amount = np.round(rng.gamma(2.0, 25.0, n_lines), 2)
    amount[rng.random(n_lines) < 0.04] *= -1
    lines = pd.DataFrame({
        "source_row": np.arange(1, n_lines + 1),
        "customer_no": order_customer[line_order],
        "order_no": order_no[line_order],
        "order_date": START + order_day[line_order].astype("timedelta64[D]"),
        "amount": amount,
        "is_promo": rng.random(n_lines) < 0.2,
        "region_no": rng.integers(1, 6, n_lines),
    })
    has_record = rng.random(n_customers) < 0.8
    customers = pd.DataFrame({
        "customer_no": np.flatnonzero(has_record),
        "signup_date": START + (first_day[has_record] - rng.integers(0, 200, has_record.sum())).astype(
            "timedelta64[D]"),
        "region_no": rng.integers(1, 6, has_record.sum()),
    })
    n_interactions = 2 * n_customers
    interactions = pd.DataFrame({
        "source_row": np.arange(1, n_interactions + 1),
        "customer_no": rng.integers(0, n_customers, n_interactions),
        "interaction_at": START + rng.integers(0, SPAN_DAYS * 24 * 60, n_interactions).astype("timedelta64[m]"),
        "kind_no": rng.integers(1, 7, n_interactions),
        "nps_score": np.where(rng.random(n_interactions) < 0.3, rng.integers(0, 11, n_interactions), -1),
    })
    with db.write_transaction(con) as cur:
        dataset_id = datasets.ensure_dataset(cur, "bench")
        import_id = cur.execute(
            "insert into imports (dataset_id, table_name, file_name, mode, rows_read, rows_loaded, rows_rejected) "
            "values (?, 'transactions', 'bench', 'replace', ?, ?, 0) returning import_id",
            [dataset_id, n_lines, n_lines]).fetchall()[0][0]
        cur.register("bench_lines", lines)
        cur.execute(f"""
            insert into transactions (dataset_id, import_id, source_row, customer_id, order_id, order_date,
                                      amount, is_promo, region)
            select ?, ?, source_row, 'C' || lpad(customer_no::varchar, 7, '0'),
                   case when order_no >= 0 then 'O' || order_no end, order_date, amount, is_promo,
                   {REGIONS}[region_no]
            from bench_lines""", [dataset_id, import_id])
        cur.register("bench_customers", customers)
        cur.execute(f"""
            insert into customers (dataset_id, import_id, source_row, customer_id, signup_date, region, industry)
            select ?, ?, row_number() over (), 'C' || lpad(customer_no::varchar, 7, '0'), signup_date,
                   {REGIONS}[region_no], 'Retail'
            from bench_customers""", [dataset_id, import_id])
        cur.register("bench_interactions", interactions)
        cur.execute("""
            insert into interactions (dataset_id, import_id, source_row, customer_id, interaction_at, kind, nps_score)
            select ?, ?, source_row, 'C' || lpad(customer_no::varchar, 7, '0'), interaction_at,
                   ['call', 'visit', 'email', 'ticket', 'complaint', 'survey'][kind_no],
                   case when nps_score >= 0 then nps_score end
            from bench_interactions""", [dataset_id, import_id])
    return n_lines


def time_features(db_path: Path, repeats: int) -> None:
    """Open the database read-only, run the feature mart ``repeats`` times, print the figures."""
    con = db.connect(db_path, read_only=True)
    dataset_id = datasets.get_dataset(con, "bench").dataset_id
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        frame = features.customer_features(con, dataset_id, AS_OF)
        seconds.append(time.perf_counter() - started)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"customer_features: {len(frame):,} customers x {frame.shape[1]} columns, "
          f"{min(seconds):.2f} s best of {repeats} ({', '.join(f'{s:.2f}' for s in seconds)} s), "
          f"peak memory {peak_mib:,.0f} MiB (whole process), DuckDB threads {threads}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", type=Path, help="reuse (or keep) this database file")
    parser.add_argument("--time-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_only:
        time_features(args.db, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db or Path(tmp) / "bench.duckdb"
        if not db_path.exists():
            started = time.perf_counter()
            con = db.connect(db_path)
            n_lines = generate(con, args.customers)
            con.close()
            print(f"generated {args.customers:,} customers, {n_lines:,} transaction lines "
                  f"in {time.perf_counter() - started:.1f} s ({db_path.stat().st_size / 2**20:,.0f} MiB on disk)")
        subprocess.run([sys.executable, __file__, "--time-only", "--db", str(db_path),
                        "--repeats", str(args.repeats)], check=True)


if __name__ == "__main__":
    main()
