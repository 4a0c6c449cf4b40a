"""Warm worker pool: processes that have already imported torch and triton wait for a job.

Each worker still runs exactly one job and is then thrown away (a replacement starts in the
background), so the isolation is the same as a cold start; only the start-up cost is hidden.

On a GPU the replacement starts when the job's worker is killed, not when it is taken: each CUDA
process holds ~0.3-0.6 GB of host memory, and two replacements starting during a verify put the
64 MB problem's peak at 2.93 GB against issue 10's 2.12 GB (session 19, H200). CPU workers fork
from a zygote in a fraction of a second and stay as they were.
"""

from __future__ import annotations

import threading
from collections import deque

from .process import Worker


class WorkerPool:
    def __init__(self, device: str, size: int = 2, python: str | None = None, env: dict[str, str] | None = None):
        """`env` adds to each worker's environment, e.g. CUDA_VISIBLE_DEVICES to pin a GPU."""
        if device.startswith("cuda"):  # idle workers start Triton before their job (worker/warmup.py)
            env = {**(env or {}), "TRITONIZE_WARM_TRITON": "1"}
        self.device, self.size, self.python, self.env = device, size, python, env
        self._idle: deque[Worker] = deque()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._idle.append(Worker(device, python, env))

    def acquire(self) -> Worker:
        later = self.device.startswith("cuda")
        with self._lock:
            worker = self._idle.popleft() if self._idle else None
            if not self._closed and not later:
                self._idle.append(Worker(self.device, self.python, self.env))
        if worker is None or worker.proc.poll() is not None:
            worker = Worker(self.device, self.python, self.env)
        if later:
            worker.on_kill = self._refill
        return worker

    def _refill(self) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.size:
                self._idle.append(Worker(self.device, self.python, self.env))

    def wait_warm(self, timeout: float) -> None:
        """Until every idle worker has finished starting (benchmarks measure a warm pool)."""
        with self._lock:
            idle = list(self._idle)
        for w in idle:
            w.wait_ready(timeout=timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            while self._idle:
                self._idle.popleft().kill()
