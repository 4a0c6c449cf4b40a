"""Turning raw interleaved timings into the report's `timings`, with the checks that keep a
benchmark honest: physical bounds (roofline), host-vs-event agreement, forged numbers."""

from __future__ import annotations

from typing import Any

from ..common.devices import best_tflops, peak_tflops_for
from .compare import Policy

# Slack on the vendor peaks before a time counts as impossible (peaks are rounded, clocks boost).
_SLACK = 0.9


def analyze(msg: dict[str, Any], ref: dict[str, Any], dev: dict[str, Any] | None, cuda: bool, elapsed_s: float,
            policy: Policy) -> dict[str, Any]:
    res = msg["results"]
    pick = (lambda name: res[name]["event"]) if cuda else (lambda name: res[name]["wall"])
    out: dict[str, Any] = {
        "meaningful": cuda, "note": None if cuda else "CPU: Triton interpreter; timings are not meaningful",
        "method": ("GPU time between CUDA events with launch overhead hidden behind a GPU sleep; L2 flushed; "
                   "device-wide sync; eager/Inductor/candidate interleaved; host wall-clock cross-check") if cuda
                  else "host wall-clock",
        "host_overhead_ms": {k: v.get("host_ms") for k, v in res.items()},
        "eager": pick("eager"), "inductor": pick("inductor") if "inductor" in res else None,
        "candidate": pick("candidate"), "wall": {k: v["wall"] for k, v in res.items()},
        "inductor_compile_s": msg.get("compile_s"), "inductor_error": msg.get("inductor_error"),
        "speedup_vs_eager": None, "speedup_vs_inductor": None, "flags": [], "roofline": None,
        "inductor_source": "measured" if "inductor" in res else None,
    }
    if out["inductor"] is None and msg.get("cached_inductor"):
        out["inductor"], out["inductor_source"] = msg["cached_inductor"], "cached from an earlier run of this problem"
    flags = out["flags"]
    if msg.get("foreign_streams"):
        flags.append({"rule": "side_stream_work",
                      "message": "Triton kernels ran on a stream other than the timed one "
                                 f"({', '.join(msg['foreign_streams'])}): CUDA events cannot see that work, so no "
                                 "speedup is reported"})
    # Forged numbers: the worker can't have timed more than the parent watched it run.
    claimed = sum(sum(v.get("samples_ms", [])) for v in res.values()) / 1e3
    if claimed > elapsed_s * 1.05 + 0.05:
        out["forged"] = (f"the worker reports {claimed:.2f} s of timed calls but the benchmark phase lasted only "
                         f"{elapsed_s:.2f} s")
    cand = out["candidate"]["median_ms"]
    eager = out["eager"]["median_ms"]
    ind = out["inductor"]["median_ms"] if out["inductor"] else None
    if not cuda or not cand:
        return out

    # Work outside the timed stream shows as host time the events did not see.
    gap_c, gap_e = res["candidate"].get("gap_ms") or 0.0, res["eager"].get("gap_ms") or 0.0
    if gap_c - gap_e > max(0.02, 0.25 * cand):
        flags.append({"rule": "host_event_disagreement",
                      "message": f"host wall-clock saw {gap_c - gap_e:.3f} ms per call more than CUDA events (eager's gap "
                                 f"{gap_e:.3f} ms): work escaped the timed stream (side stream?). Wall-clock median "
                                 f"{res['candidate']['wall']['median_ms']:.4g} ms"})

    nbytes = int(ref.get("input_bytes", 0)) + int(ref.get("output_bytes", 0))
    flops = int(ref.get("flops", 0))
    dtype = (ref.get("output_dtypes") or ["float32"])[0]
    roof: dict[str, Any] = {"bytes": nbytes, "flops": flops, "dtype": dtype,
                            "achieved_gbps": nbytes / (cand * 1e-3) / 1e9, "achieved_tflops": flops / (cand * 1e-3) / 1e12 if flops else None,
                            "peak_gbps": None, "peak_tflops": None, "pct_of_roofline": None, "bound": None}
    if dev and dev.get("peak_gbps"):
        bw = dev["peak_gbps"] * 1e9
        peak = peak_tflops_for(dev, dtype, policy.precision == "allow_tf32")
        roof["peak_gbps"], roof["peak_tflops"] = dev["peak_gbps"], peak
        t_mem = nbytes / bw
        t_flop = flops / (peak * 1e12) if flops and peak else 0.0
        bound = max(t_mem, t_flop)
        roof["bound"] = "memory" if t_mem >= t_flop else "compute"
        roof["roofline_ms"] = bound * 1e3
        roof["pct_of_roofline"] = 100.0 * bound / (cand * 1e-3)
        # Impossible: faster than writing the outputs, or than any dtype's peak FLOP rate, allows.
        fastest = best_tflops(dev)
        t_out = int(ref.get("output_bytes", 0)) / bw
        t_any = flops / (fastest * 1e12) if flops and fastest else 0.0
        hard = max(t_out, t_any)
        if cand * 1e-3 < _SLACK * hard:
            flags.append({"rule": "impossible_timing",
                          "message": f"{cand * 1e3:.1f} us is faster than the hardware allows ({hard * 1e6:.1f} us to "
                                     f"write the outputs / do the FLOPs at peak on {dev['name']})"})
        elif cand * 1e-3 < _SLACK * t_mem:
            flags.append({"rule": "below_input_bound",
                          "message": f"{cand * 1e3:.1f} us is faster than reading all inputs once at peak bandwidth "
                                     f"({t_mem * 1e6:.1f} us): the kernel skips input, or the timing is wrong"})
    out["roofline"] = roof

    spread = out["candidate"].get("rel_spread") or 0.0
    if spread > 0.1:
        flags.append({"rule": "unstable", "message": f"interquartile spread is {spread:.0%} of the median"})
    blocking = {"impossible_timing", "below_input_bound", "host_event_disagreement", "side_stream_work"}
    if not any(f["rule"] in blocking for f in flags) and "forged" not in out:
        out["speedup_vs_eager"] = eager / cand if eager else None
        out["speedup_vs_inductor"] = ind / cand if ind else None
    return out
