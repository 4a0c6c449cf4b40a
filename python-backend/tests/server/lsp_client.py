"""A minimal LSP client over real pipes, as the extension would talk to `python -m tritonize.server`."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

BACKEND = Path(__file__).resolve().parents[2]
PYTHON = os.environ.get("TRITONIZE_TEST_PYTHON", sys.executable)


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class LspClient:
    def __init__(self, args: list[str] | None = None, env: dict[str, str] | None = None, cwd: str | None = None):
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(BACKEND) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [PYTHON, *(args or ["-m", "tritonize.server"])], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=full_env, cwd=cwd or str(BACKEND))
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.responses: dict[Any, dict[str, Any]] = {}
        self.all_responses: list[dict[str, Any]] = []  # to check that each id is answered once
        self.garbage: list[bytes] = []  # anything on stdout that is not a well-formed frame
        self.stderr_lines: list[str] = []
        self._cond = threading.Condition()
        self._next_id = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- transport ----------------------------------------------------------------------------
    def _read_stdout(self) -> None:
        out = self.proc.stdout
        while True:
            header = out.readline()
            if not header:
                break
            if not header.startswith(b"Content-Length:"):
                self.garbage.append(header)
                continue
            length = int(header.split(b":")[1])
            blank = out.readline()
            if blank != b"\r\n":
                self.garbage.append(blank)
            body = out.read(length)
            try:
                msg = json.loads(body)
            except ValueError:
                self.garbage.append(body)
                continue
            with self._cond:
                if "method" in msg and "id" not in msg:
                    self.notifications.append(msg)
                elif "method" not in msg:
                    self.responses[msg.get("id")] = msg
                    self.all_responses.append(msg)
                else:
                    self.notifications.append(msg)  # server-to-client request
                self._cond.notify_all()

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode(errors="replace"))

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        message.setdefault("jsonrpc", "2.0")
        self.send_raw(frame(message))

    # -- requests -----------------------------------------------------------------------------
    def request_async(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        return self._next_id

    def wait_response(self, msg_id: Any, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to {msg_id} within {timeout} s; stderr:\n{self.stderr()}")
                self._cond.wait(left)
            return self.responses[msg_id]

    def request(self, method: str, params: Any = None, timeout: float = 60.0) -> dict[str, Any]:
        return self.wait_response(self.request_async(method, params), timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def wait_notification(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for msg in self.notifications:
                    if pred(msg):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"notification not seen within {timeout} s; stderr:\n{self.stderr()}")
                self._cond.wait(left)

    def stderr(self) -> str:
        return "".join(self.stderr_lines[-60:])

    def initialize(self, root: Path | None = None, **init_options: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"processId": os.getpid(), "capabilities": {"window": {"workDoneProgress": True}},
                                  "rootUri": root.as_uri() if root else None}
        if init_options:
            params["initializationOptions"] = init_options
        response = self.request("initialize", params)
        self.notify("initialized", {})
        return response

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        self.proc.wait(timeout=10)
