"""Code lenses: "Verify" / "Benchmark" above `class ModelNew` and each `@triton.jit`, plus the last
result for that document (e.g. `correct · 1.84x vs Inductor`). Commands are registered by the
VS Code side; the result lens has no command (VS Code then shows it as plain text)."""

from __future__ import annotations

import math
import re
from typing import Any, TypedDict

VERIFY_COMMAND = "tritonize.verifyCandidate"
BENCHMARK_COMMAND = "tritonize.benchmarkCandidate"

_ANCHOR = re.compile(r"^[ \t]*(?:class[ \t]+ModelNew\b|@triton\.jit\b)")


class Command(TypedDict):
    title: str
    command: str
    arguments: list[Any]


class CodeLens(TypedDict):
    range: dict
    command: Command


def anchor_lines(text: str) -> list[int]:
    """0-based lines that get lenses. Regex, not ast: it must work on half-typed code."""
    return [i for i, line in enumerate(text.splitlines()) if _ANCHOR.match(line)]


def result_title(report: dict[str, Any]) -> str:
    verdict = str(report.get("verdict", "unknown"))
    if verdict == "correct":
        timings = report.get("timings") or {}
        for key, label in (("speedup_vs_inductor", "Inductor"), ("speedup_vs_eager", "eager")):
            value = timings.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                note = "" if timings.get("meaningful", True) else " (interpreter)"
                return f"correct · {value:.2f}x vs {label}{note}"
        return "correct"
    if verdict == "incorrect":
        err = _worst_abs_err(report)
        if err is not None:
            return f"incorrect · max abs err {err:.1e}"
    summary = str(report.get("summary") or "").strip()
    if summary:
        if len(summary) > 80:
            summary = summary[:77] + "..."
        return f"{verdict.replace('_', ' ')} · {summary}"
    return verdict.replace("_", " ")


def _worst_abs_err(report: dict[str, Any]) -> float | None:
    worst = None
    for trial in (report.get("correctness") or {}).get("trials") or []:
        for out in trial.get("outputs") or []:
            err = out.get("max_abs_err")
            if not out.get("ok", True) and isinstance(err, (int, float)) and math.isfinite(err):
                worst = err if worst is None else max(worst, err)
    return worst


def lenses(uri: str, text: str, last_report: dict[str, Any] | None, stale: bool = False) -> list[CodeLens]:
    out: list[CodeLens] = []
    for line in anchor_lines(text):
        rng = {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}
        out.append({"range": rng, "command": {"title": "Verify", "command": VERIFY_COMMAND, "arguments": [uri]}})
        out.append({"range": rng, "command": {"title": "Benchmark", "command": BENCHMARK_COMMAND, "arguments": [uri]}})
        if last_report is not None:
            title = result_title(last_report) + (" (edited since)" if stale else "")
            out.append({"range": rng, "command": {"title": title, "command": "", "arguments": []}})
    return out
