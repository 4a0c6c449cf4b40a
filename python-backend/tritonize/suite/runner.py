"""`tritonize suite`: every problem of a directory against the candidate with the same file name.

Scheduling (local): one lane per visible GPU (each lane's workers see only their GPU through
CUDA_VISIBLE_DEVICES). Verifications are packed onto a GPU while their estimated memory fits; a
benchmark (the timed phase after a `correct` verify) has its GPU alone, so no other kernel shares
the SMs or memory bandwidth while it is timed. On the CPU, `jobs` verifications run side by side
(default 1).
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

# Per-process CUDA context and allocator slack, and how many copies of one input set + outputs a
# verification holds at its peak (reference at its dtype and in float64, candidate, expected).
_CONTEXT_BYTES = 1 << 30
_FOOTPRINT_COPIES = 10


class SuiteUsageError(Exception):
    pass


@dataclass
class Pair:
    name: str
    problem: Path
    candidate: Path | None


def discover(problems_dir: Path, candidates_dir: Path, only: list[str] | None = None) -> list[Pair]:
    if not problems_dir.is_dir():
        raise SuiteUsageError(f"{problems_dir} is not a directory")
    if not candidates_dir.is_dir():
        raise SuiteUsageError(f"{candidates_dir} is not a directory")
    pairs = []
    for p in sorted(problems_dir.glob("*.py")):
        if p.name.startswith("_"):
            continue
        if only and p.stem not in only and p.name not in only:
            continue
        c = candidates_dir / p.name
        pairs.append(Pair(p.stem, p.resolve(), c.resolve() if c.is_file() else None))
    if not pairs:
        raise SuiteUsageError(f"no problem files (*.py) in {problems_dir}" + (f" matching {only}" if only else ""))
    return pairs


def row_from_report(name: str, report: dict[str, Any]) -> dict[str, Any]:
    t = report.get("timings") or {}

    def ms(key: str) -> float | None:
        return (t.get(key) or {}).get("median_ms")

    diags = [{k: d.get(k) for k in ("file", "line", "rule", "severity", "message")} for d in report.get("diagnostics") or []]
    return {
        "name": name, "verdict": report.get("verdict"), "summary": report.get("summary"),
        "elapsed_s": report.get("elapsed_s"), "candidate_ms": ms("candidate"), "eager_ms": ms("eager"),
        "inductor_ms": ms("inductor"), "speedup_vs_eager": t.get("speedup_vs_eager"),
        "speedup_vs_inductor": t.get("speedup_vs_inductor"), "timing_meaningful": t.get("meaningful"),
        "timing_flags": [f.get("rule") for f in t.get("flags") or []],
        # What a `correct` verdict carries (shape_restricted, lower_precision, ...): a table that
        # drops them compares a kernel verified at one size, or in lower precision, as an equal.
        "flags": [f.get("rule") for f in (report.get("correctness") or {}).get("flags") or []],
        "diagnostics": diags[:10], "reduced_sizes": report.get("reduced_sizes"),
        "device": (report.get("device") or {}).get("name"),
    }


def error_row(name: str, verdict: str, message: str, elapsed: float = 0.0) -> dict[str, Any]:
    """A row for a problem that produced no verify report (no candidate, broken problem, cancelled)."""
    return {"name": name, "verdict": verdict, "summary": message, "elapsed_s": round(elapsed, 3), "candidate_ms": None,
            "eager_ms": None, "inductor_ms": None, "speedup_vs_eager": None, "speedup_vs_inductor": None,
            "timing_meaningful": None, "timing_flags": [], "flags": [], "diagnostics": [], "reduced_sizes": None, "device": None}


def verify_one(name: str, problem: Path, candidate: Path, device: str, timeout: float, benchmark: bool,
               options: dict[str, Any], pool: Any = None,
               timed_gate: Callable[[], Any] | None = None) -> dict[str, Any]:
    """One problem, through the same sandboxed worker flow as `tritonize verify` (used by the
    local lanes and by each Ray task)."""
    from ..judge.run import Cancelled, ProblemError, verify

    t0 = time.monotonic()
    try:
        report = verify(problem, candidate, device=device, timeout=timeout, benchmark=benchmark,
                        options=dict(options), pool=pool, timed_gate=timed_gate)
    except ProblemError as exc:
        return error_row(name, "problem_error", exc.message, time.monotonic() - t0)
    except Cancelled:
        return error_row(name, "cancelled", "cancelled", time.monotonic() - t0)
    return row_from_report(name, report)


class _Lane:
    """One device: a memory budget that verifications share, and a timed phase that has it alone.

    A verification holds a share (its estimated memory) while it runs; when it reaches its
    benchmark it gives the share back and waits until the lane is empty. Waiting timed phases keep
    new verifications from starting (else a steady stream of them would starve the benchmarks)."""

    def __init__(self, label: str, env: dict[str, str], capacity: int | None):
        self.label, self.env, self.capacity = label, env, capacity
        self.used = 0
        self.timed_waiting = 0
        self.cond = threading.Condition()

    def acquire(self, need: int | None) -> int:
        with self.cond:
            if self.capacity is None:  # CPU: the executor's size bounds the parallelism
                return 0
            take = self.capacity if need is None else min(self.capacity, need)
            self.cond.wait_for(lambda: self.timed_waiting == 0 and self.used + take <= self.capacity)
            self.used += take
            return take

    def release(self, take: int) -> None:
        with self.cond:
            self.used -= take
            self.cond.notify_all()

    @contextlib.contextmanager
    def timed(self, held: list[int]) -> Iterator[None]:
        """The lane alone; `held[0]`, the caller's share, is given back first (and zeroed)."""
        if self.capacity is None:
            yield
            return
        with self.cond:
            self.used -= held[0]
            held[0] = 0
            self.timed_waiting += 1
            self.cond.notify_all()
            try:
                self.cond.wait_for(lambda: self.used == 0)
                self.used = self.capacity
            finally:
                self.timed_waiting -= 1
        try:
            yield
        finally:
            with self.cond:
                self.used = 0
                self.cond.notify_all()


