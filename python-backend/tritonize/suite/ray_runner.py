"""The suite on a Ray cluster: one task per problem, each holding one GPU (Ray sets the task's
CUDA_VISIBLE_DEVICES, which the verifier's worker processes inherit), each running the same
sandboxed worker flow as a local `tritonize verify`. Sources travel with the task, so the nodes
need the backend installed but not a shared file system.

`ray` is optional: imported only here, only when `--ray` is used.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from .runner import Pair, SuiteUsageError, error_row, verify_one


def _task(name: str, filename: str, problem_src: str, candidate_src: str, device: str, timeout: float,
          benchmark: bool, options: dict[str, Any]) -> dict[str, Any]:
    node = os.uname().nodename
    try:
        with tempfile.TemporaryDirectory(prefix="tritonize-ray-") as tmp:
            (Path(tmp) / "problem").mkdir()
            (Path(tmp) / "candidate").mkdir()
            problem, candidate = Path(tmp) / "problem" / filename, Path(tmp) / "candidate" / filename
            problem.write_text(problem_src)
            candidate.write_text(candidate_src)
            row = verify_one(name, problem, candidate, device, timeout, benchmark, options)
    except Exception as exc:
        row = error_row(name, "error", f"{type(exc).__name__}: {exc}")
    row["lane"] = f"ray:{node}:{os.environ.get('CUDA_VISIBLE_DEVICES', 'cpu')}"
    return row


def run_ray(pairs: list[Pair], *, address: str | None, device: str, timeout: float, benchmark: bool,
            options: dict[str, Any], on_row: Callable[[dict[str, Any]], None] | None = None,
            init_kwargs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError as exc:
        raise SuiteUsageError("--ray needs the optional `ray` package in this Python (pip install ray)") from exc
    started = False
    if not ray.is_initialized():
        kwargs = {"include_dashboard": False, "log_to_driver": False, **(init_kwargs or {})}
        try:
            ray.init(address=address or None, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SuiteUsageError(f"cannot reach the Ray cluster at {address or 'the default address'}: {exc}") from exc
        started = True
    cuda = device.startswith("cuda")
    if cuda and not ray.cluster_resources().get("GPU"):
        raise SuiteUsageError("--device cuda, but the Ray cluster has no GPU")
    task = ray.remote(num_gpus=1 if cuda else 0, num_cpus=1, max_retries=0)(_task)
    rows: dict[str, dict[str, Any]] = {}
    refs: dict[Any, Pair] = {}
    try:
        for p in pairs:
            if p.candidate is None:
                rows[p.name] = error_row(p.name, "missing", f"no candidate named {p.problem.name}")
                if on_row:
                    on_row(rows[p.name])
                continue
            opts = {k: v for k, v in options.items() if k != "reference_cache"}
            refs[task.remote(p.name, p.problem.name, p.problem.read_text(), p.candidate.read_text(), device, timeout,
                             benchmark, opts)] = p
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            p = refs[done[0]]
            try:
                row = ray.get(done[0])
            except Exception as exc:  # the task's node died, or Ray itself failed
                row = error_row(p.name, "error", f"Ray task failed: {type(exc).__name__}: {str(exc)[:300]}")
            rows[p.name] = row
            if on_row:
                on_row(row)
    finally:
        if started:
            ray.shutdown()
    return [rows[p.name] for p in pairs]
