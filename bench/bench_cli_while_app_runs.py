"""How long do the command line's read commands take while the app holds the database? (issue 14, row 14)

    .venv/bin/python bench/bench_cli_while_app_runs.py [--customers 20000] [--repeat 5]

While one process holds a DuckDB file for writing, no other can open it, so the running app answers the
read commands itself (custlib.relay). This holds the demo database as the app does, with the app's relay,
in this process, and times `python -m custlib COMMAND` as a separate process, as a script runs it:
directly on the file (the app stopped) and through the relay (the app running). It also times
custlib.relay.ask alone, the relay's share without Python starting up. Rounds alternate the two ways;
the medians are printed, with every run.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custlib import cli, db, relay  # noqa: E402
from custlib.demo import load_demo  # noqa: E402

COMMANDS = {"info": ["info"], "audit --verify": ["audit", "--verify"],
            "kpis --period 2026-06": ["kpis", "--period", "2026-06"]}


def timed_cli(db_path: Path, argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "custlib", *argv, "--db", str(db_path)], capture_output=True,
                          text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"`custlib {' '.join(argv)}` failed: {done.stderr.strip()}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-relay-") as folder:
        db_path = Path(folder) / "bench.duckdb"
        con = db.connect(db_path)
        load_demo(con, n_customers=args.customers, seed=7)
        con.close()
        runs: dict[str, dict[str, list[float]]] = {name: {} for name in COMMANDS}
        printed: dict[str, set[str]] = {name: set() for name in COMMANDS}
        for _ in range(args.repeat):
            for name, argv in COMMANDS.items():
                seconds, out = timed_cli(db_path, argv)
                runs[name].setdefault("directly (app stopped)", []).append(seconds)
                printed[name].add(out)
            con = db.connect(db_path)
            served = relay.serve(con, db_path, cli.run_for_the_app)
            try:
                for name, argv in COMMANDS.items():
                    seconds, out = timed_cli(db_path, argv)
                    runs[name].setdefault("through the app", []).append(seconds)
                    printed[name].add(out)
                    started = time.perf_counter()
                    relay.ask(db_path, argv)
                    runs[name].setdefault("relay.ask alone", []).append(time.perf_counter() - started)
            finally:
                served.close()
                con.close()
    print(f"demo of {args.customers:,} customers, {args.repeat} rounds: medians (every run)")
    for name, ways in runs.items():
        same = "same output both ways" if len(printed[name]) == 1 else "OUTPUT DIFFERS"
        print(f"  custlib {name} ({same})")
        for way, seen in ways.items():
            every = ", ".join(f"{s:.2f}" for s in seen)
            print(f"    {way:<24} {statistics.median(seen):6.2f} s  ({every})")

if __name__ == "__main__":
    main()
