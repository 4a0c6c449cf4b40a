"""What this machine's accelerators can do: names, peaks for roofline and impossibility checks.

Peaks are computed from the device itself where it tells us enough (`device_peaks`): bandwidth =
2 (double data rate) x max memory clock x bus width, compute = SMs x max SM clock x dense
FLOP/clock/SM of the architecture. So an H200, a power-capped part or a consumer GPU gets its own
bound. The vendor table below (dense figures, no sparsity) is the fallback and is reported
next to the derived figures.
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
            "l2_bytes": getattr(p, "L2_cache_size", 50 << 20), "uuid": _uuid(p), "pci_bus_id": _pci(p),
            "sm_clock_khz": getattr(p, "clock_rate", None), "memory_clock_khz": getattr(p, "memory_clock_rate", None),
            "memory_bus_bits": getattr(p, "memory_bus_width", None),
        })
    return out


def _uuid(p: Any) -> str | None:
    u = getattr(p, "uuid", None)
    if u is None:
        return None
    s = str(u)
    return s if s.startswith("GPU-") else f"GPU-{s}"


def _pci(p: Any) -> str | None:
    bus, dev, dom = getattr(p, "pci_bus_id", None), getattr(p, "pci_device_id", None), getattr(p, "pci_domain_id", None)
    if bus is None or dev is None:
        return None
    return f"{int(dom or 0):08x}:{int(bus):02x}:{int(dev):02x}.0"


# Dense FLOP per clock per SM by compute capability (major, minor), for fp32 (CUDA cores) and the
# tensor-core dtypes. Where GeForce and data-centre parts of one architecture differ, the higher
# rate is used: an impossibility bound must never be below what the part can do.
_PER_SM_CLOCK: dict[tuple[int, int], dict[str, int]] = {
    (7, 0): {"fp32": 128, "fp16": 1024, "bf16": 0, "tf32": 0},
    (7, 5): {"fp32": 128, "fp16": 1024, "bf16": 0, "tf32": 0},
    (8, 0): {"fp32": 128, "tf32": 1024, "fp16": 2048, "bf16": 2048},
    (8, 6): {"fp32": 256, "tf32": 512, "fp16": 1024, "bf16": 1024},
    (8, 7): {"fp32": 256, "tf32": 512, "fp16": 1024, "bf16": 1024},
    (8, 9): {"fp32": 256, "tf32": 512, "fp16": 1024, "bf16": 1024, "fp8": 2048},
    (9, 0): {"fp32": 256, "tf32": 2048, "fp16": 4096, "bf16": 4096, "fp8": 8192},
    (10, 0): {"fp32": 256, "tf32": 4096, "fp16": 8192, "bf16": 8192, "fp8": 16384},
    (12, 0): {"fp32": 256, "tf32": 1024, "fp16": 2048, "bf16": 2048, "fp8": 4096},
}


def device_peaks(dev: dict[str, Any], nvml_static: dict[str, Any] | None = None) -> dict[str, Any]:
    """Peaks derived from the device's own figures (NVML max clocks and bus width first, CUDA
    properties second); `source` says which, and the table's figures stay alongside."""
    st = nvml_static or {}
    mem_mhz = st.get("max_mem_mhz") or ((dev.get("memory_clock_khz") or 0) / 1e3) or None
    bus = st.get("bus_width_bits") or dev.get("memory_bus_bits")
    sm_mhz = st.get("max_sm_mhz") or ((dev.get("sm_clock_khz") or 0) / 1e3) or None
    gbps = 2 * mem_mhz * 1e6 * bus / 8 / 1e9 if mem_mhz and bus else None
    tflops: dict[str, float] = {}
    try:
        major, minor = (int(x) for x in str(dev.get("capability", "0.0")).split("."))
    except ValueError:
        major, minor = 0, 0
    rates = _PER_SM_CLOCK.get((major, minor)) or _PER_SM_CLOCK.get((major, 0))
    if rates and sm_mhz and dev.get("sm_count"):
        tflops = {k: dev["sm_count"] * sm_mhz * 1e6 * v / 1e12 for k, v in rates.items() if v}
    parts = [("NVML max clocks" if st.get("max_sm_mhz") or st.get("max_mem_mhz") else "CUDA device properties"),
             f"{bus}-bit memory bus" if gbps else "", f"{dev.get('sm_count')} SMs at {sm_mhz:.0f} MHz" if tflops else ""]
    return {"peak_gbps": gbps or dev.get("peak_gbps"), "peak_tflops": tflops or dev.get("peak_tflops") or {},
            "source": "device (" + ", ".join(p for p in parts if p) + ")" if gbps or tflops else "vendor table",
            "table_gbps": dev.get("peak_gbps"), "table_tflops": dev.get("peak_tflops") or None,
            "max_sm_mhz": sm_mhz, "max_mem_mhz": mem_mhz, "bus_width_bits": bus}


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
