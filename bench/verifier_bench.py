"""Eager / Inductor / candidate timings for the examples, their run-to-run spread, and the
harness's own overhead.

For each `examples/<name>/{problem,candidate}.py`: `--repeats` independent benchmarks (each a
fresh worker: verify + interleaved timing), reported side by side from one run of this script:
median times, speedups, % of roofline, and the spread of the candidate's median across repeats
((max - min) / mean; goal < 2% for kernels over 20 us). Overhead: time from request to verdict
for a verify-only run with a warm worker pool and the reference cached, i.e. what an editor user
waits beyond the kernel's own work; the Triton compile is cached by then (second run).

    python bench/verifier_bench.py --device cuda [--repeats 3] [--only NAME] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-backend"))

from tritonize.judge.run import verify  # noqa: E402
from tritonize.judge.pool import WorkerPool  # noqa: E402


def _ms(stat):
    return stat["median_ms"] if stat else None


def bench_example(d: Path, device: str, repeats: int, budget: float) -> dict:
    problem, candidate = d / "problem.py", d / "candidate.py"
    runs = []
    for i in range(repeats):
        # Correctness is fully checked on the first run; repeats only need the timing, so they
        # run one random trial (plus the heavy-tailed one) to save time.
        opts = {"bench_budget_s": budget} if i == 0 else {"bench_budget_s": budget, "random_trials": 1, "shape_variation": False}
        r = verify(problem, candidate, device=device, timeout=600, benchmark=True, options=opts)
        runs.append(r)
        if r["verdict"] != "correct":
            break
    row = {"name": d.name, "verdict": runs[-1]["verdict"], "summary": runs[-1]["summary"]}
    t = [r.get("timings") for r in runs if r.get("timings")]
    if t:
        cand = [x["candidate"]["median_ms"] for x in t]
        row.update({
            "eager_ms": statistics.median(_ms(x["eager"]) for x in t),
            "inductor_ms": statistics.median(_ms(x["inductor"]) for x in t) if all(x["inductor"] for x in t) else None,
            "candidate_ms": statistics.median(cand),
            "candidate_runs_ms": cand,
            "spread": (max(cand) - min(cand)) / statistics.fmean(cand) if len(cand) > 1 else None,
            "n_per_run": [x["candidate"]["n"] for x in t],
            "speedup_vs_eager": t[-1].get("speedup_vs_eager"), "speedup_vs_inductor": t[-1].get("speedup_vs_inductor"),
            "pct_of_roofline": (t[-1].get("roofline") or {}).get("pct_of_roofline"),
            "flags": [f["rule"] for f in t[-1]["flags"]], "host_overhead_ms": t[-1].get("host_overhead_ms"),
        })
    row["phases_s"] = runs[-1].get("phases_s")
    return row


def overhead(d: Path, device: str, pool: WorkerPool, cache: dict) -> dict:
    problem, candidate = d / "problem.py", d / "candidate.py"
    opts = {"reference_cache": cache}
    verify(problem, candidate, device=device, timeout=600, options=opts, pool=pool)  # fills caches
    samples = []
    for _ in range(2):
        time.sleep(1.0)  # let the pool replace its workers, as between two edits
        t0 = time.monotonic()
        r = verify(problem, candidate, device=device, timeout=600, options=opts, pool=pool)
        samples.append(time.monotonic() - t0)
    return {"name": d.name, "verdict": r["verdict"], "warm_verify_s": statistics.median(samples),
            "phases_s": r.get("phases_s")}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=5.0, help="timing budget per benchmark (s)")
    ap.add_argument("--only", action="append")
    ap.add_argument("--examples", default=str(ROOT / "examples"))
    ap.add_argument("--json")
    args = ap.parse_args()
    dirs = sorted(p.parent for p in Path(args.examples).glob("*/candidate.py"))
    if args.only:
        dirs = [d for d in dirs if d.name in args.only]
    rows = []
    for d in dirs:
        row = bench_example(d, args.device, args.repeats, args.budget)
        rows.append(row)
        print(json.dumps(row), flush=True)
    pool = WorkerPool(args.device, size=2)
    try:
        over = [overhead(d, args.device, pool, {}) for d in dirs[:1]]
    finally:
        pool.close()
    print()
    print(f"{'example':28} {'verdict':9} {'eager ms':>10} {'inductor ms':>12} {'cand ms':>10} {'x eager':>8} "
          f"{'x ind.':>7} {'%roof':>6} {'spread':>7}  flags")
    for r in rows:
        f = lambda v, fmt: (fmt % v) if isinstance(v, (int, float)) else "-"
        print(f"{r['name']:28} {r['verdict']:9} {f(r.get('eager_ms'), '%.4f'):>10} {f(r.get('inductor_ms'), '%.4f'):>12} "
              f"{f(r.get('candidate_ms'), '%.4f'):>10} {f(r.get('speedup_vs_eager'), '%.2f'):>8} "
              f"{f(r.get('speedup_vs_inductor'), '%.2f'):>7} {f(r.get('pct_of_roofline'), '%.0f'):>6} "
              f"{f(r.get('spread') and 100 * r['spread'], '%.2f%%'):>7}  {','.join(r.get('flags', []))}")
    for o in over:
        print(f"harness overhead ({o['name']}, warm pool, cached reference, verify only): {o['warm_verify_s']:.2f} s "
              f"request->verdict; phases {o['phases_s']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "overhead": over}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
