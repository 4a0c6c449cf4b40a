"""The server's side of verification: warm pools, reference caches, device choice, cancellation.

Verification itself is `tritonize.judge.run`; this module only decides where and with what
state it runs. Imports of torch-dependent modules are lazy so that `initialize` answers at once
and a missing torch becomes a readable error instead of a dead server.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Callable

from .baselines import BaselineCache, BaselineKey, baseline_from_report, content_hash

log = logging.getLogger("tritonize.server")


class MissingDependency(Exception):
    def __init__(self, missing: list[str], message: str):
        super().__init__(message)
        self.missing, self.message = missing, message

    def as_data(self) -> dict[str, Any]:
        return {"missing": self.missing, "python": sys.executable, "fix": self.message}


def check_dependencies() -> None:
    """Raises MissingDependency naming torch/triton when they cannot be imported here."""
    missing, broken = [], []
    for name in ("torch", "triton"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
        except Exception as exc:  # installed but unusable, e.g. a CUDA library mismatch (OSError)
            broken.append(f"{name} failed to import: {type(exc).__name__}: {exc}")
    if broken and not missing:
        raise MissingDependency([b.split()[0] for b in broken],
                                f"{'; '.join(broken)} (in {sys.executable}). Reinstall it in that interpreter "
                                "or select another Python interpreter in VS Code.")
    if missing:
        what = " and ".join(missing)
        fix = (f"{what} {'is' if len(missing) == 1 else 'are'} not importable in {sys.executable}. "
               f"Install {what} into that interpreter (PyTorch: https://pytorch.org/get-started/locally/; "
               f"triton: `{sys.executable} -m pip install triton`), or select another Python interpreter "
               "(the one with your CUDA PyTorch) in VS Code.")
        raise MissingDependency(missing, fix)


class TrackingPool:
    """Wraps a WorkerPool so the server knows which workers a job holds and can kill their
    process groups on cancel, whatever the verifier is waiting on at that moment (e.g. a worker's
    start-up). Only a signal is sent: the verifier still owns and closes the worker's fds."""

    def __init__(self, pool: Any):
        self.pool = pool
        self._held = threading.local()

    def acquire(self) -> Any:
        worker = self.pool.acquire()
        held = getattr(self._held, "workers", None)
        if held is not None:
            held.append(worker)
            cancel = self._held.cancel
            if cancel is not None and cancel.is_set():
                kill_workers([worker])  # cancelled between the cancel callback and this acquire
        return worker

    def track(self, cancel: threading.Event | None = None) -> list[Any]:
        """Starts recording the workers acquired on this thread; returns the live list."""
        self._held.workers = []
        self._held.cancel = cancel
        return self._held.workers

    def untrack(self) -> None:
        self._held.workers = None
        self._held.cancel = None

    def close(self) -> None:
        self.pool.close()


def kill_workers(workers: list[Any]) -> None:
    for w in list(workers):
        try:
            os.killpg(w.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            pass


SIMULATE_ENV = "TRITONIZE_SIMULATE_GPUS"


def simulated_gpus() -> int:
    """Test-only: TRITONIZE_SIMULATE_GPUS=N makes the server believe it has N GPUs while its
    workers run on the CPU (Triton interpreter). Queues, pinning and caches are the real code; only
    the device the verifier is handed changes. 0/unset: off."""
    value = os.environ.get(SIMULATE_ENV, "").strip()
    return int(value) if value.isdigit() else 0


class ReferenceCache(dict):
    """`run.verify`'s reference cache, shared by every device queue, computing each entry once.

    Why: K racing candidates for one problem reach two GPUs at the same moment; without this both
    miss the cache and both run the reference (and the loser's saved inputs leak). Entries are
    scoped by GPU model (`begin(scope)`): GPU 1 reuses what an identical GPU 0 computed, while a
    different model in the same host gets its own reference (its outputs and the device
    properties the report and the roofline checks use come from the reference's worker).
    Eager/Inductor timings, which differ per GPU even within one model, are cached per queue in
    BaselineCache.

    It relies on run._reference's access pattern: `key in cache` right before it computes, then
    `cache[key] = ...`. A miss makes the asking thread the key's owner; other threads asking for
    the same key wait until the owner stores it or gives up (`end`, called after each verify so
    that a failed reference never blocks the other device).
    """

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._owner: dict[str, int] = {}  # key -> thread ident computing it
        self._local = threading.local()  # keys this job thread asked for since `begin`
        # keys in the order they were computed (evidence for tests), the last 1000
        self.computed: collections.deque[str] = collections.deque(maxlen=1000)

    def begin(self, scope: str = "", cancel: threading.Event | None = None) -> None:
        """Starts a verify on this thread; `cancel` ends a wait for another GPU's reference."""
        self._local.touched = set()
        self._local.scope = scope
        self._local.cancel = cancel

    def _scoped(self, key: object) -> str:
        scope = getattr(self._local, "scope", "")
        return f"{scope}|{key}" if scope else str(key)

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self, self._scoped(key))

    def end(self) -> set[str]:
        """Gives up the keys this thread owns but did not store; returns the keys it asked for."""
        me = threading.get_ident()
        with self._cond:
            for key in [k for k, t in self._owner.items() if t == me]:
                del self._owner[key]
            self._cond.notify_all()
        touched, self._local.touched = getattr(self._local, "touched", set()), set()
        self._local.scope, self._local.cancel = "", None
        return touched

    def __contains__(self, key: object) -> bool:
        key = self._scoped(key)
        me = threading.get_ident()
        touched = getattr(self._local, "touched", None)
        if touched is not None:
            touched.add(key)
        with self._cond:
            while True:
                if dict.__contains__(self, key):
                    return True
                owner = self._owner.get(key)  # type: ignore[arg-type]
                if owner is None or owner == me:
                    self._owner[key] = me  # type: ignore[index]
                    return False
                cancel = getattr(self._local, "cancel", None)
                if cancel is not None and cancel.is_set():
                    # The server already answered the cancel; this unwinds the job thread.
                    raise InterruptedError("cancelled while another GPU computes the reference")
                self._cond.wait(0.2)

    def __setitem__(self, key: str, value: Any) -> None:
        key = self._scoped(key)
        with self._cond:
            dict.__setitem__(self, key, value)
            self.computed.append(key)
            log.info("reference-computed %s", key.rpartition("|")[0] + "|" + key.rpartition("|")[2][:16])
            self._owner.pop(key, None)
            self._cond.notify_all()