def _gpu_lanes() -> list[_Lane]:
    import torch

    lanes = []
    for i in range(torch.cuda.device_count()):
        total = torch.cuda.get_device_properties(i).total_memory
        lanes.append(_Lane(f"cuda:{i}", {"CUDA_VISIBLE_DEVICES": str(i)}, int(total * 0.85)))
    return lanes


def run_local(pairs: list[Pair], *, device: str, timeout: float, benchmark: bool, options: dict[str, Any],
              jobs: int = 1, on_row: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    from ..judge.pool import WorkerPool
    from ..problem.sizes import footprint

    cuda = device.startswith("cuda")
    lanes = _gpu_lanes() if cuda else [_Lane("cpu", {}, None)]
    if cuda and not lanes:
        raise SuiteUsageError("--device cuda, but no CUDA GPU is visible")
    todo = [p for p in pairs if p.candidate is not None]
    rows: dict[str, dict[str, Any]] = {}
    for p in pairs:
        if p.candidate is None:
            rows[p.name] = error_row(p.name, "missing", f"no candidate named {p.problem.name}")
            if on_row:
                on_row(rows[p.name])
    # Memory need per problem, for packing verifications (a benchmark takes the GPU whole anyway).
    needs: dict[str, int | None] = {}
    if cuda:
        with ThreadPoolExecutor(max_workers=4) as ex:
            for p, fp in zip(todo, ex.map(lambda p: footprint(str(p.problem)), todo)):
                needs[p.name] = None if fp is None else 2 * _CONTEXT_BYTES + _FOOTPRINT_COPIES * fp
    # Side by side on one GPU: 8 verifications, or 4 when they also benchmark (each benchmark waits
    # for the lane to empty, so more would mostly wait, holding their workers' memory).
    per_lane = max(1, jobs) if not cuda else (4 if benchmark else 8)
    # Warm workers: a verification uses one for the reference and one for the candidate.
    pools = {lane.label: WorkerPool(device, size=min(8, 2 * per_lane), env=lane.env or None) for lane in lanes}
    lock = threading.Lock()
    queue = list(todo)

    def worker(lane: _Lane) -> None:
        while True:
            with lock:
                if not queue:
                    return
                p = queue.pop(0)
            held = [lane.acquire(needs.get(p.name))]
            try:
                row = verify_one(p.name, p.problem, p.candidate, device, timeout, benchmark,
                                 {**options, "reference_cache": None}, pool=pools[lane.label],
                                 timed_gate=lambda: lane.timed(held))
            except Exception as exc:  # a verifier bug must not lose the rest of the suite
                row = error_row(p.name, "error", f"{type(exc).__name__}: {exc}")
            finally:
                lane.release(held[0])
            row["lane"] = lane.label
            with lock:
                rows[p.name] = row
            if on_row:
                on_row(row)

    try:
        threads = [threading.Thread(target=worker, args=(lane,), daemon=True) for lane in lanes for _ in range(per_lane)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for pool in pools.values():
            pool.close()
    return [rows[p.name] for p in pairs]
