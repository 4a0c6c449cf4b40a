"""Fork server for CPU workers: `python -m tritonize.worker.zygote --sock-fd N`.

Importing torch, triton and dynamo costs a worker 2-7 s of CPU, more than a whole check of a
small kernel in the interpreter; on two cores that start-up was most of a verify. This process
pays it once, then forks one worker per request. It is trusted: it never receives a job, never
runs candidate or problem code, and holds no secret (its environment is the worker's, scrubbed by
the judge). Each child is what `python -m tritonize.worker` would be after its imports: it gets
its own session, log, channel fds, environment and scratch, closes every other descriptor, then
enters the sandbox with one thread (fork copies only the calling thread) before it says `ready`.

Protocol (AF_UNIX SOCK_SEQPACKET, one request at a time): the judge sends a JSON request with four
fds [to-worker read end, from-worker write end, log, exit-status write end]; the zygote answers
{"pid": N} (or {"error": ...}) and, when that child ends, writes its exit code (Popen's
convention: -signal for a signal) to the status fd and closes it. CUDA workers are forked too: this
process imports torch and Triton but must never initialise CUDA (a context does not survive a fork),
which it checks before saying `ready`.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import traceback
from typing import Callable


def _reap(children: dict[int, int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = children.pop(pid, None)
        if fd is not None:
            try:
                os.write(fd, str(os.waitstatus_to_exitcode(status)).encode())
            except OSError:
                pass
            os.close(fd)


def _child(req: dict, fds: list[int]) -> int:
    in_fd, out_fd, log_fd = fds
    from . import __main__ as worker_main

    return worker_main.forked_main(req, in_fd, out_fd, log_fd)


def serve(sock: socket.socket, nfds: int, child: Callable[[dict, list[int]], int]) -> int:
    """The fork loop of a fork server (this one, and extract/fork_server.py): each request is JSON
    with `nfds` descriptors, the last the write end of the child's exit-status pipe. The child gets
    the others (without the socket or its status pipe) and `child(req, fds)` is its exit code; the
    parent answers {"pid": N} and, when that child ends, writes its exit code to the status pipe."""
    children: dict[int, int] = {}
    while True:
        _reap(children)
        if not select.select([sock], [], [], 0.2)[0]:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, nfds)
        except OSError:
            break
        if not data:  # the parent closed its end (or died): the children die with this process
            break
        try:
            req = json.loads(data)
            if len(fds) != nfds:
                raise ValueError(f"expected {nfds} fds, got {len(fds)}")
        except ValueError as exc:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"error": str(exc)}).encode())
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                os.close(fds[-1])
                sock.close()
                code = child(req, fds[:-1])
            except BaseException:  # noqa: BLE001 - the traceback goes to the child's own stderr
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code & 0xFF)
        for fd in fds[:-1]:
            os.close(fd)
        children[pid] = fds[-1]
        sock.send(json.dumps({"pid": pid}).encode())
    _reap(children)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sock-fd", type=int, required=True)
    args = ap.parse_args()
    from . import __main__ as worker_main

    # No PR_SET_PDEATHSIG here: it fires when the judge THREAD that started this process ends. The
    # judge's socket closing (its exit, even SIGKILL) ends this loop instead.
    sock = socket.socket(fileno=args.sock_fd)
    try:
        worker_main.preload()
        import torch

        if torch.cuda.is_initialized():  # an import touched CUDA: children could not start their own
            raise RuntimeError("CUDA was initialised while importing; workers start as their own process")
        import gc

        gc.freeze()  # the imports' objects out of the collector's reach: children share their pages longer
    except Exception as exc:
        sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}).encode())
        return 3
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    return serve(sock, 4, _child)


if __name__ == "__main__":
    os._exit(main())
