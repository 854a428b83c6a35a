"""How long the demo generator takes and how much memory it needs, by number of customers.

Each size runs in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its own.
``--store`` times ``load_demo`` instead (generation plus the write into a new DuckDB file in a
temporary folder), so its peak memory includes the write.

    .venv/bin/python bench/bench_demo.py                 # 20k, 100k and 1M customers
    .venv/bin/python bench/bench_demo.py 20000 --store   # one size, with the DuckDB write
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from custlib import db, demo

n, store = int(sys.argv[1]), sys.argv[2] == "1"
result = {"customers": n}
if store:
    # load_demo generates too: its time is generation plus the all-or-nothing DuckDB write.
    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        data = demo.load_demo(con, n_customers=n)
        result["load_demo_seconds"] = round(time.perf_counter() - started, 2)
        con.close()
else:
    started = time.perf_counter()
    data = demo.generate_demo(n_customers=n)
    result["generate_seconds"] = round(time.perf_counter() - started, 2)
result.update(transactions=len(data.transactions), orders=int(data.transactions["order_id"].nunique()),
              interactions=len(data.interactions))
# ru_maxrss is in kilobytes on Linux.
result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(result))
"""


def run(n_customers: int, store: bool) -> dict:
    completed = subprocess.run([sys.executable, "-c", CHILD, str(n_customers), "1" if store else "0"],
                               cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--store", action="store_true", help="also time load_demo into DuckDB")
    args = parser.parse_args()
    header = (f"{'customers':>10} {'generate s':>10} {'load s':>8} {'peak MB':>8} {'tx rows':>11} "
              f"{'orders':>10} {'interactions':>12}")
    print(header)
    for n in args.sizes:
        r = run(n, args.store)
        generate = f"{r['generate_seconds']:10.2f}" if "generate_seconds" in r else f"{'-':>10}"
        load = f"{r['load_demo_seconds']:8.2f}" if "load_demo_seconds" in r else f"{'-':>8}"
        print(f"{r['customers']:>10,} {generate} {load} {r['peak_rss_mb']:8,} "
              f"{r['transactions']:>11,} {r['orders']:>10,} {r['interactions']:>12,}", flush=True)


if __name__ == "__main__":
    main()
