"""False-reject table: legitimate Triton kernels of many patterns, each verified on one device, one
row per kernel. Every row should read `correct`; anything else is a false reject to fix.

    python3 bench/legit_table.py --device cuda [--jobs 6] [--json OUT.json]
    python3 bench/legit_table.py --device cpu --only bf16     # a subset, on the Triton interpreter

Each verify is its own `tritonize verify --json` process (as a user runs it), several at a time;
verify-only runs share a GPU safely (timing is not measured here).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "python-backend" / "tests"
C, P, EX = TESTS / "candidates", TESTS / "problems", ROOT / "examples"

# (pattern, candidate, problem)
KERNELS: list[tuple[str, Path, Path]] = [
    ("elementwise, masked", C / "vector_add_correct.py", P / "vector_add.py"),
    ("elementwise, @triton.autotune (4 configs)", C / "autotune_multi_config.py", P / "vector_add.py"),
    ("elementwise ReLU", C / "relu_correct.py", P / "relu.py"),
    ("ReLU on non-contiguous (transposed) input", C / "legit_strided_relu.py", P / "relu_transposed.py"),
    ("ReLU, positive-domain problem", C / "legit_relu_positive.py", P / "relu_positive.py"),
    ("fp16 fused multiply-add", C / "fma_fp16_correct.py", P / "fma_fp16.py"),
    ("fp16 overflow that matches the reference", C / "fp16_overflow_like_reference.py", P / "scale_fp16.py"),
    ("bf16 add", C / "legit_bf16_add.py", P / "vector_add_bf16.py"),
    ("bias + GELU fp16 (tanh form, example)", EX / "bias_gelu" / "candidate.py", EX / "bias_gelu" / "problem.py"),
    ("GELU with libdevice.erf", C / "legit_libdevice_erf_gelu.py", P / "gelu.py"),
    ("row softmax", C / "softmax_correct.py", P / "softmax.py"),
    ("row softmax 4096x4096 (example)", EX / "softmax" / "candidate.py", EX / "softmax" / "problem.py"),
    ("RMSNorm bf16 8192x4096 (example)", EX / "rmsnorm" / "candidate.py", EX / "rmsnorm" / "problem.py"),
    ("row sum, blocked reduction order", C / "row_sum_reordered.py", P / "row_sum.py"),
    ("row sum, tl.atomic_add + autotune", C / "legit_atomic_rowsum_autotune.py", P / "row_sum.py"),
    ("cumsum, tl.cumsum scan", C / "legit_scan_cumsum.py", P / "cumsum.py"),
    ("cumsum, tl.associative_scan", C / "legit_associative_scan.py", P / "cumsum.py"),
    ("matmul fp32, tl.dot", C / "matmul_tl_dot.py", P / "matmul.py"),
    ("matmul bf16, tl.dot", C / "legit_bf16_dot.py", P / "matmul_bf16.py"),
    ("matmul fp16 4096^3 (example)", EX / "matmul_fp16" / "candidate.py", EX / "matmul_fp16" / "problem.py"),
    ("tuple of two outputs", C / "legit_tuple_outputs.py", P / "add_mul_tuple.py"),
    ("gather with int64 index input", C / "legit_gather_int_index.py", P / "gather_rows.py"),
    ("integer modulo (int inputs)", C / "legit_int_mod.py", P / "int_mod_small.py"),
    ("fp64 clamp, wide range", C / "legit_fp64_clamp.py", P / "clamp_fp64_big.py"),
    # red team 14: a Welford LayerNorm (shifted trial), top-k with another order of ties (a flag),
    # ELU with exp(x) - 1 (a flag: precision lost near zero only)
    ("LayerNorm, Welford", C / "legit_welford_layernorm.py", P / "layernorm_rows.py"),
    ("top-k, last of tied maxima", C / "legit_topk_tie_order.py", P / "topk_rows.py"),
    ("ELU with exp(x) - 1", C / "approx_elu_exp_minus_one.py", P / "elu.py"),
]


def verify(device: str, cand: Path, prob: Path, timeout: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python-backend")}
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "tritonize.cli", "verify", str(prob), str(cand), "--device", device,
                        "--json", "--timeout", str(timeout)], capture_output=True, text=True, env=env,
                       timeout=timeout + 120)
    wall = time.monotonic() - t0
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        return {"verdict": "harness_error", "summary": (p.stderr.strip().splitlines() or ["no output"])[-1], "wall_s": wall}
    trials = (rep.get("correctness") or {}).get("trials") or []
    return {"verdict": rep.get("verdict"), "summary": rep.get("summary", ""), "wall_s": wall,
            "trials": f"{sum(1 for t in trials if t.get('passed'))}/{len(trials)}",
            "sandbox": (rep.get("sandbox") or {}).get("summary", ""),
            "rules": sorted({d.get("rule") for d in rep.get("diagnostics") or [] if d.get("rule")})}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--timeout", type=int, default=240)
    ap.add_argument("--only", action="append", default=[], help="substring of the pattern or file name")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows = [k for k in KERNELS if not a.only or any(s in k[0] or s in k[1].name for s in a.only)]
    t0 = time.monotonic()
    def one(k: tuple[str, Path, Path]) -> dict:
        r = verify(a.device, k[1], k[2], a.timeout)
        # each row as it ends (stderr): a run stopped by a time limit still tells what finished
        print(f"done: {k[0]}: {r['verdict']} {r.get('trials', '')} {r['wall_s']:.1f} s", file=sys.stderr, flush=True)
        return r

    with ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(one, rows))
    print(f"| # | pattern | candidate | verdict | trials passed | wall s | diagnostics |\n|---|---|---|---|---|---|---|")
    for i, ((pat, cand, _), r) in enumerate(zip(rows, results), 1):
        print(f"| {i} | {pat} | `{cand.parent.name}/{cand.name}` | {r['verdict']} | {r.get('trials', '')} | "
              f"{r['wall_s']:.1f} | {', '.join(r.get('rules') or []) or '-'} |")
    ok = sum(r["verdict"] == "correct" for r in results)
    print(f"\n{ok}/{len(rows)} correct on {a.device} in {time.monotonic() - t0:.0f} s ({a.jobs} at a time); "
          f"sandbox: {sorted({r.get('sandbox', '') for r in results})}")
    for (pat, _, _), r in zip(rows, results):
        if r["verdict"] != "correct":
            print(f"- {pat}: {r['verdict']}: {r['summary'][:400]}")
    if a.json:
        Path(a.json).write_text(json.dumps([{"pattern": k[0], "candidate": str(k[1].relative_to(ROOT)), **r}
                                            for k, r in zip(rows, results)], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
