"""Kernel time, four ways, side by side on one GPU: Tritonize's profiler kernel time, Tritonize's
CUDA events, `triton.testing.do_bench`, and Nsight Compute's `gpu__time_duration.sum`
(`ncu --clock-control none`, caches flushed by ncu). 5 repeats each; prints one table with the
% difference from ncu and the run-to-run spread ((max - min) / median of the 5 repeat medians).

    python3 bench/kernel_time.py [--repeats 5] [--calls 50] [--json out.json]

Needs a CUDA GPU; ncu is optional (its column is empty without it). Rerun everything with
`bash bench/kernel_time.sh` (logs under $OUT).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-backend"))

# (label, problem, candidate, size overrides)
FLOOR = "empty kernel (each clock's floor)"
KERNELS = [
    ("softmax 4096x4096 fp32", "examples/softmax/problem.py", "examples/softmax/candidate.py", {}),
    ("RMSNorm 8192x4096 bf16", "examples/rmsnorm/problem.py", "examples/rmsnorm/candidate.py", {}),
    ("bias+GELU 4096x4096 fp16 (elementwise)", "examples/bias_gelu/problem.py", "examples/bias_gelu/candidate.py", {}),
    ("GEMM 4096^3 fp16", "examples/matmul_fp16/problem.py", "examples/matmul_fp16/candidate.py", {}),
    ("row sum 16384x4096 fp32 (reduction)", "python-backend/tests/problems/row_sum.py",
     "python-backend/tests/candidates/row_sum_reordered.py", {"ROWS": 16384}),
    ("vector add 2^16 fp32 (< 10 us)", "python-backend/tests/problems/vector_add.py",
     "python-backend/tests/candidates/vector_add_correct.py", {"N": 1 << 16}),
    # Each clock's own floor: one program that does nothing. ncu's gpu__time_duration carries a
    # fixed cost per kernel that CUPTI's activity records do not (issue 12's table: ncu 1-3 us
    # above on every kernel); this row measures it in the same run, so the table can show the
    # difference without it as well as with it.
    (FLOOR, None, None, {}),
]


def build(idx: int):
    import torch

    from tritonize.worker.loader import load_module

    label, prob, cand, over = KERNELS[idx]
    if prob is None:
        return label, _empty_launch(), True
    pmod = load_module(ROOT / prob, overrides=over or None, name_hint="p")
    cmod = load_module(ROOT / cand, name_hint="c")
    torch.manual_seed(0)
    init = list(pmod.get_init_inputs())
    ref = pmod.Model(*init).cuda()
    torch.manual_seed(0)
    model = cmod.ModelNew(*init).cuda()
    try:
        model.load_state_dict(ref.state_dict())
    except Exception:
        pass
    torch.manual_seed(1)
    xs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in pmod.get_inputs()]
    with torch.no_grad():
        y, r = model(*xs), ref(*xs)
    ok = torch.allclose(y.float(), r.float(), atol=2e-2, rtol=2e-2)
    return label, (lambda: model(*xs)), ok


def _empty_launch():
    import triton

    @triton.jit
    def empty(n):
        pass

    return lambda: empty[(1,)](0)


def ncu_target(idx: int, calls: int) -> None:
    """Runs under ncu: warm-up (and autotuning) outside the profiled range, then `calls` calls."""
    import torch

    _label, fn, _ok = build(idx)
    with torch.no_grad():
        for _ in range(5):
            fn()
        torch.cuda.synchronize()
        torch.cuda.profiler.start()
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
        torch.cuda.profiler.stop()


NCU_CLOCK: dict[tuple[int, str], float] = {}  # (kernel index, caches) -> median SM clock (MHz) ncu saw


def ncu_times(idx: int, calls: int, repeats: int, caches: str = "all") -> tuple[list[float] | None, str | None]:
    """Per-repeat median of per-call kernel time (us) from ncu, or (None, why). caches="all" is ncu's
    default (every cache invalidated before each kernel, instruction and constant caches included,
    which no CUDA program can do); "none" keeps them, to show how much of ncu's per-kernel floor
    that invalidation is."""
    ncu = shutil.which("ncu") or next((p for p in ("/usr/local/cuda/bin/ncu",) if os.path.exists(p)), None)
    if not ncu:
        return None, "ncu not found"
    cmd = [ncu, "--clock-control", "none", "--cache-control", caches, "--profile-from-start", "off",
           # The SM clock during each profiled kernel, to tell a clock that ncu's pauses let fall
           # (clock-control none) from a fixed per-kernel cost.
           "--metrics", "gpu__time_duration.sum,sm__cycles_elapsed.avg.per_second", "--csv", "--print-units", "base",
           sys.executable, __file__, "--ncu-target", str(idx), "--calls", str(calls * repeats)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    every = list(csv.DictReader(io.StringIO("\n".join(l for l in p.stdout.splitlines() if l.startswith('"')))))
    rows = [r for r in every if r.get("Metric Name") == "gpu__time_duration.sum"]
    hz = [float(r["Metric Value"].replace(",", "")) for r in every
          if r.get("Metric Name") == "sm__cycles_elapsed.avg.per_second" and r.get("Metric Value")]
    if hz:
        unit = (next(r for r in every if r.get("Metric Name") == "sm__cycles_elapsed.avg.per_second").get("Metric Unit") or "")
        NCU_CLOCK[(idx, caches)] = statistics.median(hz) / {"hz": 1e6, "cycle/second": 1e6, "khz": 1e3, "mhz": 1.0,
                                                            "ghz": 1e-3}.get(unit.lower().replace("cycle/nsecond", "ghz"), 1e6)
    if not rows:
        return None, f"ncu gave no rows (rc {p.returncode}): {(p.stderr or p.stdout)[-400:]}"
    ns = [float(r["Metric Value"].replace(",", "")) for r in rows]
    unit = rows[0].get("Metric Unit", "nsecond")
    scale = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3}.get(unit, 1e-3)
    per = len(ns) // (calls * repeats)
    if per < 1 or len(ns) % (calls * repeats):
        return None, f"{len(ns)} kernels for {calls * repeats} calls"
    per_call = [sum(ns[i * per:(i + 1) * per]) * scale for i in range(calls * repeats)]
    return [statistics.median(per_call[r * calls:(r + 1) * calls]) for r in range(repeats)], None


def measure(idx: int, calls: int, repeats: int) -> dict:
    import torch
    import triton.testing

    from tritonize.worker.timer import Timer

    label, fn, ok = build(idx)
    timer = Timer("cuda")
    with torch.no_grad():
        for _ in range(5):
            fn()
        torch.cuda.synchronize()
        host = timer.host_ms(fn)
        sleep = {"k": min(50.0, 2 * host + 0.05)}
        kern, span, bare, ev, errs = [], [], [], [], []
        for _ in range(repeats):
            res = timer.block({"k": lambda c: fn()}, [("k", i) for i in range(calls)], sleep, prepare=lambda c: None)
            if res["profile_error"]:
                errs.append(res["profile_error"])
            ks = [c["kernel_ms"] for c in res["calls"] if c["kernel_ms"] is not None]
            kern.append(statistics.median(ks) * 1e3 if ks else None)
            sp = [c["span_ms"] for c in res["calls"] if c.get("span_ms") is not None]
            span.append(statistics.median(sp) * 1e3 if sp else None)
            # Profiled blocks record no events (worker/timer.py): the events come from a block without the profiler.
            plain = timer.block({"k": lambda c: fn()}, [("k", i) for i in range(calls)], sleep, prepare=lambda c: None,
                                profile=False)
            ev.append(statistics.median(c["event_ms"] for c in plain["calls"]) * 1e3)
            bare.append(_bare_span(timer, fn, calls, sleep["k"]))
        db = [triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median") * 1e3 for _ in range(repeats)]
    nc, nerr = ncu_times(idx, calls, repeats)
    nc_keep = None if os.environ.get("KT_NO_KEPT") == "1" else ncu_times(idx, calls, repeats, caches="none")[0]
    return {"ncu_caches_kept_us": nc_keep, "ncu_sm_mhz": NCU_CLOCK.get((idx, "all")),
            "ncu_caches_kept_sm_mhz": NCU_CLOCK.get((idx, "none")), "kernel": label, "output_ok": bool(ok), "host_us": host * 1e3, "tritonize_kernel_us": kern, "tritonize_span_us": span, "span_no_events_us": bare,
            "tritonize_event_us": ev, "do_bench_us": db, "ncu_us": nc, "ncu_error": nerr, "profile_errors": errs[:2]}


def _bare_span(timer, fn, calls: int, sleep_ms: float) -> float | None:
    """Median GPU span per call (end of the start marker to the end of the call's last activity)
    with the same flush and markers as Timer.block but no CUDA event records in the stream: what an
    event record adds to the span, next to the timer's own span column."""
    import torch

    from tritonize.worker import timer as tm

    recs = [{"kernel_ms": None} for _ in range(calls)]
    with tm._cuda_activity() as prof:
        for _ in range(calls):
            torch.sum(timer._flush, dim=0, out=timer._sink)
            torch.cuda.synchronize()
            tm._sleep(max(1000, int(sleep_ms * timer.cycles_per_ms)))
            fn()
            tm._sleep(1000)
            torch.cuda.synchronize()
    if tm.attach_kernel_times(recs, tm._gpu_activities(prof)) is not None:
        return None
    return statistics.median(r["span_ms"] for r in recs) * 1e3


def _summ(xs: list | None) -> tuple[float | None, float | None]:
    if not xs or any(x is None for x in xs):
        return None, None
    med = statistics.median(xs)
    return med, (max(xs) - min(xs)) / med if med else None


def _mhz(v: float | None) -> str:
    return f"{v:.0f}" if v else "n/a"


def table(rows: list[dict]) -> str:
    floor = next((r for r in rows if r["kernel"] == FLOOR), None)
    ncu_floor, _ = _summ(floor["ncu_us"]) if floor else (None, None)
    k_floor, _ = _summ(floor["tritonize_kernel_us"]) if floor else (None, None)
    head = ("| kernel | ncu gpu__time_duration (us) | Tritonize kernel time (us) | Tritonize GPU span (us) | GPU span, no event records (us) | Tritonize CUDA events (us) "
            "| do_bench (us) | kernel time above its floor vs ncu above its floor | ncu, caches kept (us) | SM MHz under ncu (all / kept) |"
            "\n|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        ncu, ncu_sp = _summ(r["ncu_us"])
        kt, _ = _summ(r["tritonize_kernel_us"])
        net = (f"{kt - k_floor:.2f} vs {ncu - ncu_floor:.2f} ({100 * ((kt - k_floor) - (ncu - ncu_floor)) / (ncu - ncu_floor):+.1f}%)"
               if None not in (ncu, kt, ncu_floor, k_floor) and r is not floor and ncu - ncu_floor > 0 else "-")

        def cell(key: str) -> str:
            med, sp = _summ(r[key])
            if med is None:
                return "n/a"
            diff = f" ({100 * (med - ncu) / ncu:+.1f}%)" if ncu else ""
            return f"{med:.2f}{diff}, spread {100 * sp:.1f}%"

        nc = f"{ncu:.2f}, spread {100 * ncu_sp:.1f}%" if ncu else f"n/a ({r['ncu_error']})"
        lines.append(f"| {r['kernel']} | {nc} | {cell('tritonize_kernel_us')} | {cell('tritonize_span_us')} | {cell('span_no_events_us')} | {cell('tritonize_event_us')} | {cell('do_bench_us')} "
                     f"| {net} | {cell('ncu_caches_kept_us')} | {_mhz(r.get('ncu_sm_mhz'))} / {_mhz(r.get('ncu_caches_kept_sm_mhz'))} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--json")
    ap.add_argument("--only", type=int, nargs="*")
    ap.add_argument("--ncu-target", type=int)
    a = ap.parse_args()
    if a.ncu_target is not None:
        ncu_target(a.ncu_target, a.calls)
        return 0
    import torch

    from tritonize.common import nvml
    from tritonize.common.devices import cuda_devices

    dev = cuda_devices()[0]
    gpu = nvml.Gpu.find(dev)
    before = gpu.sample() if gpu else None
    print(f"# {dev['name']}, torch {torch.__version__}; NVML before: {before}", flush=True)
    rows = []
    for i in (a.only if a.only else range(len(KERNELS))):
        r = measure(i, a.calls, a.repeats)
        print(json.dumps(r), flush=True)
        rows.append(r)
    after = gpu.sample() if gpu else None
    print(f"# NVML after: {after}")
    if gpu:
        print("# GPU state:", json.dumps(nvml.summarize_state([before, after])))
    print(table(rows))
    if a.json:
        Path(a.json).write_text(json.dumps({"device": dev["name"], "rows": rows, "before": before, "after": after}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
