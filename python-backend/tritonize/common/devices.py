"""What this machine's accelerators can do: names, peaks for roofline and impossibility checks.

Peak numbers are the vendor's dense figures (no sparsity). Unknown GPUs fall back to bandwidth
derived from the memory clock and bus width, and no compute peak (then only bandwidth bounds
are used).
"""

from __future__ import annotations

from typing import Any

# name fragment -> (peak GB/s, TFLOP/s dict)
_PEAKS: list[tuple[str, float, dict[str, float]]] = [
    ("H200", 4800.0, {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4, "fp8": 1978.9}),
    ("H100 PCIe", 2000.0, {"fp32": 51.0, "tf32": 378.0, "bf16": 756.0, "fp16": 756.0, "fp8": 1513.0}),
    ("H100 NVL", 3900.0, {"fp32": 60.0, "tf32": 417.5, "bf16": 835.0, "fp16": 835.0, "fp8": 1670.0}),
    ("H100", 3350.0, {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4, "fp8": 1978.9}),
    ("H800", 3350.0, {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4, "fp8": 1978.9}),
    ("A100-SXM4-80GB", 2039.0, {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}),
    ("A100", 1555.0, {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}),
    ("L40S", 864.0, {"fp32": 91.6, "tf32": 183.0, "bf16": 362.0, "fp16": 362.0}),
    ("L4", 300.0, {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}),
    ("RTX 4090", 1008.0, {"fp32": 82.6, "tf32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    ("B200", 8000.0, {"fp32": 80.0, "tf32": 1100.0, "bf16": 2250.0, "fp16": 2250.0, "fp8": 4500.0}),
]


def cuda_devices() -> list[dict[str, Any]]:
    import torch

    out = []
    if not torch.cuda.is_available():
        return out
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        gbps, tflops = None, {}
        for frag, bw, fl in _PEAKS:
            if frag in p.name:
                gbps, tflops = bw, fl
                break
        if gbps is None:
            clock = getattr(p, "memory_clock_rate", 0)  # kHz
            bus = getattr(p, "memory_bus_width", 0)  # bits
            gbps = 2 * clock * 1e3 * bus / 8 / 1e9 if clock and bus else None
        out.append({
            "index": i, "name": p.name, "capability": f"{p.major}.{p.minor}", "sm_count": p.multi_processor_count,
            "memory_gb": round(p.total_memory / 2**30, 1), "peak_gbps": gbps, "peak_tflops": tflops,
            "l2_bytes": getattr(p, "L2_cache_size", 50 << 20),
        })
    return out


def peak_tflops_for(device: dict[str, Any], dtype: str, allow_tf32: bool = False) -> float | None:
    fl = device.get("peak_tflops") or {}
    if dtype in ("float16", "bfloat16"):
        return fl.get("bf16") if dtype == "bfloat16" else fl.get("fp16")
    if dtype == "float32":
        return fl.get("tf32") if allow_tf32 else fl.get("fp32")
    return fl.get("fp32")


def best_tflops(device: dict[str, Any]) -> float | None:
    """The fastest rate any dtype reaches: nothing correct can beat it."""
    fl = device.get("peak_tflops") or {}
    return max(fl.values()) if fl else None
