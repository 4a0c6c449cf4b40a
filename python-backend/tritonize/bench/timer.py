"""Interleaved, L2-flushed, device-synchronised timing of eager / Inductor / candidate.

Runs inside the candidate's worker (the brief asks for one worker, interleaved, so all three see
the same clocks and thermal state). Everything the timer calls was captured at import, before the
candidate was imported, so a candidate that patches `torch.cuda.Event` or `time.perf_counter`
does not change the numbers (and the integrity check reports the attempt).

Per call: flush L2 (not timed) -> device-wide synchronize -> host t0 -> start event -> fn ->
end event -> device-wide synchronize -> host t1. The event time is the primary figure; the host
time around a device-wide synchronize also covers work on other streams, so a large gap between
the two (compared with eager's gap) exposes work that escaped the timed stream.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import torch

from .stats import rel_sem, summarize

_perf = time.perf_counter
_sync = torch.cuda.synchronize
_Event = torch.cuda.Event
_record = torch.cuda.Event.record
_elapsed = torch.cuda.Event.elapsed_time


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

    def _one(self, fn: Callable[[], Any]) -> tuple[float, float, Any]:
        if not self.cuda:
            t0 = _perf()
            out = fn()
            return (_perf() - t0) * 1e3, (_perf() - t0) * 1e3, out
        self._flush.zero_()
        _sync()
        start, end = _Event(enable_timing=True), _Event(enable_timing=True)
        t0 = _perf()
        _record(start)
        out = fn()
        _record(end)
        _sync()
        t1 = _perf()
        return _elapsed(start, end), (t1 - t0) * 1e3, out

    def run(self, fns: dict[str, Callable[[int], Any]], n_sets: int, *, on_output: Callable[[str, int, Any], None] | None = None,
            warmup: int = 3) -> dict[str, dict[str, Any]]:
        """`fns[name](k)` runs one call on input set `k`. Interleaves names, rotating their order and
        giving each a different input set in a round, until every name's relative SEM is below
        target (after min_n) or the budget is spent."""
        names = list(fns)
        for name in names:
            for k in range(warmup):
                fns[name](k % n_sets)
        if self.cuda:
            _sync()
        ev: dict[str, list[float]] = {n: [] for n in names}
        wall: dict[str, list[float]] = {n: [] for n in names}
        t_start = _perf()
        rnd = 0
        while True:
            order = names[rnd % len(names):] + names[: rnd % len(names)]
            for j, name in enumerate(order):
                k = (rnd + j) % n_sets
                e, w, out = self._one(lambda: fns[name](k))
                ev[name].append(e)
                wall[name].append(w)
                if on_output is not None:
                    on_output(name, k, out)
                del out
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
                       "samples_ms": ev[name][:4000]}
                for name in names}
