"""Diagnostics: static warnings for open Triton files and the evidence from the last verdict.

Each URI has two layers, published together: `static` (recomputed on open/change) and `verdict`
(from the last report; dropped when the text changes because its line numbers would be stale).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable, TypedDict

log = logging.getLogger("tritonize.server")

SOURCE = "tritonize"
_SEVERITY = {"error": 1, "warning": 2, "info": 3, "information": 3, "hint": 4}
TRITON_JIT = re.compile(r"^\s*@triton\.jit\b", re.MULTILINE)


class Position(TypedDict):
    line: int
    character: int


class Range(TypedDict):
    start: Position
    end: Position


class LspDiagnostic(TypedDict, total=False):
    range: Range
    severity: int
    source: str
    code: str
    message: str


def to_lsp(diag: dict[str, Any], text: str | None) -> LspDiagnostic:
    """Report/static-rule diagnostic (1-based line, 0 = whole file) -> LSP (0-based)."""
    try:
        line = int(diag.get("line") or 0)
    except (TypeError, ValueError):
        line = 0
    lines = text.splitlines() if text is not None else None
    if line <= 0:
        start, end_line = 0, 0  # whole file: anchor on the first line
    else:
        start = end_line = line - 1
        if lines is not None and lines:
            start = end_line = min(start, len(lines) - 1)
    if lines is not None and 0 <= end_line < len(lines):
        content = lines[end_line]
        first = len(content) - len(content.lstrip())
        end_char = len(content)
    else:
        first, end_char = 0, 1000  # clients clamp to the line's end
    rng: Range = {"start": {"line": start, "character": first}, "end": {"line": end_line, "character": end_char}}
    exact = _exact_range(diag, line)
    if exact is not None:
        rng = exact
    out: LspDiagnostic = {
        "range": rng,
        "severity": _SEVERITY.get(str(diag.get("severity", "error")).lower(), 1),
        "source": SOURCE,
        "message": str(diag.get("message", "")),
    }
    if diag.get("rule"):
        out["code"] = str(diag["rule"])
    return out


def _exact_range(diag: dict[str, Any], line: int) -> Range | None:
    """Static rules give `col`/`end_line`/`end_col` (0-based columns): use them when consistent."""
    col, end_line, end_col = diag.get("col"), diag.get("end_line"), diag.get("end_col")
    if line <= 0 or not all(isinstance(v, int) and not isinstance(v, bool) for v in (col, end_line, end_col)):
        return None
    if end_line < line or (end_line == line and end_col < col) or col < 0:
        return None
    return {"start": {"line": line - 1, "character": col}, "end": {"line": end_line - 1, "character": end_col}}


def load_static_checker() -> Callable[[str], list[dict]] | None:
    try:
        from tritonize.judge.static_rules import check_source
    except Exception as exc:  # not written yet, or broken: static warnings are optional
        log.warning("static rules unavailable (%s): no static diagnostics", exc)
        return None
    return check_source


class DiagnosticStore:
    def __init__(self, publish: Callable[[str, list[LspDiagnostic]], None]):
        self._publish = publish
        self._static: dict[str, list[LspDiagnostic]] = {}
        self._verdict: dict[str, list[LspDiagnostic]] = {}
        self._lock = threading.Lock()

    def set_static(self, uri: str, diags: list[LspDiagnostic]) -> None:
        with self._lock:
            self._static[uri] = diags
        self._flush(uri)

    def set_verdict(self, uri: str, diags: list[LspDiagnostic]) -> None:
        with self._lock:
            self._verdict[uri] = diags
        self._flush(uri)

    def text_changed(self, uri: str, static: list[LspDiagnostic]) -> None:
        with self._lock:
            self._static[uri] = static
            self._verdict.pop(uri, None)
        self._flush(uri)

    def closed(self, uri: str) -> None:
        # Verdict evidence outlives the editor tab (the file is still wrong); static goes.
        with self._lock:
            self._static.pop(uri, None)
        self._flush(uri)

    def current(self, uri: str) -> list[LspDiagnostic]:
        with self._lock:
            merged = list(self._static.get(uri, [])) + list(self._verdict.get(uri, []))
        # A report repeats the static rules' findings; show each finding once.
        seen: set[tuple] = set()
        out = []
        for d in merged:
            key = (d["range"]["start"]["line"], d.get("code"), d["message"])
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out

    def _flush(self, uri: str) -> None:
        self._publish(uri, self.current(uri))


def static_diagnostics(text: str, checker: Callable[[str], list[dict]] | None) -> list[LspDiagnostic]:
    if checker is None or not TRITON_JIT.search(text):
        return []
    try:
        found = checker(text)
    except SyntaxError:
        return []  # half-typed code: the Python extension already reports syntax
    except Exception as exc:
        log.warning("static rules failed: %s", exc)
        return []
    return [to_lsp(d, text) for d in found if isinstance(d, dict)]
