"""GPU clocks, power, throttle state and memory bus through NVML, with ctypes only.

The backend runs in the user's interpreter and may install nothing (no pynvml), so the few NVML
calls it needs are bound by hand against the driver's libnvidia-ml.so.1. Read by the judge (the
trusted parent), never by a worker: the candidate cannot change what is read here. Every call
degrades to None when the library, the GPU or the query is unavailable.
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Any

_CLOCK_SM, _CLOCK_MEM = 1, 2
# nvmlClocksEventReasons (formerly ClocksThrottleReasons) bits that mean the GPU ran slower than
# it was set to: power cap, hardware slowdown, software/hardware thermal, power brake. GPU idle,
# application-clock setting, sync boost and display clock are not a slowdown of the benchmark.
_SLOW_REASONS = {0x4: "sw_power_cap", 0x8: "hw_slowdown", 0x20: "sw_thermal", 0x40: "hw_thermal", 0x80: "hw_power_brake"}
# nvmlPerfPolicyType_t: cumulative time the GPU was held below its clocks, per cause.
_VIOLATION_POLICIES = {0: "power", 1: "thermal", 3: "board_limit", 5: "reliability"}


class _Violation(ctypes.Structure):
    _fields_ = [("referenceTime", ctypes.c_ulonglong), ("violationTime", ctypes.c_ulonglong)]


_lock = threading.Lock()
_lib: Any = None
_init_error: str | None = None


def _load() -> Any:
    global _lib, _init_error
    with _lock:
        if _lib is not None or _init_error is not None:
            return _lib
        try:
            lib = ctypes.CDLL("libnvidia-ml.so.1")
            init = getattr(lib, "nvmlInit_v2", None) or lib.nvmlInit
            rc = init()
            if rc != 0:
                raise OSError(f"nvmlInit returned {rc}")
            _lib = lib
        except (OSError, AttributeError) as exc:
            _init_error = f"NVML unavailable: {exc}"
        return _lib


def _call(name: str, *args: Any) -> bool:
    lib = _load()
    fn = getattr(lib, name, None) if lib is not None else None
    return fn is not None and fn(*args) == 0


class Gpu:
    """One NVML device handle, found by UUID, then PCI bus id, then (without
    CUDA_VISIBLE_DEVICES remapping) by index."""

    def __init__(self, handle: ctypes.c_void_p):
        self.h = handle

    @classmethod
    def find(cls, props: dict[str, Any] | None) -> "Gpu | None":
        if _load() is None:
            return None
        props = props or {}
        h = ctypes.c_void_p()
        uuid = props.get("uuid")
        if uuid:
            u = uuid if str(uuid).startswith("GPU-") else f"GPU-{uuid}"
            if _call("nvmlDeviceGetHandleByUUID", u.encode(), ctypes.byref(h)):
                return cls(h)
        pci = props.get("pci_bus_id")
        if pci and (_call("nvmlDeviceGetHandleByPciBusId_v2", str(pci).encode(), ctypes.byref(h))
                    or _call("nvmlDeviceGetHandleByPciBusId", str(pci).encode(), ctypes.byref(h))):
            return cls(h)
        if not os.environ.get("CUDA_VISIBLE_DEVICES") and _call("nvmlDeviceGetHandleByIndex_v2", int(props.get("index", 0)), ctypes.byref(h)):
            return cls(h)
        return None

    def _uint(self, name: str, *args: Any) -> int | None:
        v = ctypes.c_uint()
        return int(v.value) if _call(name, self.h, *args, ctypes.byref(v)) else None

    def static(self) -> dict[str, Any]:
        """What the hardware can do: max SM and memory clocks (MHz), memory bus width (bits)."""
        return {"max_sm_mhz": self._uint("nvmlDeviceGetMaxClockInfo", _CLOCK_SM),
                "max_mem_mhz": self._uint("nvmlDeviceGetMaxClockInfo", _CLOCK_MEM),
                "bus_width_bits": self._uint("nvmlDeviceGetMemoryBusWidth"),
                "power_limit_w": _w(self._uint("nvmlDeviceGetEnforcedPowerLimit"))}

    def sample(self) -> dict[str, Any]:
        """Current clocks, power, temperature, active slowdown reasons and cumulative violation time."""
        reasons = ctypes.c_ulonglong()
        ok = (_call("nvmlDeviceGetCurrentClocksEventReasons", self.h, ctypes.byref(reasons))
              or _call("nvmlDeviceGetCurrentClocksThrottleReasons", self.h, ctypes.byref(reasons)))
        viol: dict[str, float] = {}
        for code, label in _VIOLATION_POLICIES.items():
            v = _Violation()
            if _call("nvmlDeviceGetViolationStatus", self.h, code, ctypes.byref(v)):
                viol[label] = v.violationTime / 1e6  # ns -> ms
        return {"sm_mhz": self._uint("nvmlDeviceGetClockInfo", _CLOCK_SM),
                "mem_mhz": self._uint("nvmlDeviceGetClockInfo", _CLOCK_MEM),
                "power_w": _w(self._uint("nvmlDeviceGetPowerUsage")),
                "temp_c": self._uint("nvmlDeviceGetTemperature", 0),
                "throttle": [label for bit, label in _SLOW_REASONS.items() if ok and reasons.value & bit],
                "violation_ms": viol}


def _w(mw: int | None) -> float | None:
    return None if mw is None else mw / 1000.0


def unavailable_reason() -> str | None:
    _load()
    return _init_error


def summarize_state(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Before/after, the range seen, and whether the run throttled or changed clocks. A change of
    more than 5% in SM or memory clock between samples taken right after GPU work, any active
    slowdown reason, or violation time accrued during the run invalidates a comparison."""
    if not samples:
        return {"available": False, "reason": unavailable_reason() or "no samples"}
    before, after = samples[0], samples[-1]
    out: dict[str, Any] = {"available": True, "source": "NVML (read by the judge)", "samples": len(samples),
                           "before": before, "after": after, "throttled": False, "clock_changed": False, "reasons": []}
    seen = sorted({r for s in samples for r in s.get("throttle") or []})
    if seen:
        out["throttled"] = True
        out["reasons"].append("slowdown reasons active: " + ", ".join(seen))
    for key in ("power", "thermal", "board_limit", "reliability"):
        a, b = (before.get("violation_ms") or {}).get(key), (after.get("violation_ms") or {}).get(key)
        if a is not None and b is not None and b - a > 1.0:
            out["throttled"] = True
            out["reasons"].append(f"{b - a:.0f} ms held below clocks by {key} limits during the run")
    for key in ("sm_mhz", "mem_mhz"):
        vals = [s[key] for s in samples if s.get(key)]
        out[f"{key}_range"] = [min(vals), max(vals)] if vals else None
        if vals and (max(vals) - min(vals)) > 0.05 * max(vals):
            out["clock_changed"] = True
            out["reasons"].append(f"{key.split('_')[0].upper()} clock moved between {min(vals)} and {max(vals)} MHz")
    return out
