"""Worker process: `python -m tritonize.worker --in-fd R --out-fd W`.

Starts, imports torch and triton, installs the launch hooks, says `ready`, then waits for ONE job
on its private channel, runs it and exits. A warm pool keeps such processes waiting, so a job
pays no import or CUDA start-up; isolation is unchanged because no worker ever runs two jobs.
stdout/stderr are a log file chosen by the parent; nothing printed there is ever parsed.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the process that started it dies (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() == 1:  # parent already gone before prctl took effect
            os._exit(0)
    except Exception:
        pass


def _trusted_driver_stub() -> None:
    """CUDA: build (or load) Triton's C driver stub in the trusted cache, before the sandbox and
    before any candidate exists, then copy it into this worker's private cache so that Triton,
    which re-runs the stub's loader on every driver start, finds it there instead of compiling it
    again. The trusted cache is never writable from inside a sandbox."""
    trusted, private = os.environ.get("TRITONIZE_TRUSTED_TRITON_CACHE"), os.environ.get("TRITON_CACHE_DIR")
    if not trusted or not private or os.environ.get("TRITON_INTERPRET") == "1" \
            or not os.environ.get("TRITONIZE_DEVICE", "cpu").startswith("cuda"):
        return
    import shutil

    os.environ["TRITON_CACHE_DIR"] = trusted
    try:
        from triton.backends.nvidia.driver import CudaUtils

        CudaUtils()
    except Exception:
        return  # no CUDA toolchain: the worker's own start reports it
    finally:
        os.environ["TRITON_CACHE_DIR"] = private
    try:
        shutil.copytree(trusted, private, dirs_exist_ok=True)
    except OSError:
        pass


def _enter_sandbox(scratch: str | None, protect: list[int]) -> dict:
    from . import sandbox

    if not scratch:
        return sandbox.not_applied("the worker was started without a sandbox")
    if os.environ.get("TRITONIZE_NO_SANDBOX") == "1":
        return sandbox.not_applied(os.environ.get("TRITONIZE_NO_SANDBOX_REASON") or "disabled by TRITONIZE_NO_SANDBOX=1")
    _trusted_driver_stub()
    return sandbox.apply(os.path.join(scratch, "home"), os.path.join(scratch, "job"), protect)


def preload() -> None:
    """The slow, job-independent imports: dynamo (the integrity snapshot needs it), the profiler,
    the FLOP counter and both job modules. Run by a worker after its sandbox, or once by the
    zygote (worker/zygote.py) before it forks CPU workers."""
    import torch  # noqa: F401
    import triton  # noqa: F401

    from . import hooks

    if not hooks.INSTALLED:
        hooks.install_launch_hooks()  # before dynamo's import, which takes references to what it wraps
    import torch._dynamo  # noqa: F401
    import torch.profiler  # noqa: F401
    import torch.utils.flop_counter  # noqa: F401

    from . import candidate_bench, candidate_job, reference_job  # noqa: F401


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--in-fd", type=int, required=True)
    ap.add_argument("--out-fd", type=int, required=True)
    ap.add_argument("--scratch", help="private folder: home/ (read-write) and job/ (read-only); enables the sandbox")
    args = ap.parse_args()
    _die_with_parent()
    # The sandbox goes on first, while this process has one thread (see sandbox.py for why).
    sandbox_status = _enter_sandbox(args.scratch, [os.getppid()])
    return _serve(args.in_fd, args.out_fd, sandbox_status)


def forked_main(req: dict, in_fd: int, out_fd: int, log_fd: int) -> int:
    """A worker forked by the zygote: everything `main` does, on the zygote's imports. Before the
    sandbox: its own session and process group (the judge kills the group), the log as stdout and
    stderr, no descriptor but its own (the zygote's socket and other workers' status pipes are
    closed), and the environment and folder the judge chose for it."""
    os.setsid()
    _die_with_parent()  # the zygote: which dies with the judge
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    keep = {0, 1, 2, in_fd, out_fd}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(req["env"]).items()})
    os.chdir(str(req["cwd"]))
    import tempfile

    tempfile.tempdir = None  # TMPDIR is this worker's now
    sys.argv = ["tritonize.worker"]
    protect = [int(p) for p in req.get("protect") or []] + [os.getppid()]
    sandbox_status = _enter_sandbox(req.get("scratch"), protect)
    return _serve(in_fd, out_fd, sandbox_status)


def _serve(in_fd: int, out_fd: int, sandbox_status: dict) -> int:
    # Keep our channel fds away from code that looks for "fd 3": dup them high and close the originals.
    orig = (in_fd, out_fd)
    in_fd, out_fd = os.dup(in_fd), os.dup(out_fd)
    for fd in orig:
        os.close(fd)
    os.set_inheritable(in_fd, False)
    os.set_inheritable(out_fd, False)

    from ..common import channel

    try:
        preload()  # a forked worker has these already
        import torch
        import triton

        # CUDA and CUPTI's first profiler session (the time-coverage check) before `ready`, so a
        # warm worker starts a job at once.
        if os.environ.get("TRITONIZE_DEVICE", "cpu").startswith("cuda"):
            torch.cuda.init()
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]):
                torch.zeros(1, device="cuda").add_(1)
            torch.cuda.synchronize()
            if os.environ.pop("TRITONIZE_WARM_TRITON", None) == "1":  # a pool's worker (judge/pool.py)
                try:
                    from . import warmup

                    warmup.run()
                except Exception:
                    pass  # the candidate's first launch pays it, as without
    except Exception as exc:  # missing torch/triton or a broken CUDA: the parent reports it
        # No candidate code has run yet, so this flag is trustworthy: the parent retries once
        # without the sandbox to tell "CUDA is broken" from "CUDA cannot start inside it".
        in_sandbox = bool(sandbox_status.get("protections", {}).get("filesystem", {}).get("enforced"))
        channel.send(out_fd, {"type": "fatal", "message": f"{type(exc).__name__}: {exc}",
                              "traceback": traceback.format_exc()[-3000:], "in_sandbox": in_sandbox})
        return 3
    from ..common.devices import cuda_devices

    devs = cuda_devices() if os.environ.get("TRITONIZE_DEVICE", "cpu").startswith("cuda") else []
    channel.send(out_fd, {"type": "ready", "pid": os.getpid(), "devices": devs, "sandbox": sandbox_status,
                          "versions": {"python": sys.version.split()[0], "torch": str(torch.__version__),
                                       "triton": str(triton.__version__)}})
    try:
        job = channel.recv(in_fd)
    except channel.ChannelClosed:
        return 0
    role = job.get("role")
    if role == "reference":
        from .reference_job import run as run_job
    elif role == "candidate":
        from .candidate_job import run as run_job
    elif role == "baseline":  # eager/Inductor timing, in a process the candidate never ran in
        from .candidate_bench import baseline as run_job
    elif role == "validate":
        from .reference_job import validate as run_job
    else:
        channel.send(out_fd, {"type": "fatal", "message": f"unknown role {role!r}"})
        return 3
    try:
        run_job(job, in_fd, out_fd)
    except channel.ChannelClosed:
        return 0
    except Exception as exc:
        channel.send(out_fd, {"type": "fatal", "message": f"{type(exc).__name__}: {exc}",
                              "traceback": traceback.format_exc()[-3000:]})
        return 3
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: a candidate's atexit handlers or broken CUDA state must not
    # turn a finished job into a crash report.
    os._exit(code)
