"""How fast is the churn model? Prints seconds and peak memory per step; not a unit test.

For each size (default 100K and 1M customers) the seeded demo company (``custlib.demo.load_demo``,
seed 7) is stored in a DuckDB file under ``bench/output/`` (kept and reused: 1M customers take about a
minute to generate and load), then a fresh child process times, as of the demo's last day:

* features: ``customer_features`` for the training and validation windows (two calls, inside
  ``ChurnModel.fit``) plus the labels query, and for the scoring date (one call);
* baseline: BG/NBD ``value_customers`` as of the validation feature date (inside fit), and the value
  snapshot as of the scoring date (CLV for value at risk);
* model: fitting both candidates on the training window, evaluating them, refitting the chosen one;
* scoring: ``score_customers`` (probabilities, tiers, stages, reasons, actions) for every active customer.

The target is "model + scoring" under 10 s at 1M customers; the feature mart and the value snapshots are
shared with other pages and reported on their own. Peak memory is the child's ru_maxrss.

    .venv/bin/python bench/bench_churn.py [--sizes 100000 1000000] [--fresh] [--repeat 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custlib import churn, db, demo, features, valuation  # noqa: E402

OUTPUT = REPO / "bench" / "output"
SEED = 7
AS_OF = demo.DEFAULT_END_DATE


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def build(path: Path, n_customers: int) -> None:
    """Generate and store the demo company in ``path`` (in this process)."""
    started = time.perf_counter()
    con = db.connect(path)
    demo.load_demo(con, "demo", n_customers=n_customers, seed=SEED)
    con.execute("checkpoint")
    con.close()
    print(f"  built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)


def measure(path: Path, threads: int | None) -> dict:
    """Fit and score as of AS_OF; the timings of each step (run in a fresh process)."""
    con = db.connect(path, read_only=True)
    dataset_id = db.get_dataset(con, "demo").dataset_id
    clock = time.perf_counter()
    feats = features.customer_features(con, dataset_id, AS_OF)
    features_now = time.perf_counter() - clock
    started = time.perf_counter()
    model = churn.ChurnModel(random_state=0, n_threads=threads).fit(con, dataset_id, AS_OF, current_features=feats)
    fit_total = time.perf_counter() - started
    clock = time.perf_counter()
    value = valuation.value_customers(con, dataset_id, AS_OF, valuation.ValueSettings())
    value_now = time.perf_counter() - clock
    clock = time.perf_counter()
    scores = churn.score_customers(model, feats, value)
    scoring = time.perf_counter() - clock
    t = model.timings_
    report = model.report_
    return {
        "customers": len(feats), "scored": len(scores), "n_train": int(report.metrics.loc["gbm", "n_train"]),
        "n_valid": int(report.metrics.loc["gbm", "n_valid"]), "horizon_days": model.horizon_days_,
        "features_s": t["examples"] + features_now, "baselines_s": t["baseline"] + value_now,
        "fit_s": t["fit_candidates"] + t["refit"], "evaluate_s": t["evaluate"], "score_s": scoring,
        "model_and_scoring_s": t["fit_candidates"] + t["evaluate"] + t["refit"] + scoring,
        "fit_total_s": fit_total, "peak_mb": peak_mb(), "load_average": os.getloadavg()[0],
        "metrics": report.metrics[["roc_auc", "pr_auc", "brier", "top_decile_lift"]].round(4).to_dict("index"),
        "chosen": report.chosen_model, "actions": scores["action"].value_counts().to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    parser.add_argument("--threads", type=int, help="ChurnModel n_threads (default: all cores)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure this many times in fresh processes and print the fastest run")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)     # child process entries
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.sizes[0])
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.threads), default=str))
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        path = OUTPUT / f"churn_demo_{n}.duckdb"
        threads = f"{args.threads} thread(s)" if args.threads else "all cores"
        print(f"{n:,} customers (demo seed {SEED}), as of {AS_OF}, models on {threads}", flush=True)
        if args.fresh or not path.exists():
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
            subprocess.run([sys.executable, __file__, "--build", str(path), "--sizes", str(n)], check=True)
        runs = []
        for _ in range(max(1, args.repeat)):
            command = [sys.executable, __file__, "--measure", str(path)]
            command += ["--threads", str(args.threads)] if args.threads else []
            child = subprocess.run(command, check=True, capture_output=True, text=True)
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
        r = min(runs, key=lambda run: run["model_and_scoring_s"])
        if len(runs) > 1:
            seconds = ", ".join(f"{run['model_and_scoring_s']:.1f}" for run in runs)
            print(f"  fastest of {len(runs)} runs (model and scoring: {seconds} s)")
        print(f"  customers {r['customers']:,}, scored (active) {r['scored']:,}, horizon {r['horizon_days']} days, "
              f"fitted on {r['n_train']:,}, validated on {r['n_valid']:,}")
        print(f"  features (3 as-of dates + labels) {r['features_s']:6.1f} s")
        print(f"  BG/NBD + CLV snapshots (2 dates)   {r['baselines_s']:6.1f} s")
        print(f"  fit (2 candidates + refit)         {r['fit_s']:6.1f} s")
        print(f"  evaluate on validation window      {r['evaluate_s']:6.1f} s")
        print(f"  score + reasons + actions          {r['score_s']:6.1f} s")
        print(f"  model and scoring (target < 10 s)  {r['model_and_scoring_s']:6.1f} s")
        print(f"  peak memory                        {r['peak_mb']:6.0f} MB")
        print(f"  (1-minute load average at the end: {r['load_average']:.1f} on {os.cpu_count()} CPUs: "
              f"other work on the machine slows every step)")
        for model, m in r["metrics"].items():
            print(f"  {model:9s} ROC-AUC {m['roc_auc']:.3f}  PR-AUC {m['pr_auc']:.3f}  Brier {m['brier']:.3f}  "
                  f"top-decile lift {m['top_decile_lift']:.2f}")
        print(f"  chosen: {r['chosen']}; actions {r['actions']}", flush=True)


if __name__ == "__main__":
    main()