def physical_gpu(index: int) -> str:
    """Index among this process's visible GPUs -> the value to pin a worker to it."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
        if index < len(ids):
            return ids[index]
    return str(index)


class Backend:
    MAX_PROBLEMS = 8
    def __init__(self, pool_size: int = 2):
        self.pool_size = pool_size
        self._pools: dict[str, TrackingPool] = {}
        self._lock = threading.Lock()
        # Reference outputs (run.verify's `reference_cache`) and eager/Inductor timings, both
        # keyed by problem content; per-path hashes let an edited problem drop its old entries.
        self.reference_cache = ReferenceCache()
        self.baselines = BaselineCache()
        self._ref_keys_of_path: dict[str, set[str]] = {}
        self._last_sha: dict[str, str] = {}
        self._cuda_count: int | None = None
        self._models: dict[str, str] = {}
        self._versions: tuple[str, str] | None = None

    # -- devices ------------------------------------------------------------------------------
    def cuda_count(self) -> int:
        if self._cuda_count is None:
            if simulated_gpus():
                self._cuda_count = simulated_gpus()
                return self._cuda_count
            import torch

            self._cuda_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return self._cuda_count

    def devices(self) -> list[str]:
        """Queue names: "cpu"; "cuda" for one GPU; else "cuda:N", each served by workers pinned to
        GPU N with CUDA_VISIBLE_DEVICES. Why pin rather than pass "cuda:N" to the verifier: Triton
        launches on the *current* device, so a worker that sees one GPU cannot get it wrong."""
        n = self.cuda_count()
        if n == 0:
            return ["cpu"]
        return ["cuda"] if n == 1 else [f"cuda:{i}" for i in range(n)]

    def resolve(self, requested: str | None, least_loaded: Callable[[list[str]], str]) -> str:
        """Request's device -> queue name. `None`/"auto": cuda if present else cpu; "cuda": the least
        busy GPU; "cuda:N": that GPU."""
        requested = (requested or "auto").strip()
        if requested == "cpu":
            return "cpu"
        n = self.cuda_count()
        if requested == "auto":
            if n == 0:
                return "cpu"
            requested = "cuda"
        if not requested.startswith("cuda"):
            raise ValueError(f"unknown device {requested!r} (use cpu, cuda or cuda:N)")
        if n == 0:
            raise ValueError("device cuda requested but torch sees no CUDA GPU here")
        queues = self.devices()
        if requested == "cuda":
            return least_loaded(queues)
        index = requested.partition(":")[2]
        if not index.isdigit() or int(index) >= n:
            raise ValueError(f"no such GPU {requested!r} ({n} visible)")
        return "cuda" if queues == ["cuda"] else requested

    def gpu_model(self, queue: str) -> str:
        """The reference-cache scope of a queue: GPUs of one model share references. Unknown
        (properties unreadable): the queue itself, i.e. no sharing, never a wrong reference."""
        if not queue.startswith("cuda:") or simulated_gpus():
            return ""
        with self._lock:
            model = self._models.get(queue)
        if model is None:
            try:
                import torch

                p = torch.cuda.get_device_properties(int(queue.partition(":")[2]))  # as tritonize/environment does
                model = f"{p.name} sm_{p.major}{p.minor} {p.total_memory >> 20} MiB"
            except Exception as exc:
                log.warning("properties of %s: %s; its references are not shared", queue, exc)
                model = queue
            with self._lock:
                self._models[queue] = model
        return model

    @staticmethod
    def verify_device(queue: str) -> str:
        """The device string the verifier gets: a pinned worker sees its one GPU as "cuda"
        (simulated GPUs: "cpu", the workers run in the Triton interpreter)."""
        return "cuda" if queue.startswith("cuda") and not simulated_gpus() else "cpu"

    # -- pools --------------------------------------------------------------------------------
    def pool(self, device: str) -> TrackingPool | None:
        pinned = device.startswith("cuda:")
        if self.pool_size <= 0 and not pinned:
            return None  # cold workers (run.verify spawns its own)
        with self._lock:
            pool = self._pools.get(device)
            if pool is None:
                from tritonize.judge.pool import WorkerPool

                if pinned:
                    # Without the pool, run.verify would spawn unpinned workers: keep one at least.
                    env = {"CUDA_VISIBLE_DEVICES": physical_gpu(int(device.partition(":")[2]))}
                    inner = WorkerPool(self.verify_device(device), size=max(1, self.pool_size), env=env)
                else:
                    inner = WorkerPool(device, size=self.pool_size)
                pool = self._pools[device] = TrackingPool(inner)
            return pool

    def warm_up(self, device: str | None = None) -> None:
        """Imports the verifier and starts the default device's pool, so the first verify is warm."""
        try:
            check_dependencies()
            import tritonize.judge.run  # noqa: F401  (torch import paid here, not on first verify)

            for queue in [device] if device else self.devices():
                self.pool(queue)
            log.info("warm: verifier imported, worker pool(s) started")
        except Exception as exc:
            log.warning("warm-up skipped: %s", exc)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            try:
                pool.close()
            except Exception as exc:
                log.warning("closing a pool: %s", exc)
        self._drop_references(set(self.reference_cache))

    # -- caches -------------------------------------------------------------------------------
    def versions(self) -> tuple[str, str]:
        if self._versions is None:
            import torch
            import triton

            self._versions = (torch.__version__, triton.__version__)
        return self._versions

    def note_problem(self, problem: Path) -> str:
        """Hashes the problem as it is now; an edited problem loses its cached reference data."""
        sha = content_hash(problem)
        key = str(problem.resolve())
        self.baselines.note_content(problem, sha)
        with self._lock:
            old = self._last_sha.get(key)
            self._last_sha[key] = sha
            stale = self._ref_keys_of_path.pop(key, set()) if old not in (None, sha) else set()
        self._drop_references(stale)  # also frees their temp dirs of saved inputs
        return sha

    def known_problems(self) -> set[str]:
        with self._lock:
            return set(self._last_sha)

    def record_reference_keys(self, problem: Path, added: set[str]) -> None:
        """Notes the reference entries a verify of `problem` used, and keeps references for only
        the MAX_PROBLEMS most recently verified problems (each holds saved inputs on disk).
        `added` holds the keys this verify asked for (`ReferenceCache.end`), not a before/after
        difference of the shared cache: two devices fill it at once, and a difference would file
        one problem's entry under another."""
        added = {k for k in added if k in self.reference_cache.keys()}
        path = str(problem.resolve())
        evicted: set[str] = set()
        with self._lock:
            keys = self._ref_keys_of_path.pop(path, set()) | added
            self._ref_keys_of_path[path] = keys  # re-inserted: dict order is recency
            while len(self._ref_keys_of_path) > self.MAX_PROBLEMS:
                oldest = next(iter(self._ref_keys_of_path))
                evicted |= self._ref_keys_of_path.pop(oldest)
        self._drop_references(evicted)

    def _drop_references(self, keys: set[str]) -> None:
        if not keys:
            return  # nothing cached means the verifier may not be imported yet: don't pay for torch
        from tritonize.judge.run import cleanup_reference

        for k in keys:
            entry = self.reference_cache.pop(k, None)
            if entry is not None:
                try:
                    cleanup_reference(entry[0])
                except Exception:
                    pass

    def baseline_key(self, sha: str, report_device: str) -> BaselineKey:
        torch_v, triton_v = self.versions()
        return BaselineKey(sha, report_device, torch_v, triton_v)

    def remember_baseline(self, key: BaselineKey, report: dict[str, Any]) -> None:
        baseline = baseline_from_report(report)
        if baseline is not None:
            self.baselines.put(key, baseline)
