"""Reference (eager / Inductor) timings, cached per problem content, device and versions.

Why: the reference does not change between candidates of one problem, and measuring it (Inductor
compilation above all) costs seconds per verify. The key holds the file's content hash, so an
edited problem never reuses old numbers; entries for a path's previous content are dropped.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BaselineKey:
    problem_sha256: str
    device: str  # device name as measured on, e.g. "NVIDIA H100 80GB HBM3" or "cpu"
    torch: str
    triton: str


def content_hash(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class BaselineCache:
    def __init__(self) -> None:
        self._entries: dict[BaselineKey, dict[str, Any]] = {}
        self._hash_of_path: dict[str, str] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def note_content(self, path: str | Path, sha: str) -> None:
        """Records the current content of a problem file, dropping entries for its old content."""
        key = str(Path(path).resolve())
        with self._lock:
            old = self._hash_of_path.get(key)
            self._hash_of_path[key] = sha
            if old is not None and old != sha:
                for k in [k for k in self._entries if k.problem_sha256 == old]:
                    del self._entries[k]

    def invalidate_path(self, path: str | Path) -> None:
        key = str(Path(path).resolve())
        with self._lock:
            old = self._hash_of_path.pop(key, None)
            if old is not None:
                for k in [k for k in self._entries if k.problem_sha256 == old]:
                    del self._entries[k]

    def get(self, key: BaselineKey) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
            return entry

    def put(self, key: BaselineKey, baseline: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = baseline

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def baseline_from_report(report: dict[str, Any]) -> dict[str, Any] | None:
    """The reference part of a bench report, or None when there is nothing trustworthy to keep."""
    timings = report.get("timings") or {}
    eager = timings.get("eager")
    if not isinstance(eager, dict) or not eager.get("median_ms"):
        return None
    # The clock travels with the numbers: a kernel-time baseline must not meet an event-time candidate.
    return {"eager": eager, "inductor": timings.get("inductor"), "clock": timings.get("clock")}
