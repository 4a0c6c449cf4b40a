"""The verify report being built: verdict (set once), summary, diagnostics, phase times."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import __version__

VERDICTS = ("correct", "incorrect", "rejected", "compile_error", "runtime_error", "timeout")


class Report:
    def __init__(self, problem: Path, candidate: Path, device: str):
        self.r: dict[str, Any] = {
            "schema": 1, "verdict": None, "summary": "", "problem": str(problem), "candidate": str(candidate),
            "device": {"type": "cuda" if device.startswith("cuda") else "cpu", "name": None,
                       "interpreter": not device.startswith("cuda"), "capability": None},
            "diagnostics": [], "elapsed_s": None, "versions": {"tritonize": __version__}, "phases_s": {},
        }
        self._t = time.monotonic()

    def mark(self, phase: str) -> None:
        """Wall time since the previous mark: where a verify spends its time (harness overhead)."""
        now = time.monotonic()
        self.r["phases_s"][phase] = round(now - self._t, 3)
        self._t = now

    def diag(self, line: int, message: str, rule: str, severity: str = "error", file: str = "candidate") -> None:
        self.r["diagnostics"].append({"file": file, "line": int(line or 0), "message": message, "rule": rule,
                                      "severity": severity})

    def end(self, verdict: str, summary: str) -> dict[str, Any]:
        assert verdict in VERDICTS
        if self.r["verdict"] is None:
            self.r["verdict"], self.r["summary"] = verdict, summary
        return self.r
