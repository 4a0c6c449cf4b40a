"""The judge's side of the CPU workers' fork server (worker/zygote.py).

One zygote per Python interpreter and worker environment, started on first use. A worker forked
from it is the same as a started one (own session, scratch, environment, sandbox, one job), minus
the 2-7 s of imports. CUDA workers too: the zygote imports torch and Triton but never initialises
CUDA (it refuses to serve if an import did), and each child starts its own context after the fork.
Forked, the three CUDA processes of a verify (judge, reference, candidate) share the imports' pages:
host memory at 64 MB of input went from 2.36-2.38 GB to 2.08-2.13 GB (H100, session 22, side by
side). TRITONIZE_NO_ZYGOTE=1 turns forking off.

The zygote's lifetime is the judge's: it exits when its socket closes (the judge exited or was
killed; the kernel closes the fd), and its workers die with it (PR_SET_PDEATHSIG in each).
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
from typing import Any

_READY_TIMEOUT_S = 300.0  # a cold torch import on a loaded two-core machine takes tens of seconds


class ZygoteError(Exception):
    pass


class ForkedProcess:
    """The part of subprocess.Popen the judge uses, for a worker the zygote forked: the zygote
    reaps it and writes its exit code (Popen's convention) to a pipe that only the judge reads."""

    def __init__(self, pid: int, status_fd: int):
        self.pid, self._fd = pid, status_fd
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def _collect(self, timeout: float | None) -> None:
        with self._lock:
            if self.returncode is not None:
                return
            if not select.select([self._fd], [], [], timeout)[0]:
                return
            data = os.read(self._fd, 64)
            os.close(self._fd)
            # No code: the zygote itself is gone, and its workers were killed with it.
            self.returncode = int(data) if data.strip() else -9

    def poll(self) -> int | None:
        self._collect(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._collect(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
        return self.returncode


class Zygote:
    """The parent's side of a fork server: the CPU workers' (worker/zygote.py) or, with
    `module="tritonize.extract.fork_server"`, the one for Apply's children."""

    def __init__(self, python: str, env: dict[str, str], module: str = "tritonize.worker.zygote"):
        self._lock = threading.Lock()
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log_fd, self.log_path = tempfile.mkstemp(prefix="tritonize-zygote-", suffix=".log")
        with os.fdopen(log_fd, "wb") as log:
            self.proc = subprocess.Popen(
                [python, "-P", "-m", module, "--sock-fd", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, start_new_session=True, cwd=tempfile.gettempdir())
        theirs.close()
        self._ready = False
        self._children: list[ForkedProcess] = []

    @property
    def busy(self) -> bool:
        """Whether a worker it forked is still alive."""
        self._children = [c for c in self._children if c.poll() is None]
        return bool(self._children)

    def _recv(self, timeout: float) -> dict[str, Any]:
        if not select.select([self._sock], [], [], timeout)[0]:
            raise ZygoteError(f"the zygote did not answer within {timeout:.0f} s")
        data = self._sock.recv(1 << 16)
        if not data:
            raise ZygoteError(f"the zygote exited ({self._log_tail()})")
        return json.loads(data)

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-500:].decode("utf-8", "replace").strip() or "no output"
        except OSError:
            return "no log"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, in_fd: int, out_fd: int, log_fd: int, env: dict[str, str], cwd: str, scratch: str) -> ForkedProcess:
        """A worker reading `in_fd`, writing `out_fd`, logging to `log_fd` (the caller keeps and
        closes its copies), with exactly `env` as its environment."""
        return self.request({"env": env, "cwd": cwd, "scratch": scratch, "protect": [os.getpid()]},
                            [in_fd, out_fd, log_fd])

    def request(self, req: dict[str, Any], fds: list[int]) -> ForkedProcess:
        """A child forked for `req`, given `fds` (the caller keeps and closes its copies) and, last,
        the write end of its exit-status pipe."""
        with self._lock:
            try:
                if not self._ready:
                    msg = self._recv(_READY_TIMEOUT_S)
                    if "ready" not in msg:
                        raise ZygoteError(f"the zygote failed to start: {msg.get('error')}")
                    self._ready = True
                status_r, status_w = os.pipe()
                try:
                    socket.send_fds(self._sock, [json.dumps(req).encode()], [*fds, status_w])
                finally:
                    os.close(status_w)
                msg = self._recv(60.0)
            except (OSError, ValueError) as exc:
                raise ZygoteError(f"the zygote failed: {exc}") from exc
            if "pid" not in msg:
                os.close(status_r)
                raise ZygoteError(f"the zygote could not fork: {msg.get('error')}")
            child = ForkedProcess(int(msg["pid"]), status_r)
            self._children.append(child)
            return child

    def close(self) -> None:
        self._sock.close()  # the zygote sees EOF and exits; its workers die with it
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


_ZYGOTES: dict[tuple[str, str, tuple[tuple[str, str], ...]], Zygote] = {}
_LOCK = threading.Lock()
# Variables that can change what importing torch/Triton does; every other one (HOME, TMPDIR,
# PYTEST_CURRENT_TEST, ...) is the child's own after the fork, so it must not start a new zygote.
_IMPORT_ENV = ("PYTHON", "PYTORCH", "TORCH", "TRITON", "OMP_", "MKL", "OPENBLAS", "KMP_", "GOMP", "LD_", "CUDA", "NVIDIA",
               "HIP", "ROCM", "PATH")
_MAX_ZYGOTES = 3


def for_worker(device: str, python: str | None, env: dict[str, str]) -> Zygote | None:
    """The zygote for workers of this interpreter, device and import-relevant environment (started
    now if needed), or None where workers start as their own process."""
    return shared("tritonize.worker.zygote", python or sys.executable, env)


def shared(module: str, python: str, env: dict[str, str]) -> Zygote | None:
    """The fork server `module` for this interpreter and import-relevant environment, started on
    first use and kept; None off Linux or with TRITONIZE_NO_ZYGOTE=1."""
    if not sys.platform.startswith("linux") or os.environ.get("TRITONIZE_NO_ZYGOTE") == "1":
        return None
    key = (module, python, tuple(sorted((k, v) for k, v in env.items() if k.startswith(_IMPORT_ENV))))
    with _LOCK:
        z = _ZYGOTES.pop(key, None)
        if z is None or not z.alive:
            if z is not None:
                z.close()  # it died (a child may kill it): its socket and log go with it
            z = Zygote(python, env, module=module)
            # The oldest idle ones go (a zygote's workers die with it, so only ones with none alive).
            for old_key in [k for k, old in _ZYGOTES.items() if not old.busy][:max(0, len(_ZYGOTES) + 1 - _MAX_ZYGOTES)]:
                _ZYGOTES.pop(old_key).close()
        _ZYGOTES[key] = z  # most recently used last
        return z


def shutdown() -> None:
    with _LOCK:
        for z in _ZYGOTES.values():
            z.close()
        _ZYGOTES.clear()
