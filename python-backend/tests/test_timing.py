"""Benchmark anti-steering: candidates that try to steer the timing must end flagged or rejected,
never with a speedup. Real workers, real Triton (interpreter on the CPU); `-m gpu` runs the
same cases on CUDA, plus the kernel-time clock and CUDA-graph mode.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tritonize.judge.run import verify

HERE = Path(__file__).parent
CANDS = HERE / "timing_candidates"
RELU = HERE / "problems" / "relu.py"
HAS_CUDA = torch.cuda.is_available()
gpu = pytest.mark.gpu
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")


def _bench(cand: Path, device: str, **opts) -> dict:
    return verify(RELU, cand, device=device, timeout=120.0, benchmark=True,
                  options={"bench_budget_s": 1.0 if device == "cpu" else 3.0, **opts})


def _explain(rep: dict) -> str:
    t = rep.get("timings") or {}
    return json.dumps({"verdict": rep["verdict"], "summary": rep["summary"],
                       "timings": {k: t.get(k) for k in ("outside", "recheck", "flags", "eager", "candidate", "forged")}},
                      default=str)[:3000]


def _no_speedup(rep: dict) -> None:
    t = rep.get("timings") or {}
    assert t.get("speedup_vs_eager") is None or rep["verdict"] != "correct" or t.get("flags"), _explain(rep)


def check_patched(rep: dict) -> None:
    """The harness's timer rebound: the candidate worker's integrity check names it, during the
    trials or at the end of the benchmark. Before session 16 the timer module was not covered:
    `correct` with the kernel clock's speedup and forged CUDA-event times in the report (H100)."""
    assert rep["verdict"] == "rejected", _explain(rep)
    assert "monkeypatch" in rep["summary"] and "tritonize.timer._perf" in rep["summary"], _explain(rep)


def check_rejected(rep: dict, *rules: str) -> None:
    assert rep["verdict"] == "rejected" and any(f"rule {r}" in rep["summary"] for r in rules), _explain(rep)


def _guarded(rep: dict) -> bool:
    """Stopped earlier by the audit guard (docs/verdicts.md): the frame or heap access a
    phase-detecting cheat needs is refused before any timing happens."""
    return rep["verdict"] == "rejected" and "introspection" in rep["summary"]


def check_stale(rep: dict) -> None:
    if _guarded(rep):
        return
    if rep["verdict"] == "rejected" and "no_triton_launch" in rep["summary"]:
        # A call-counting cheat that expected fewer checks (CUDA's profiled coverage call, the
        # eval-mode trial) starts returning its stale answer inside them, where a forward without a
        # launch is refused (H100, session 16). Caught earlier, never `correct`.
        return
    assert rep["verdict"] == "incorrect", _explain(rep)
    assert "bench_output_mismatch" in rep["summary"], _explain(rep)
    assert rep["timings"]["recheck"]["failed"] is not None


def check_eager_untouched(rep: dict) -> None:
    """The 30 ms sleep it plants in torch.relu must not reach the eager baseline's time."""
    assert rep["verdict"] in ("correct", "rejected"), _explain(rep)
    if rep["verdict"] == "correct":
        t = rep["timings"]
        assert t["baseline_process"] == "separate"
        assert t["eager"]["median_ms"] < 10.0, _explain(rep)  # would be >= 30 ms if eager ran in the candidate's process
        assert t["eager"]["median_ms"] < t["candidate"]["median_ms"] or HAS_CUDA, _explain(rep)


def check_path_flagged(rep: dict) -> None:
    """Right outputs, another path while timed: flagged, and no comparison shown."""
    if _guarded(rep):
        return
    assert rep["verdict"] == "correct", _explain(rep)
    t = rep["timings"]
    assert "timed_path_differs" in [f["rule"] for f in t["flags"]], _explain(rep)
    assert t["speedup_vs_eager"] is None


