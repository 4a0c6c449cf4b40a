"""What the candidate sandbox costs: applying it in a fresh process, and a whole warm-pool verify
with it on and off (TRITONIZE_NO_SANDBOX=1). Prints numbers; asserts nothing.

    cd python-backend && ../.venv/bin/python ../bench/sandbox_cost.py [--device cuda] [--n 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1] / "python-backend"
sys.path.insert(0, str(BACKEND))

APPLY = r"""
import os, sys, time, json
t0 = time.perf_counter()
from tritonize.worker import sandbox
t1 = time.perf_counter()
st = sandbox.apply(sys.argv[1], sys.argv[2], [os.getppid()])
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "apply_ms": (t2 - t1) * 1e3, "enforced": st["enforced"],
                  "abi": st["landlock_abi"]}))
"""


def apply_cost(n: int) -> dict:
    runs = []
    for _ in range(n):
        with tempfile.TemporaryDirectory() as d:
            home, job = os.path.join(d, "home"), os.path.join(d, "job")
            os.makedirs(home), os.makedirs(job)
            out = subprocess.run([sys.executable, "-c", APPLY, home, job], capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": str(BACKEND)}, check=True)
            runs.append(json.loads(out.stdout))
    return {"apply_ms_median": statistics.median(r["apply_ms"] for r in runs),
            "import_ms_median": statistics.median(r["import_ms"] for r in runs),
            "enforced": runs[0]["enforced"], "landlock_abi": runs[0]["abi"]}


def parent_cost(n: int) -> dict:
    """The parent's share per verify: staging the job's files into the worker's job/ folder and
    re-checking the backend's fingerprint."""
    from tritonize.judge import integrity, process

    integrity.arm()
    checks = []
    for _ in range(n):
        t0 = time.perf_counter()
        integrity.check()
        checks.append((time.perf_counter() - t0) * 1e3)
    stages = []
    with tempfile.TemporaryDirectory() as d:
        inputs = os.path.join(d, "inputs.pt")
        with open(inputs, "wb") as f:
            f.write(os.urandom(1 << 20))
        for _ in range(n):
            w = process.Worker.__new__(process.Worker)  # staging only, no process
            w.home, w.job_dir = os.path.join(d, "h"), tempfile.mkdtemp(dir=d)
            w._paths, w._outdir, w.sandbox = {}, None, {"protections": {"filesystem": {"enforced": True}}}
            t0 = time.perf_counter()
            w._stage_job({"role": "candidate", "problem": str(BACKEND / "tests/problems/vector_add.py"),
                          "candidate": str(BACKEND / "tests/candidates/vector_add_correct.py"), "inputs_file": inputs})
            stages.append((time.perf_counter() - t0) * 1e3)
    return {"integrity_check_ms_median": statistics.median(checks), "stage_job_ms_median": statistics.median(stages)}


def verify_cost(device: str, n: int, sandboxed: bool) -> dict:
    from tritonize.judge import run
    from tritonize.judge.pool import WorkerPool

    problem = BACKEND / "tests" / "problems" / "vector_add.py"
    cand = BACKEND / "tests" / "candidates" / "vector_add_correct.py"
    pool = WorkerPool(device, size=2, env={} if sandboxed else {"TRITONIZE_NO_SANDBOX": "1"})
    refs: dict = {}
    times, cand_phase, start = [], [], []
    try:
        for i in range(n + 1):
            t0 = time.perf_counter()
            rep = run.verify(problem, cand, device=device, pool=pool, options={"reference_cache": refs})
            dt = time.perf_counter() - t0
            assert rep["verdict"] == "correct", rep["summary"]
            if i:  # the first pays the reference and cold workers
                times.append(dt * 1e3)
                cand_phase.append(rep["phases_s"].get("candidate_checks", 0) * 1e3)
                start.append(rep["phases_s"].get("worker_start", 0) * 1e3)
            time.sleep(2.0)  # let the pool's replacement finish starting
    finally:
        pool.close()
    return {"verify_ms_median": statistics.median(times), "candidate_phase_ms_median": statistics.median(cand_phase),
            "worker_wait_ms_median": statistics.median(start), "sandbox": rep.get("sandbox", {}).get("summary")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    print(json.dumps({"apply": apply_cost(args.n)}))
    print(json.dumps({"parent": parent_cost(max(args.n, 10))}))
    for sandboxed in (True, False):
        print(json.dumps({"device": args.device, "sandboxed": sandboxed, **verify_cost(args.device, args.n, sandboxed)}))


if __name__ == "__main__":
    main()
