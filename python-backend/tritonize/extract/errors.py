"""Why a selection cannot be extracted or applied: one line, with the 1-based line it is about."""

from __future__ import annotations


class ExtractError(Exception):
    def __init__(self, reason: str, line: int | None = None, why: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.why = why  # a refusal the user may override ("autograd": apply for inference only)

    def one_line(self) -> str:
        where = f" (line {self.line})" if self.line and f"line {self.line}" not in self.reason else ""
        return f"{self.reason}{where}"
