"""Will this problem fit? An estimate of device and host memory before any trial runs, a clear
message when it cannot fit, and per-device reservations so parallel verifies on one GPU never
oversubscribe it.

The estimate comes from the reference worker: the problem run on the meta device (shapes and
dtypes only, no memory), or, when it does not run there, from the first real input set. Terms
(bytes; X inputs, Y outputs, P parameters; "64" marks the float64 copies):
- reference: P + P64 + X (pristine) + Y + Y64 (the truth, kept for the comparison), and on top of
  that the larger of its transients (X for its run's copy + Y of activations; X64 + Y64 for the
  float64 run, which the conditioning probe's runs also stay within: worker/conditioning.py) and
  of what it holds while the candidate runs (X, the candidate's copy on CUDA, + a float32
  magnitude per output, Y)
- candidate: P + NaN-filled free memory before each trial (3 Y, or Y above 1 GB of outputs,
  worker/candidate_job.py) + Y of activations
- judge: the comparison's working set (bounded, see trial_compare: at most 8 GB on a GPU) + on
  the CPU the copies it is sent
- per process: a CUDA context, or the host cost of an imported torch
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..common.limits import POISON_ALL_BYTES

GB = 1 << 30
CUDA_CONTEXT = 600 << 20     # per process, device memory
TORCH_HOST = 450 << 20       # per process, host memory with torch imported (CPU build)
CUDA_HOST = 1200 << 20       # per process, host memory with CUDA libraries loaded
COMPARE_BUDGET = 256 << 20   # trial_compare's slice working set on the host
DEVICE_HEADROOM = 0.92       # usable fraction of a GPU's total memory


@dataclass
class Plan:
    device: str
    source: str                       # "meta" | "first input set" | "unknown"
    input_bytes: int = 0
    output_bytes: int = 0
    param_bytes: int = 0
    device_bytes: int = 0             # needed on the GPU (0 on the CPU)
    host_bytes: int = 0               # needed in host memory (all processes)
    device_free: int | None = None
    host_available: int | None = None
    parts: dict[str, int] = field(default_factory=dict)
    fits: bool = True
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def gb(n: int | float) -> str:
    return f"{n / GB:.1f} GB"


def host_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def estimate(device: str, est: dict[str, Any] | None, device_mem: dict[str, int] | None) -> Plan:
    cuda = device.startswith("cuda")
    if not est:
        return Plan(device, "unknown", device_free=(device_mem or {}).get("free"), host_available=host_available())
    x, y, p = int(est["input_bytes"]), int(est["output_bytes"]), int(est["param_bytes"])
    xf, yf = int(est.get("float_input_bytes", x)), int(est.get("float_output_bytes", y))
    x64 = x - xf + 2 * xf if xf else x  # float32 -> float64 doubles; other float dtypes more, taken as 2x
    y64 = y - yf + 2 * yf if yf else y
    # The transients come one at a time (run, float64 truth, conditioning's float64 runs); the
    # candidate's copy and the conditioning magnitude are made after them (docstring above).
    held = (x if cuda else 0) + y
    ref = 3 * p + x + y + y64 + max(x + y, x64 + y64, held)
    poison = 3 * y if y <= POISON_ALL_BYTES else y
    cand = p + poison + y + (0 if cuda else 2 * x)
    # On the GPU the judge compares mapped tensors in slices (judge/trial_compare.py: about five
    # float64 temporaries per element, at most 8 GB, given back after each trial).
    judge = (y + y64 + y + x) if not cuda else min(5 * y64, 8 * GB)
    plan = Plan(device, est.get("source", "meta"), x, y, p, device_free=(device_mem or {}).get("free"),
                host_available=host_available())
    if cuda:
        plan.parts = {"reference": ref, "candidate": cand, "judge": judge, "cuda contexts": 3 * CUDA_CONTEXT}
        plan.device_bytes = sum(plan.parts.values())
        plan.host_bytes = 3 * CUDA_HOST + COMPARE_BUDGET
    else:
        plan.parts = {"reference": ref, "candidate": cand, "judge": judge + COMPARE_BUDGET, "torch": 3 * TORCH_HOST}
        plan.host_bytes = sum(plan.parts.values())
    _check(plan)
    return plan


def _check(plan: Plan) -> None:
    advice = ("make the inputs smaller (the size constants get_inputs reads, e.g. batch_size), free memory "
              "held by other processes, or verify on a machine with more memory")
    if plan.device_bytes and plan.device_free is not None and plan.device_bytes > plan.device_free:
        plan.fits = False
        plan.message = (f"needs {gb(plan.device_bytes)} on the GPU, {gb(plan.device_free)} free "
                        f"(inputs {gb(plan.input_bytes)}, outputs {gb(plan.output_bytes)}, parameters "
                        f"{gb(plan.param_bytes)}; reference {gb(plan.parts['reference'])}, candidate "
                        f"{gb(plan.parts['candidate'])}, comparison {gb(plan.parts['judge'])}): {advice}")
    elif plan.host_available is not None and plan.host_bytes > plan.host_available:
        plan.fits = False
        plan.message = (f"needs {gb(plan.host_bytes)} of host memory, {gb(plan.host_available)} available "
                        f"(inputs {gb(plan.input_bytes)}, outputs {gb(plan.output_bytes)}): {advice}")


class Reservations:
    """Per-device memory bookkeeping for verifies running in parallel in one process (the server's
    queues, the suite runner). A verify reserves its plan's device bytes before its first trial
    and waits while that would exceed the device's usable memory."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._held: dict[str, dict[int, int]] = {}
        self._capacity: dict[str, int] = {}
        self._ids = 0

    def reserve(self, key: str, nbytes: int, total: int, timeout: float, cancel: threading.Event | None = None) -> int:
        """Returns a ticket for release(); raises TimeoutError when the memory did not free up in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            cap = self._capacity.setdefault(key, int(total * DEVICE_HEADROOM))
            if nbytes > cap:
                raise MemoryError(f"needs {gb(nbytes)} on the GPU, which has {gb(cap)} usable")
            held = self._held.setdefault(key, {})
            while sum(held.values()) + nbytes > cap:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"waited {timeout:.0f} s for {gb(nbytes)} of GPU memory "
                                       f"({gb(sum(held.values()))} reserved by other verifies)")
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("cancelled")
                self._lock.wait(min(left, 0.2))
            self._ids += 1
            held[self._ids] = nbytes
            return self._ids

    def release(self, key: str, ticket: int) -> None:
        with self._lock:
            self._held.get(key, {}).pop(ticket, None)
            self._lock.notify_all()

    def reserved(self, key: str) -> int:
        with self._lock:
            return sum(self._held.get(key, {}).values())


RESERVATIONS = Reservations()


def device_key(device: str, env: dict[str, str] | None) -> str:
    """The physical GPU a worker uses: its CUDA_VISIBLE_DEVICES pin, else device 0."""
    if not device.startswith("cuda"):
        return "cpu"
    pin = (env or {}).get("CUDA_VISIBLE_DEVICES") or os.environ.get("CUDA_VISIBLE_DEVICES", "")
    first = pin.split(",")[0].strip() if pin else "0"
    return f"cuda:{first or '0'}"
