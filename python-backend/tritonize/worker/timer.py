"""Interleaved, L2-flushed, device-synchronised timing of eager / Inductor / candidate.

Runs inside the candidate's worker (the brief asks for one worker, interleaved, so all three see
the same clocks and thermal state). Everything the timer calls was captured at import, before the
candidate was imported, so a candidate that patches `torch.cuda.Event` or `time.perf_counter`
does not change the numbers (and the integrity check reports the attempt).

Per call: flush L2 (not timed) -> device-wide synchronize -> host t0 -> event `pre` -> GPU sleep
-> event `start` -> fn -> event `end` -> device-wide synchronize -> host t1. The sleep keeps the
GPU busy while the host enqueues fn's kernels, so `start..end` is the kernels' GPU time and not
Python/launch overhead (which is measured separately per function as `host_ms`). The host time
around a device-wide synchronize, minus the sleep, also covers work on other streams, so a large
gap between it and the event time (compared with eager's gap) exposes work that escaped the
timed stream.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import torch

from ..common.stats import rel_sem, summarize

_perf = time.perf_counter
_sync = torch.cuda.synchronize
_Event = torch.cuda.Event
_record = torch.cuda.Event.record
_elapsed = torch.cuda.Event.elapsed_time
_sleep = getattr(torch.cuda, "_sleep", None)


class Timer:
    def __init__(self, device: str, *, budget_s: float = 10.0, min_n: int = 10, max_n: int = 2000,
                 target_rel_sem: float = 0.005, flush_bytes: int = 256 << 20):
        self.device = device
        self.cuda = device.startswith("cuda")
        self.budget_s = budget_s
        self.min_n = min_n
        self.max_n = max_n
        self.target = target_rel_sem
        self._flush = torch.empty(flush_bytes // 4, dtype=torch.int32, device=device) if self.cuda else None
        self.cycles_per_ms = self._calibrate_sleep() if self.cuda and _sleep is not None else 0.0

    @staticmethod
    def _calibrate_sleep() -> float:
        a, b = _Event(enable_timing=True), _Event(enable_timing=True)
        _sleep(1000)  # warm up the sleep kernel
        _record(a)
        _sleep(2_000_000)
        _record(b)
        _sync()
        ms = _elapsed(a, b)
        return 2_000_000 / ms if ms > 0 else 0.0

    def _one(self, fn: Callable[[], Any], sleep_ms: float = 0.0) -> tuple[float, float]:
        """(GPU ms between events, host ms minus the sleep) for one call; on CPU both are host ms."""
        if not self.cuda:
            t0 = _perf()
            fn()
            ms = (_perf() - t0) * 1e3
            return ms, ms
        self._flush.zero_()
        _sync()
        pre, start, end = _Event(enable_timing=True), _Event(enable_timing=True), _Event(enable_timing=True)
        t0 = _perf()
        _record(pre)
        if sleep_ms > 0 and self.cycles_per_ms:
            _sleep(int(sleep_ms * self.cycles_per_ms))
        _record(start)
        fn()
        _record(end)
        _sync()
        t1 = _perf()
        return _elapsed(start, end), (t1 - t0) * 1e3 - _elapsed(pre, start)

    def _host_ms(self, fn: Callable[[], Any]) -> float:
        """Host time to enqueue one call (Python, guards, launches), with the GPU kept busy."""
        samples = []
        for _ in range(3):
            if self.cuda:
                _sync()
                if self.cycles_per_ms:
                    _sleep(int(20 * self.cycles_per_ms))  # 20 ms: the call can't block on the GPU
            t0 = _perf()
            fn()
            samples.append((_perf() - t0) * 1e3)
        if self.cuda:
            _sync()
        return sorted(samples)[1]

    def run(self, fns: dict[str, Callable[[int], Any]], n_sets: int, *, prepare: Callable[[int], None] | None = None, warmup: int = 3) -> dict[str, dict[str, Any]]:
        """`fns[name](k)` runs one call on input set `k`. Interleaves names, rotating their order and
        giving each a different input set in a round, until every name's relative SEM is below
        target (after min_n) or the budget is spent."""
        names = list(fns)
        prep = prepare or (lambda k: None)
        for name in names:
            for k in range(warmup):
                prep(k % n_sets)
                fns[name](k % n_sets)
        if self.cuda:
            _sync()
        prep(0)
        host = {name: self._host_ms(lambda: fns[name](0)) for name in names}
        # Sleep long enough to cover the host's enqueue time, so none of it lands between events.
        sleep = {name: min(50.0, 2 * host[name] + 0.05) for name in names}
        ev: dict[str, list[float]] = {n: [] for n in names}
        wall: dict[str, list[float]] = {n: [] for n in names}
        t_start = _perf()
        rnd = 0
        while True:
            order = names[rnd % len(names):] + names[: rnd % len(names)]
            for j, name in enumerate(order):
                k = (rnd + j) % n_sets
                prep(k)
                e, w = self._one(lambda: fns[name](k), sleep[name])
                ev[name].append(e)
                wall[name].append(w)
            rnd += 1
            n = rnd
            if n >= self.max_n:
                break
            if n >= self.min_n and all(rel_sem(ev[x]) < self.target for x in names):
                break
            if _perf() - t_start > self.budget_s and n >= 3:
                break
        return {name: {"event": summarize(ev[name]), "wall": summarize(wall[name]),
                       "gap_ms": summarize([w - e for w, e in zip(wall[name], ev[name])])["median_ms"],
                       "host_ms": host[name],
                       "samples_ms": ev[name][:4000]}
                for name in names}
