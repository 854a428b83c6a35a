"""How fast is the CLV pipeline? Prints seconds and peak memory; not a unit test.

Two measurements, at 100K and 1M customers of simulated BG/NBD + Gamma-Gamma data (seeded):

1. summaries generated directly: BG/NBD fit, Gamma-Gamma fit, 12-month CLV of every customer;
2. the real pipeline from a DuckDB ``transactions`` table (about 12.7 order lines per customer, some
   returns): ``summary_as_of`` (SQL) -> BG/NBD fit -> Gamma-Gamma fit -> CLV. The database is built
   in one child process and the pipeline timed in a fresh one, so its peak memory
   (resource.getrusage ru_maxrss) is the pipeline's own. Target at 1M: <= 3 s and <= 2 GB.

``--lifetimes /tmp/lt/bin/python`` also runs the same fits and CLV with the archived ``lifetimes``
package (installed in a throw-away venv, never the project's) on the same summary, in a subprocess,
and prints the time ratio and whether the parameters agree.

    .venv/bin/python bench/bench_clv.py [--sizes 100000 1000000] [--lifetimes /tmp/lt/bin/python]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custlib import clv, datasets, db  # noqa: E402

AS_OF = np.datetime64("2024-12-31")
TRUE_BG = dict(r=2.0, alpha=6.0, a=1.0, b=12.0)      # weeks; ~9 repeat occasions per customer
TRUE_GG = dict(p=6.0, q=4.0, v=15.0)
SEED = 20241231


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def simulate_occasions(n: int, seed: int):
    """BG/NBD customers on a day grid: first-purchase day offset, repeat occasion day offsets."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE_BG["r"], 1 / TRUE_BG["alpha"], n)          # per week
    p = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    T_days = rng.integers(1, 2 * 365 + 1, n)                          # first purchase 1..730 days ago
    M = rng.poisson(lam * T_days / 7.0)
    K = rng.geometric(p)
    x = np.minimum(M, K)
    # repeat arrival times: M uniforms per customer, keep the x earliest
    owner = np.repeat(np.arange(n), M)
    u = rng.random(owner.size)
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(M) - M, M)
    keep = rank < x[owner]
    owner, u = owner[keep], u[keep]
    offsets = np.floor(u * T_days[owner]).astype(np.int64) + 1         # days after the first purchase
    nu = rng.gamma(TRUE_GG["q"], 1 / TRUE_GG["v"], n)
    return T_days, owner, offsets, nu, rng


def direct_summary(n: int, seed: int) -> pd.DataFrame:
    """The summary straight from the simulation (distinct days, weeks), without a database."""
    T_days, owner, offsets, nu, rng = simulate_occasions(n, seed)
    key = np.unique(owner * 10_000 + offsets)                          # same-day arrivals are one occasion
    owner, offsets = key // 10_000, key % 10_000
    freq = np.bincount(owner, minlength=n)
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, owner, offsets)
    spend = rng.gamma(TRUE_GG["p"], 1 / nu[owner])
    total = np.bincount(owner, weights=spend, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, total / freq, np.nan)
    return pd.DataFrame({"frequency": freq, "recency": last / 7.0, "T": T_days / 7.0,
                         "monetary_value": monetary, "spend_frequency": freq})


def transactions_frame(n: int, seed: int) -> pd.DataFrame:
    """Order lines: the first purchase plus repeat occasions, 1 + Poisson(0.25) lines each, ~2% of the
    extra lines returns; customer ids are integers (stored as VARCHAR)."""
    T_days, owner, offsets, nu, rng = simulate_occasions(n, seed)
    owner = np.concatenate([np.arange(n), owner])
    day = np.concatenate([AS_OF - T_days.astype("timedelta64[D]"),
                          (AS_OF - T_days[owner[n:]].astype("timedelta64[D]")) + offsets.astype("timedelta64[D]")])
    spend = rng.gamma(TRUE_GG["p"], 1 / nu[owner])
    lines = 1 + rng.poisson(0.25, owner.size)
    line_owner = np.repeat(owner, lines)
    line_day = np.repeat(day, lines)
    amount = np.repeat(spend / lines, lines)
    is_extra = np.ones(line_owner.size, dtype=bool)
    is_extra[np.cumsum(lines) - lines] = False
    returns = is_extra & (rng.random(line_owner.size) < 0.02)
    amount = np.where(returns, -amount, amount)
    return pd.DataFrame({"customer_id": line_owner, "order_id": np.arange(line_owner.size),
                         "order_date": line_day.astype("datetime64[s]"), "amount": amount})


def time_models(summary: pd.DataFrame) -> dict:
    out = {}
    t0 = time.perf_counter()
    bg = clv.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    out["bg_fit_s"] = time.perf_counter() - t0
    repeat = summary[summary["spend_frequency"] > 0]
    t0 = time.perf_counter()
    gg = clv.GammaGammaFitter().fit(repeat["spend_frequency"], repeat["monetary_value"])
    out["gg_fit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    value = clv.customer_lifetime_value(bg, gg, summary["frequency"], summary["recency"], summary["T"],
                                        summary["monetary_value"], spend_frequency=summary["spend_frequency"],
                                        horizon_months=12, unit_days=7.0)
    out["clv_s"] = time.perf_counter() - t0
    out["equity"] = float(value.sum())
    out["bg_params"] = bg.params_.round(4).to_dict()
    out["gg_params"] = gg.params_.round(4).to_dict()
    return out


