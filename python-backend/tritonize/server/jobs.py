"""One job queue (and one thread) per device.

Why: two jobs on one GPU at once corrupt each other's timings, so a device runs its jobs strictly
one after another while other devices proceed in parallel. CPU mode is a single queue. The
protocol thread only enqueues, so it stays responsive (cancel, didChange, codeLens) while jobs run.
"""

from __future__ import annotations

import collections
import json
import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("tritonize.server")


@dataclass
class Job:
    name: str
    run: Callable[[], None]
    cancel: threading.Event = field(default_factory=threading.Event)


class DeviceQueue:
    def __init__(self, device: str):
        self.device = device
        self._q: queue.Queue[Job | None] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        # (name, start, end) in wall-clock seconds of the jobs that ran: per-device busy time for
        # bench/two_gpu.py (also logged as `job-timing {json}` lines on stderr) and for tests.
        self.history: collections.deque[tuple[str, float, float]] = collections.deque(maxlen=1000)
        self._thread = threading.Thread(target=self._loop, name=f"jobs-{device}", daemon=True)
        self._thread.start()

    @property
    def load(self) -> int:
        """Queued plus running jobs: used to pick the least busy GPU for `device: "cuda"`."""
        with self._lock:
            return self._pending

    def submit(self, job: Job) -> None:
        with self._lock:
            self._pending += 1
        self._q.put(job)

    def stop(self) -> None:
        self._q.put(None)

    def _loop(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            try:
                if job.cancel.is_set():
                    continue  # cancelled while waiting: already answered -32800
                start = time.time()
                try:
                    job.run()
                finally:
                    end = time.time()
                    self.history.append((job.name, start, end))
                    log.info("job-timing %s", json.dumps({"device": self.device, "job": job.name,
                                                          "start": round(start, 4), "end": round(end, 4)}))
            except Exception:  # job wrappers answer their own errors; this is a last resort
                log.error("job %s crashed:\n%s", job.name, traceback.format_exc())
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


class JobQueues:
    """Device name -> queue, created on first use."""

    def __init__(self) -> None:
        self._queues: dict[str, DeviceQueue] = {}
        self._lock = threading.Lock()

    def for_device(self, device: str) -> DeviceQueue:
        with self._lock:
            q = self._queues.get(device)
            if q is None:
                q = self._queues[device] = DeviceQueue(device)
            return q

    def least_loaded(self, devices: list[str]) -> str:
        return min(devices, key=lambda d: (self.for_device(d).load, devices.index(d)))

    def wait_idle(self, timeout: float) -> bool:
        """After a cancel: lets jobs unwind (the verifier kills its own workers) before exit."""
        import time

        deadline = time.monotonic() + timeout
        with self._lock:
            queues = list(self._queues.values())
        return all(q.wait_idle(max(0.0, deadline - time.monotonic())) for q in queues)

    def stop(self) -> None:
        with self._lock:
            for q in self._queues.values():
                q.stop()