CASES = [
    ("torch_when_timed.py", check_path_flagged),
    ("sliver_when_timed.py", check_path_flagged),
    ("deferred_subclass_when_timed.py", lambda rep: check_rejected(rep, "tensor_subclass_output")),
    ("mode_left_when_timed.py", lambda rep: check_rejected(rep, "mode_left_active")),
    ("stale_every_fourth.py", check_stale),
    ("patch_timer.py", check_patched),
    ("patch_timer_when_timed.py", check_patched),
    ("stack_inspect.py", check_stale),
    ("count_calls.py", check_stale),
    ("spot_flush.py", check_stale),
    ("sleep_in_eager.py", check_eager_untouched),
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("cand,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_timing_cheat_cpu(cand, check):
    rep = _bench(CANDS / cand, "cpu")
    check(rep)
    _no_speedup(rep)


@pytest.mark.timeout(300)
def test_finalizer_precompute_cpu(monkeypatch):
    """Red team 17: a finalizer on a timed input ran between the refill and the clock. The static
    rules name weakref.finalize now; this checks the harness itself, with them off."""
    from tritonize.judge import run

    monkeypatch.setattr(run.static_rules, "check_source", lambda *a, **k: [])
    rep = _bench(CANDS / "finalizer_precompute.py", "cpu")
    check_stale(rep)
    _no_speedup(rep)


@pytest.mark.timeout(300)
def test_output_finalizer_cache_is_never_correct_cpu():
    """Red team 18 c6c: a finalizer on each output (installed under a computed name) precomputes into
    a cache keyed by the input's shape and version. Its launches outside forward and the forwards that
    launch nothing are the recorder's evidence; never `correct` with a comparison."""
    rep = _bench(CANDS / "output_finalizer_versioned.py", "cpu")
    check_rejected(rep, "recorder_tampered", "unobserved_differs")  # the unobserved trial's forward launches nothing
    _no_speedup(rep)


@pytest.mark.timeout(300)
def test_honest_candidate_cpu():
    """An honest kernel passes every check: no forgery, its timed outputs re-checked and right,
    the judge's clock consistent with the claimed times."""
    rep = _bench(HERE / "candidates" / "relu_correct.py", "cpu")
    assert rep["verdict"] == "correct", _explain(rep)
    t = rep["timings"]
    assert t["clock"] == "wall" and t["meaningful"] is False
    assert "forged" not in t
    assert not [f for f in t["flags"] if f["rule"] == "timed_path_differs"], t["flags"]  # same path timed as checked
    assert t["recheck"]["sampled_calls"] >= 1 and t["recheck"]["failed"] is None
    out = t["outside"]
    # On a loaded two-core machine the overheads the judge subtracts can exceed a ~1 ms call: then
    # it says so instead of reporting a negative time.
    assert out["claimed_ms_per_call"] > 0 and (out["judge_ms_per_call"] > 0 or "resolution" in out["note"]), out
    assert t["eager"]["n"] >= 4 and t["candidate"]["n"] >= 4


def test_kernel_time_split():
    """The profile is split at the harness's sleep kernels (before and after fn): the harness's own
    copies and flush are left out, side-stream work is in, and an extra sleep kernel (a candidate
    calling torch.cuda._sleep) voids the profile."""
    from tritonize.worker.timer import attach_kernel_times

    acts = [(0, 100, "fill"), (10, 5000, "spin_kernel"), (5_020, 40_000, "softmax_kernel"), (45_100, 1000, "spin_kernel"),
            (50_000, 3000, "copy"), (60_000, 100, "sum_flush"),
            (70_010, 5000, "spin_kernel"), (75_020, 30_000, "softmax_kernel"), (76_000, 2_000, "side"),
            (105_100, 1000, "spin_kernel"), (120_000, 900, "clone")]
    calls = [{"kernel_ms": None}, {"kernel_ms": None}]
    assert attach_kernel_times(calls, acts) is None
    assert calls[0]["kernel_ms"] == pytest.approx(0.040) and calls[0]["kernels"] == 1
    assert calls[1]["kernel_ms"] == pytest.approx(0.032) and calls[1]["kernels"] == 2
    # The span runs from the end of the start marker to the last activity's end: launch gaps in,
    # overlapping side-stream work counted once.
    assert calls[0]["span_ms"] == pytest.approx(0.04001) and calls[1]["span_ms"] == pytest.approx(0.03001)
    # A kernel on another stream that ran under the start marker counts from its own start.
    hidden = [(0, 100, "fill"), (10, 50_000, "spin_kernel"), (20, 40_000, "side_kernel"), (50_020, 10, "tiny"),
              (50_100, 1000, "spin_kernel")]
    calls = [{"kernel_ms": None}]
    assert attach_kernel_times(calls, hidden) is None
    assert calls[0]["span_ms"] == pytest.approx(0.05001) and calls[0]["kernel_ms"] == pytest.approx(0.04001)
    calls = [{"kernel_ms": None}, {"kernel_ms": None}]
    assert "delimiter" in attach_kernel_times(calls, acts + [(130_000, 10, "spin_kernel")])


def test_gpu_state_flags():
    from tritonize.common.nvml import summarize_state

    calm = {"sm_mhz": 1980, "mem_mhz": 3201, "throttle": [], "violation_ms": {"power": 10.0, "thermal": 0.0}}
    assert not summarize_state([calm, dict(calm)])["throttled"]
    hot = {**calm, "violation_ms": {"power": 400.0, "thermal": 0.0}}
    s = summarize_state([calm, hot])
    assert s["throttled"] and "power" in " ".join(s["reasons"])
    slow = {**calm, "sm_mhz": 1500}
    assert summarize_state([calm, slow])["clock_changed"]
    assert summarize_state([calm, {**calm, "throttle": ["hw_slowdown"]}])["throttled"]


def test_peaks_from_device():
    from tritonize.common.devices import device_peaks

    h200 = device_peaks({"name": "NVIDIA H200", "capability": "9.0", "sm_count": 132, "peak_gbps": 4800.0,
                         "peak_tflops": {"fp16": 989.4}}, {"max_sm_mhz": 1980, "max_mem_mhz": 3201, "bus_width_bits": 6144})
    assert 4700 < h200["peak_gbps"] < 5000 and 900 < h200["peak_tflops"]["fp16"] < 1100
    assert h200["source"].startswith("device")
    # An unknown consumer part still gets a bandwidth bound from its clock and bus.
    ada = device_peaks({"name": "Some GPU", "capability": "8.9", "sm_count": 128, "peak_gbps": None, "peak_tflops": {},
                        "memory_clock_khz": 10501000, "memory_bus_bits": 384, "sm_clock_khz": 2520000})
    assert 1000 < ada["peak_gbps"] < 1020 and ada["peak_tflops"]["fp16"] > 300


# ------------------------------------------------------------------------------------------------
# GPU

@gpu
@needs_cuda
@pytest.mark.timeout(300)
@pytest.mark.parametrize("cand,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_timing_cheat_cuda(cand, check):
    rep = _bench(CANDS / cand, "cuda")
    check(rep)
    _no_speedup(rep)


@gpu
@needs_cuda
@pytest.mark.timeout(300)
@pytest.mark.parametrize("graph", [False, True], ids=["plain", "cuda_graph"])
def test_kernel_clock_cuda(graph):
    root = HERE.parents[1] / "examples" / "softmax"
    rep = verify(root / "problem.py", root / "candidate.py", device="cuda", timeout=120.0, benchmark=True,
                 options={"bench_budget_s": 3.0, "cuda_graph": graph})
    assert rep["verdict"] == "correct", _explain(rep)
    t = rep["timings"]
    assert t["clock"] == "span", t.get("notes")
    k, sp, e = (t[c]["candidate"]["median_ms"] for c in ("kernel", "span", "event"))
    # One stream: the kernels' sum <= their span (launch gaps added) <= events (an event record added).
    assert 0 < k <= sp * 1.01 and sp <= e * 1.02, (k, sp, e)
    assert t["recheck"]["sampled_calls"] >= 1 and t["recheck"]["failed"] is None
    if graph:
        assert t["cuda_graph"]["used"].get("candidate") is True, t["cuda_graph"]


def _synthetic_run(claim_ms: float, true_ms: float, cached_clock: str | None = None, profiled: bool = False):
    """Evidence as judge/benchmark.py collects it, for a candidate whose calls really take
    `true_ms` (the judge's clock) but which reports `claim_ms`. `profiled`: even rounds ran under
    the profiler (span and kernel sum, no events: worker/timer.py)."""
    from tritonize.judge.benchmark import Run

    r = Run()
    call = 0
    for rnd in range(6):
        prof = profiled and rnd % 2 == 0

        def rec(name: str, c: int, ms: float, loop: float) -> dict:
            if prof:
                return {"name": name, "call": c, "event_ms": None, "wall_ms": None, "loop_ms": loop,
                        "kernel_ms": 0.9 * ms, "kernels": 1, "span_ms": ms, "profiled": True}
            return {"name": name, "call": c, "event_ms": ms, "wall_ms": ms, "loop_ms": loop,
                    "kernel_ms": None, "kernels": None, "span_ms": None, "profiled": False}

        recs = []
        for name, ms in (("eager", 2.0), ("noop", 0.0)):
            for _ in range(3):
                recs.append(rec(name, call, ms, ms + 1.0))
                call += 1
        for rc in recs:
            r.calls.setdefault(rc["name"], []).append(rc)
        r.blocks.append({"side": "baseline", "wall_s": (9.0 + 6) / 1e3 + 0.001, "latency_s": 0.001, "n": 6,
                         "profiled": prof, "block_s": 0.015, "calls": [c["call"] for c in recs]})
        cand = [rec("candidate", call + j, claim_ms, true_ms + 1.0) for j in range(3)]
        call += 3
        r.calls.setdefault("candidate", []).extend(cand)
        r.blocks.append({"side": "candidate", "wall_s": 3 * (true_ms + 1.0) / 1e3 + 0.001, "latency_s": 0.001, "n": 3,
                         "profiled": prof, "block_s": None, "calls": [c["call"] for c in cand]})
    r.info = {"host_ms": {"eager": 0.1, "candidate": 0.1}, "rounds": 6}
    if cached_clock:
        r.info.update(cached_inductor={"median_ms": 1.5}, cached_clock=cached_clock)
    return r


def test_analyze_judge_clock_catches_forged_claims():
    from tritonize.judge.compare import Policy
    from tritonize.judge.timing import analyze

    honest = analyze(_synthetic_run(20.0, 20.0), {}, None, False, Policy())
    assert "forged" not in honest and not honest["flags"]
    assert honest["outside"]["judge_ms_per_call"] == pytest.approx(20.0, rel=0.05)
    lying = analyze(_synthetic_run(0.2, 20.0), {}, None, False, Policy())
    assert [f["rule"] for f in lying["flags"]] == ["timing_forged"] and "judge's own clock" in lying["flags"][0]["message"]
    # The sum of claims can't exceed what the judge watched either.
    assert "watched" in analyze(_synthetic_run(500.0, 20.0), {}, None, False, Policy())["forged"]


def test_analyze_span_clock_from_profiled_blocks():
    """Profiled blocks carry the GPU span and no events: the span is the clock, the events of the
    other blocks are reported beside it, and the judge's clock still holds the unprofiled blocks'
    claims (and every block's sum) against what it watched."""
    from tritonize.judge.compare import Policy
    from tritonize.judge.timing import analyze

    honest = analyze(_synthetic_run(20.0, 20.0, profiled=True), {}, None, True, Policy())
    assert honest["clock"] == "span" and "launch gaps" in honest["clock_source"]
    assert honest["candidate"]["median_ms"] == pytest.approx(20.0) and honest["kernel"]["candidate"]["median_ms"] == pytest.approx(18.0)
    assert honest["event"]["candidate"]["median_ms"] == pytest.approx(20.0) and "forged" not in honest
    assert honest["outside"]["blocks"] == 2  # the unprofiled candidate blocks after the first
    lying = analyze(_synthetic_run(0.2, 20.0, profiled=True), {}, None, True, Policy())
    assert "timing_forged" in [f["rule"] for f in lying["flags"]]
    assert "watched" in analyze(_synthetic_run(500.0, 20.0, profiled=True), {}, None, True, Policy())["forged"]


def test_analyze_cached_baseline_needs_the_same_clock():
    from tritonize.judge.compare import Policy
    from tritonize.judge.timing import analyze

    same = analyze(_synthetic_run(20.0, 20.0, cached_clock="wall"), {}, None, False, Policy())
    assert same["inductor"] == {"median_ms": 1.5} and same["inductor_source"].startswith("cached")
    other = analyze(_synthetic_run(20.0, 20.0, cached_clock="kernel"), {}, None, False, Policy())
    assert other["inductor"] is None and any("kernel clock" in n for n in other["notes"])