# --- child phases ----------------------------------------------------------------------------


def phase_build(db_path: str, n: int) -> None:
    t0 = time.perf_counter()
    frame = transactions_frame(n, SEED)
    con = db.connect(db_path)
    datasets.store_frame(con, "bench", "transactions", frame)
    con.execute("checkpoint")
    con.close()
    print(json.dumps({"rows": len(frame), "build_s": time.perf_counter() - t0}))


def phase_pipeline(db_path: str) -> None:
    con = db.connect(db_path, read_only=True)
    dataset_id = datasets.get_dataset(con, "bench").dataset_id
    start = time.perf_counter()
    summary = clv.summary_as_of(con, dataset_id, str(AS_OF), unit="week")
    summary_s = time.perf_counter() - start
    out = time_models(summary)
    out.update(summary_s=summary_s, total_s=time.perf_counter() - start, peak_mb=peak_mb(),
               customers=len(summary))
    print(json.dumps(out))


LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_parquet(sys.argv[1]) if sys.argv[1].endswith(".parquet") else pd.read_csv(sys.argv[1])
t0 = time.perf_counter(); bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"]); bg_s = time.perf_counter() - t0
r = s[s["frequency"] > 0]
t0 = time.perf_counter(); gg = GammaGammaFitter().fit(r["frequency"], r["monetary_value"]); gg_s = time.perf_counter() - t0
t0 = time.perf_counter()
value = gg.customer_lifetime_value(bg, s["frequency"], s["recency"], s["T"], s["monetary_value"].fillna(0),
                                   time=12, discount_rate=1.1 ** (1 / 12) - 1, freq="W")
clv_s = time.perf_counter() - t0
print(json.dumps({"bg_fit_s": bg_s, "gg_fit_s": gg_s, "clv_s": clv_s,
                  "bg_params": {k: float(v) for k, v in bg.params_.items()},
                  "gg_params": {k: float(v) for k, v in gg.params_.items()}}))
"""


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--lifetimes", help="python of a throw-away venv with lifetimes==0.11.3")
    parser.add_argument("--phase", choices=["build", "pipeline"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        return phase_build(args.db, args.sizes[0])
    if args.phase == "pipeline":
        return phase_pipeline(args.db)

    print(f"true parameters: BG/NBD {TRUE_BG}, Gamma-Gamma {TRUE_GG}")
    with tempfile.TemporaryDirectory(prefix="bench_clv_") as tmp:
        for n in args.sizes:
            print(f"\n== {n:,} customers ==")
            summary = direct_summary(n, SEED)
            direct = time_models(summary)
            print(f"direct summary: BG/NBD fit {direct['bg_fit_s']:.2f} s, Gamma-Gamma fit "
                  f"{direct['gg_fit_s']:.2f} s, CLV {direct['clv_s']:.2f} s "
                  f"(repeat buyers {int((summary['frequency'] > 0).sum()):,})")
            print(f"  BG/NBD {direct['bg_params']}\n  Gamma-Gamma {direct['gg_params']}")
            db_path = str(Path(tmp) / f"bench_{n}.duckdb")
            build = run_child("--phase", "build", "--db", db_path, "--sizes", str(n))
            pipe = run_child("--phase", "pipeline", "--db", db_path)
            print(f"DuckDB pipeline over {build['rows']:,} order lines ({build['rows'] / n:.1f} per customer; "
                  f"built in {build['build_s']:.1f} s, not timed):")
            print(f"  summary SQL {pipe['summary_s']:.2f} s + BG/NBD fit {pipe['bg_fit_s']:.2f} s + Gamma-Gamma "
                  f"fit {pipe['gg_fit_s']:.2f} s + CLV {pipe['clv_s']:.2f} s = {pipe['total_s']:.2f} s; "
                  f"peak memory {pipe['peak_mb']:.0f} MB")
            print(f"  BG/NBD {pipe['bg_params']}\n  Gamma-Gamma {pipe['gg_params']}")
            if args.lifetimes:
                path = Path(tmp) / f"summary_{n}.csv"
                summary.to_csv(path, index=False)
                done = subprocess.run([args.lifetimes, "-c", LIFETIMES_SCRIPT, str(path)], capture_output=True,
                                      text=True)
                if done.returncode:
                    print(f"  lifetimes failed: {done.stderr.strip().splitlines()[-1:]}")
                    continue
                lt = json.loads(done.stdout.strip().splitlines()[-1])
                ours = direct["bg_fit_s"] + direct["gg_fit_s"] + direct["clv_s"]
                theirs = lt["bg_fit_s"] + lt["gg_fit_s"] + lt["clv_s"]
                agree_bg = all(abs(lt["bg_params"][k] / direct["bg_params"][k] - 1) < 1e-2 for k in TRUE_BG)
                agree_gg = all(abs(lt["gg_params"][k] / direct["gg_params"][k] - 1) < 1e-2 for k in TRUE_GG)
                print(f"  lifetimes 0.11.3: BG/NBD {lt['bg_fit_s']:.2f} s, Gamma-Gamma {lt['gg_fit_s']:.2f} s, "
                      f"CLV {lt['clv_s']:.2f} s; ours is {theirs / ours:.1f}x faster; parameters agree "
                      f"within 1%: BG/NBD {agree_bg}, Gamma-Gamma {agree_gg}")
                print(f"  lifetimes BG/NBD {lt['bg_params']}")


if __name__ == "__main__":
    main()
