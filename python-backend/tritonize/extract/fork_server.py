"""Fork server for this package's child processes: `python -P -m tritonize.extract.fork_server --sock-fd N`.

Recording the user's program and the behaviour check of an Apply each run in a fresh interpreter
(runner.run_child), and each paid 2-4 s of `import torch` before doing anything: an Apply starts
three of them. This process imports torch once, then forks one child per request; the child is
what `python -m MODULE ARGS...` would be, with torch already in sys.modules: its own session,
environment, folder, sys.path (as `-m` and PYTHONPATH would build it), argv, stdio, exit status and
interpreter exit (atexit handlers, flushed streams).

Why not multiprocessing's forkserver: it starts with the parent's environment (a child's
PYTHONHASHSEED cannot change after start-up) and imports the parent's `__main__` into every child.

Trust: this process is ours and runs nothing of the user's or a candidate's; a child gets none of
its descriptors. CUDA is never touched here (the children may use it after the fork). Requests
come over an AF_UNIX SOCK_SEQPACKET socket, one at a time, as JSON with three fds [stdout, stderr,
exit-status write end]; the answer is {"pid": N}; when the child ends its exit code (Popen's
convention) is written to the status fd. The parent side is judge/zygote.Zygote.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import traceback

from ..worker.zygote import serve  # the same fork loop as the CPU workers' fork server

_OWN_PATH: set[str] = set()  # this server's PYTHONPATH entries (absolute)


def _child(req: dict, fds: list[int]) -> int:
    out_fd, err_fd = fds
    os.setsid()  # the parent kills the child's group on a timeout, as it would a started process
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor
    env = {str(k): str(v) for k, v in dict(req["env"]).items()}
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(req["cwd"]))
    import tempfile

    tempfile.tempdir = None  # TMPDIR is the child's
    # sys.path as `python -m` builds it: the working folder, PYTHONPATH's entries, then the
    # interpreter's own (this server ran with -P and its own PYTHONPATH, which the child's replaces).
    base = [p for p in sys.path if os.path.abspath(p) not in _OWN_PATH]
    sys.path[:] = [os.getcwd(), *[os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p], *base]
    module, args = str(req["module"]), [str(a) for a in req.get("args") or []]
    import runpy

    code: int = 0
    try:
        sys.argv = [module, *args]  # runpy puts the module's file first, as -m does
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            print(e.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - as the interpreter would: the traceback, status 1
        traceback.print_exc()
        code = 1
    import atexit

    atexit._run_exitfuncs()  # the interpreter's exit, which os._exit below skips
    return code


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sock-fd", type=int, required=True)
    args = ap.parse_args()
    sock = socket.socket(fileno=args.sock_fd)
    _OWN_PATH.update(os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)
    try:
        import torch  # noqa: F401 - the imports every child would pay; CUDA stays untouched
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - the parent falls back to a started process
        sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        return 3
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    return serve(sock, 3, _child)


if __name__ == "__main__":
    os._exit(main())
