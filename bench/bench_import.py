"""Import speed and memory: custlib.io.import_file vs plain DuckDB read_csv into a table, same CSV.

    .venv/bin/python bench/bench_import.py [--rows 10000000] [--repeat 3] [--bad-every N] [--keep]

Each side runs in its own fresh process so peak memory (ru_maxrss) is its own. Both are timed until
the database is closed, so the data is in the database file (not only in its write-ahead log).
Prints rows/s for both, the ratio (target >= 0.5) and peak memory (target < 2 GB). Run it on an idle
machine: other load slows the two sides unequally. ``--repeat`` runs both sides several times, interleaved,
and reports the median. ``--bad-every 100`` makes 1% of the rows bad: the import reports and skips
them, plain DuckDB reads the amount column as text.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MAKE_CSV = """
import duckdb, sys
rows, path, bad_every = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
con.execute(f'''copy (
  select 'C' || lpad(cast(cast(hash(i) % 1000000 as bigint) as varchar), 7, '0') as customer_id,
         'O' || i as order_id,
         date '2023-01-01' + cast(hash(i * 7) % 1000 as integer) as order_date,
         case when {bad_every} > 0 and i % {bad_every} = 7 then 'n/a'
              else cast(round((hash(i * 13) % 50000) / 100.0 - 20, 2) as varchar) end as amount,
         (['online', 'store', 'sales rep'])[1 + cast(hash(i * 17) % 3 as integer)] as channel
  from range({rows}) t(i)) to '{path}' (header)''')
"""

PLAIN = """
import duckdb, resource, sys, time, json
csv, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute("set enable_progress_bar = false")
start = time.perf_counter()
con.execute("create table t as select * from read_csv(?)", [csv])
rows = con.execute("select count(*) from t").fetchall()[0][0]
con.close()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": rows, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OURS = """
import resource, sys, time, json
from custlib import db
from custlib.io import import_file
csv, path = sys.argv[1], sys.argv[2]
con = db.connect(path)
start = time.perf_counter()
report = import_file(con, csv, dataset="bench", keep_upload=False)
con.close()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": report.rows_loaded,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side, interleaved; the median counts")
    parser.add_argument("--bad-every", type=int, default=0, metavar="N",
                        help="make every Nth row's amount 'n/a' (a row the import reports and skips)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    csv = folder / "orders.csv"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", MAKE_CSV, str(args.rows), str(csv), str(args.bad_every)], check=True)
    bad = args.rows // args.bad_every if args.bad_every else 0
    print(f"CSV: {args.rows:,} rows ({bad:,} with a bad amount), {csv.stat().st_size / 2**20:,.0f} MB, written in "
          f"{time.perf_counter() - start:.1f} s")
    sides = {"plain DuckDB read_csv": (PLAIN, "plain"), "custlib import_file": (OURS, "ours")}
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    for attempt in range(args.repeat):
        for name, (code, database) in sides.items():
            target = folder / f"{database}{attempt}.duckdb"
            result = run(code, str(csv), str(target))
            assert result["rows"] == args.rows - (bad if database == "ours" else 0), (name, result)
            runs[name].append(result)
            for leftover in folder.glob(f"{database}{attempt}.duckdb*"):
                leftover.unlink()
    medians = {}
    for name, results in runs.items():
        result = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
        medians[name] = result
        times = ", ".join(f"{r['seconds']:.2f}" for r in results)
        spread = f" (runs: {times})" if len(results) > 1 else ""
        print(f"{name:>22}: {result['seconds']:6.2f} s  {result['rows'] / result['seconds']:>12,.0f} rows/s  "
              f"peak {max(r['maxrss_mb'] for r in results):,.0f} MB{spread}")
    plain, ours = medians.values()
    ratio = plain["seconds"] / ours["seconds"]
    print(f"speed ratio (ours / plain): {ratio:.2f}  (target >= 0.50)  "
          f"peak memory {max(r['maxrss_mb'] for r in runs['custlib import_file']) / 1024:.2f} GB (target < 2 GB)")
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
