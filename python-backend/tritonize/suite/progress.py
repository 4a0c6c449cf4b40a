"""A progress bar on stderr: redrawn in place on a terminal, one line per problem otherwise (logs, CI)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True):
        self.total, self.done, self.stream, self.enabled = total, 0, stream or sys.stderr, enabled
        self.tty = self.stream.isatty()
        self.t0 = time.monotonic()
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        if enabled and self.tty:
            self._draw("")

    def _draw(self, last: str) -> None:
        width = 24
        filled = int(width * self.done / max(1, self.total))
        ok = self.counts.get("correct", 0)
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  {ok} correct  "
                f"{time.monotonic() - self.t0:.0f}s  {last}")
        self.stream.write("\r\x1b[2K" + line[:160])
        self.stream.flush()

    def update(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with self.lock:
            self.done += 1
            self.counts[row["verdict"]] = self.counts.get(row["verdict"], 0) + 1
            last = f"{row['name']}: {row['verdict']} ({row.get('elapsed_s') or 0:.1f}s)"
            if self.tty:
                self._draw(last)
            else:
                self.stream.write(f"[{self.done}/{self.total}] {last}\n")
                self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
