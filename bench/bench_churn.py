"""How fast is the churn model? Prints seconds and peak memory per step; not a unit test.

For each size (default 100K and 1M customers) the seeded demo company (``custlib.demo.load_demo``,
seed 7) is stored in a DuckDB file under ``bench/output/`` (kept and reused: 1M customers take about a
minute to generate and load), then a fresh child process times, as of the demo's last day:

* features: ``customer_features`` for the training and validation windows (two calls, inside
  ``churn.training_frames``) plus the labels query, and for the scoring date (one call);
* baseline: BG/NBD ``value_customers`` as of the validation feature date (inside ``training_frames``),
  and the value snapshot as of the scoring date (CLV for value at risk);
* model: fitting both candidates on (a sample of) the training window and evaluating them on (a sample
  of) the validation window; the chosen one scores (``ChurnModel(refit=True)`` would fit it once more);
* scoring: ``score_customers`` (probabilities, tiers, stages, reasons, actions) for every active customer.
  Its two largest parts, the churn probabilities and the reasons, are then timed again on their own
  (the "of which" lines; not added to the total).

The target is "model + scoring" under 10 s at 1M customers; the feature mart and the value snapshots are
shared with other pages and reported on their own. Peak memory is the child's ru_maxrss. Timings move
with whatever else runs on the machine: run with ``--repeat 3`` and read the fastest and the median.

    .venv/bin/python bench/bench_churn.py [--sizes 100000 1000000] [--fresh] [--repeat 3] [--threads 0]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custlib import churn, datasets, db, demo, features, valuation  # noqa: E402

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
    dataset_id = datasets.get_dataset(con, "demo").dataset_id
    clock = time.perf_counter()
    feats = features.customer_features(con, dataset_id, AS_OF)
    features_now = time.perf_counter() - clock
    started = time.perf_counter()
    frames = churn.training_frames(con, dataset_id, AS_OF, current_features=feats)
    model = churn.ChurnModel(random_state=0, n_threads=threads or None).fit(frames)  # 0: all cores
    fit_total = time.perf_counter() - started
    clock = time.perf_counter()
    value = valuation.value_customers(con, dataset_id, AS_OF, valuation.ValueSettings())
    value_now = time.perf_counter() - clock
    clock = time.perf_counter()
    scores = churn.score_customers(model, feats, value)
    scoring = time.perf_counter() - clock
    active = churn.active_customers(feats, model.active_days_)
    clock = time.perf_counter()
    model.predict_proba(active)
    probabilities = time.perf_counter() - clock
    clock = time.perf_counter()
    churn.churn_reasons(active)
    reasons = time.perf_counter() - clock
    t, read = model.timings_, frames.timings
    report = model.report_
    return {
        "customers": len(feats), "scored": len(scores), "n_train": int(report.metrics.loc["gbm", "n_train"]),
        "n_valid": int(report.metrics.loc["gbm", "n_valid"]), "n_refit": report.n_refit,
        "horizon_days": model.horizon_days_,
        "features_s": read["examples"] + features_now, "baselines_s": read["baseline"] + value_now,
        "fit_s": t["fit_candidates"], "evaluate_s": t["evaluate"], "refit_s": t["refit"], "score_s": scoring,
        "probabilities_s": probabilities, "reasons_s": reasons,
        "model_and_scoring_s": t["fit_candidates"] + t["evaluate"] + t["refit"] + scoring,
        "fit_total_s": fit_total, "peak_mb": peak_mb(), "load_average": os.getloadavg()[0],
        "metrics": report.metrics[["roc_auc", "pr_auc", "brier", "top_decile_lift"]].round(4).to_dict("index"),
        "chosen": report.chosen_model, "actions": scores["action"].value_counts().to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    parser.add_argument("--threads", type=int,
                        help="ChurnModel n_threads, 0 for all cores (default: ChurnModel's default, one thread)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure this many times in fresh processes: every total, the median, and the "
                             "fastest run's breakdown")
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
        threads = args.threads if args.threads is not None else (churn.ChurnModel().n_threads or 0)
        print(f"{n:,} customers (demo seed {SEED}), as of {AS_OF}, models on "
              f"{f'{threads} thread(s)' if threads else 'all cores'}", flush=True)
        if args.fresh or not path.exists():
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
            subprocess.run([sys.executable, __file__, "--build", str(path), "--sizes", str(n)], check=True)
        runs = []
        for _ in range(max(1, args.repeat)):
            command = [sys.executable, __file__, "--measure", str(path), "--threads", str(threads)]
            child = subprocess.run(command, check=True, capture_output=True, text=True)
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
        r = min(runs, key=lambda run: run["model_and_scoring_s"])
        totals = [run["model_and_scoring_s"] for run in runs]
        if len(runs) > 1:
            print(f"  {len(runs)} runs, model and scoring: {', '.join(f'{x:.1f}' for x in totals)} s "
                  f"(median {statistics.median(totals):.1f} s); the fastest:")
        print(f"  customers {r['customers']:,}, scored (active) {r['scored']:,}, horizon {r['horizon_days']} days, "
              f"fitted on {r['n_train']:,}, validated on {r['n_valid']:,}")
        print(f"  features (3 as-of dates + labels)   {r['features_s']:6.1f} s   (shared, outside the target)")
        print(f"  BG/NBD + CLV snapshots (2 dates)    {r['baselines_s']:6.1f} s   (shared, outside the target)")
        print(f"  fit 2 candidates (training window)  {r['fit_s']:6.1f} s")
        print(f"  evaluate on validation window       {r['evaluate_s']:6.1f} s")
        if r["n_refit"]:
            print(f"  refit the chosen model              {r['refit_s']:6.1f} s")
        else:
            print("  refit                                 none   (the validated candidate scores)")
        print(f"  score + reasons + actions           {r['score_s']:6.1f} s")
        print(f"    of which churn probabilities      {r['probabilities_s']:6.1f} s")
        print(f"    of which reasons                  {r['reasons_s']:6.1f} s")
        target = ("met" if r["model_and_scoring_s"] < 10 else "NOT met") if n >= 1_000_000 else "set for 1M"
        print(f"  model and scoring                   {r['model_and_scoring_s']:6.1f} s   (target < 10 s at 1M: {target})")
        print(f"  peak memory                         {r['peak_mb']:6.0f} MB")
        print(f"  (1-minute load average at the end: {r['load_average']:.1f} on {os.cpu_count()} CPUs: "
              f"other work on the machine slows every step)")
        for model, m in r["metrics"].items():
            print(f"  {model:9s} ROC-AUC {m['roc_auc']:.3f}  PR-AUC {m['pr_auc']:.3f}  Brier {m['brier']:.3f}  "
                  f"top-decile lift {m['top_decile_lift']:.2f}")
        print(f"  chosen: {r['chosen']}; actions {r['actions']}", flush=True)


if __name__ == "__main__":
    main()
