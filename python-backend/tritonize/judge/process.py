"""Starting, talking to and killing one worker process (trusted parent side)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..common import channel

BACKEND_ROOT = str(Path(__file__).resolve().parents[2])  # .../python-backend
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


class WorkerDied(Exception):
    def __init__(self, message: str, returncode: int | None):
        super().__init__(message)
        self.returncode = returncode


class WorkerTimeout(Exception):
    pass


def worker_env(device: str) -> dict[str, str]:
    """The worker's environment: no secrets (a candidate could read them), the backend importable,
    and Triton's interpreter on for CPU runs."""
    env = {k: v for k, v in os.environ.items() if not any(w in k.upper() for w in _SECRET_WORDS)}
    env["PYTHONPATH"] = BACKEND_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["TRITONIZE_DEVICE"] = device
    env["PYTHONUNBUFFERED"] = "1"
    if device == "cpu":
        env["TRITON_INTERPRET"] = "1"
    else:
        env.pop("TRITON_INTERPRET", None)
    return env


class Worker:
    """One `python -m tritonize.worker` process with a private channel each way."""

    def __init__(self, device: str, python: str | None = None, env: dict[str, str] | None = None):
        self.device = device
        log_fd, self.log_path = tempfile.mkstemp(prefix="tritonize-worker-", suffix=".log")
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        with os.fdopen(log_fd, "wb") as log:
            self.proc = subprocess.Popen(
                [python or sys.executable, "-m", "tritonize.worker", "--in-fd", str(to_r), "--out-fd", str(from_w)],
                pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**worker_env(device), **(env or {})}, start_new_session=True, cwd=tempfile.gettempdir())
        os.close(to_r)
        os.close(from_w)
        self._w, self._r = to_w, from_r
        self._q: queue.Queue[Any] = queue.Queue()
        self.ready: dict[str, Any] | None = None
        self.max_raw = channel.MAX_MESSAGE  # raw tensor bytes accepted per message (the judge lowers it per step)
        # A reader thread, so a worker that stalls mid-message can still be timed out.
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        try:
            while True:
                self._q.put(channel.recv(self._r, lambda: self.max_raw))
        except Exception as exc:  # closed, or garbage a candidate wrote: both end the stream
            self._q.put(exc)

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        if self.ready is None:
            msg = self.recv(timeout)
            if msg.get("type") == "fatal":
                raise WorkerDied(msg.get("message", "worker failed to start"), None)
            self.ready = msg
        return self.ready

    def send(self, obj: Any, raw: Any = ()) -> None:
        try:
            channel.send(self._w, obj, raw)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"worker is gone ({exc})", self.proc.poll()) from exc

    def recv(self, timeout: float | None, cancel: threading.Event | None = None) -> dict[str, Any]:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 0.1 if cancel is not None else None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkerTimeout()
                step = left if step is None else min(step, left)
            try:
                item = self._q.get(timeout=step)
            except queue.Empty:
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("cancelled")
                continue
            if isinstance(item, channel.ChannelClosed):
                self._q.put(item)  # keep reporting the end
                try:
                    rc = self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:  # closed its channel but lingers: treat as dead
                    self.kill()
                    rc = self.proc.returncode
                raise WorkerDied(self.describe_exit(rc), rc)
            if isinstance(item, Exception):
                self._q.put(item)
                raise WorkerDied(f"the worker sent a malformed message ({type(item).__name__}: {str(item)[:200]})",
                                 self.proc.poll())
            if not isinstance(item, dict):
                raise WorkerDied("worker sent a malformed message", self.proc.poll())
            return item

    @staticmethod
    def describe_exit(rc: int | None) -> str:
        if rc is None:
            return "the worker closed its channel"
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = f"signal {-rc}"
            hint = {"SIGSEGV": " (segmentation fault)", "SIGABRT": " (abort)", "SIGKILL": " (killed)",
                    "SIGBUS": " (bus error)"}.get(name, "")
            return f"the worker process died from {name}{hint}"
        return f"the worker process exited with code {rc} before finishing (os._exit or sys.exit in the candidate?)"

    def log_tail(self, n: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return data[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """Ends the worker and everything it started (its own process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
