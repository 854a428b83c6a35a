"""Server-side render time of each analysis page, cold and warm, on a large demo company.

What it answers: how long does a page take to compute and draw on the server the first time
(nothing cached: models fitted, queries run) and the second time (every result from the cache)?
Targets: cold < 10 s, warm < 1 s. The browser's drawing time is not included.

Each page is rendered with streamlit's AppTest (the real scripts, in-process): all st.cache_data
results are cleared before the cold run; the warm run repeats it. The demo database (custlib.demo,
seed 7) is built once in a temporary folder, or reused with --db.

    .venv/bin/python bench/bench_pages.py [--customers 100000] [--db PATH]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["pages/overview.py", "pages/segments.py", "pages/retention.py", "pages/customer_value.py",
         "pages/simulator.py", "pages/capacity.py", "pages/at_risk.py", "pages/customer_profile.py", "pages/data.py"]
COLD_TARGET, WARM_TARGET = 10.0, 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="an existing studio database (its active dataset is used)")
    args = parser.parse_args()

    from custlib import db, demo
    folder = tempfile.TemporaryDirectory(prefix="cvs-bench-")
    path = args.db or Path(folder.name) / "bench.duckdb"
    if args.db is None:
        started = time.perf_counter()
        con = db.connect(path)
        demo.load_demo(con, "demo", n_customers=args.customers, seed=7)
        rows = db.query_df(con, "select count(*) from transactions").iloc[0, 0]
        con.close()
        print(f"demo: {args.customers:,} customers, {rows:,} transaction lines, built in "
              f"{time.perf_counter() - started:.1f} s")
    os.environ["CUSTLIB_DB"] = str(path)

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/data.py")  # a light first run: imports and the connection, not timed
    at.run()
    print(f"\n{'page':<28}{'cold (s)':>10}{'warm (s)':>10}   targets: cold < {COLD_TARGET:g} s, warm < {WARM_TARGET:g} s")
    failed = False
    for page in PAGES:
        st.cache_data.clear()
        started = time.perf_counter()
        at.switch_page(page).run()
        cold = time.perf_counter() - started
        if at.exception:
            raise SystemExit(f"{page} failed: {at.exception[0].value}")
        started = time.perf_counter()
        at.run()
        warm = time.perf_counter() - started
        ok = cold < COLD_TARGET and warm < WARM_TARGET
        failed |= not ok
        print(f"{page:<28}{cold:>10.2f}{warm:>10.2f}   {'ok' if ok else 'OVER TARGET'}")
    folder.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
