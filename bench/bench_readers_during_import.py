"""Do readers and small writers wait for an import? (issue 14, row 13)

    .venv/bin/python bench/bench_readers_during_import.py [--rows 3000000]

One process, one database, as in the app: an import of a ``--rows`` CSV runs in a thread while the main
thread, every 50 ms, does what a sign-in and the Capacity and Simulator pages do (an audit entry, the
capacity settings, the saved scenarios) and times each. Prints the import's time and, per operation, the
median and longest wait while the import ran. Before the import staged outside the write lock, the longest
waits were the import's whole duration.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_import import MAKE_CSV  # noqa: E402  the same generated sales file as the import benchmark

from custlib import audit, capacity, datasets, db, simulate  # noqa: E402
from custlib.io import import_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-readers-") as folder:
        csv_path, db_path = Path(folder) / "sales.csv", Path(folder) / "bench.duckdb"
        subprocess.run([sys.executable, "-c", MAKE_CSV, str(args.rows), str(csv_path), "0"], check=True)
        con = db.connect(db_path)
        import_file(con, csv_path, dataset="other", keep_upload=False)  # a dataset the readers look at
        other = datasets.get_dataset(con, "other").dataset_id
        actor = audit.Actor("bench", "analyst", "app")
        operations = {
            "sign-in (audit entry)": lambda: audit.log(con, actor, "login"),
            "capacity settings": lambda: capacity.get_settings(con, other),
            "saved scenarios": lambda: simulate.list_scenarios(con, other),
        }
        waits: dict[str, list[float]] = {name: [] for name in operations}
        started = time.perf_counter()
        importing = threading.Thread(target=import_file, args=(con, csv_path),
                                     kwargs={"dataset": "bench", "keep_upload": False})
        importing.start()
        while importing.is_alive():
            for name, operation in operations.items():
                begin = time.perf_counter()
                operation()
                if importing.is_alive():
                    waits[name].append(time.perf_counter() - begin)
            time.sleep(0.05)
        importing.join()
        import_seconds = time.perf_counter() - started
        con.close()
    print(f"import of {args.rows:,} rows: {import_seconds:.1f} s")
    for name, seen in waits.items():
        if seen:
            print(f"  {name:<24} {len(seen):>4} times during it: median {statistics.median(seen) * 1000:,.0f} ms, "
                  f"longest {max(seen) * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
