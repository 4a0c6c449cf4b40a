"""Candidate side (untrusted): import the candidate, run it on the reference's inputs, report
raw outputs and what it launched; later, on the parent's word, benchmark it.

The candidate never sees expected outputs, and its outputs are judged by the parent. It runs on
clones of fresh inputs (new allocations every trial), after the allocator's free memory has
been filled with NaN, so "return torch.empty_like(x)" cannot pick up an answer.
"""

from __future__ import annotations

from typing import Any

import torch

from . import errors, hooks, loader
from ..common import channel
from .reference_job import _cpu, _outputs, _to


def _poison(device: str, nbytes: int) -> None:
    if nbytes <= 0:
        return
    blocks = [torch.empty(nbytes, dtype=torch.uint8, device=device).fill_(0xFF) for _ in range(3)]
    del blocks  # back to the caching allocator, NaN-filled (0xFF.. is NaN in every float dtype)


def _build(mod: Any, init: list[Any], seed: int, state: dict[str, torch.Tensor], device: str) -> tuple[torch.nn.Module, str]:
    """Same seed as the reference (as KernelBench does); then the reference's parameters copied
    in by name, or by order when names differ but shapes line up."""
    torch.manual_seed(seed)
    model = mod.ModelNew(*_to(init, device)).to(device)
    mine = model.state_dict()
    if not state:
        return model, "none"
    if set(mine) == set(state) and all(mine[k].shape == state[k].shape for k in state):
        model.load_state_dict(state)
        return model, "by name"
    a, b = list(mine.values()), list(state.values())
    if len(a) == len(b) and all(x.shape == y.shape for x, y in zip(a, b)):
        with torch.no_grad():
            for x, y in zip(a, b):
                x.copy_(y)
        return model, "by order"
    return model, "seed only"


def _forward(model: torch.nn.Module, args: list[Any], device: str, read: Any) -> tuple[Any, hooks.OpRecorder]:
    obs = hooks.Observation(read)  # op recorder + launch provenance + profiler witness (hooks.py)
    with torch.no_grad(), obs:
        y = model(*args)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    obs.rec.evidence = obs.finish(_outputs(y), args)  # type: ignore[attr-defined]
    return y, obs.rec


def _coverage(model: torch.nn.Module, inputs: list[Any], device: str, triton_names: set[str]) -> dict[str, Any]:
    """Share of GPU time spent in the candidate's own Triton kernels (profiler's kernel list)."""
    from torch.profiler import ProfilerActivity, profile

    args = [x.clone() if isinstance(x, torch.Tensor) else x for x in _to(inputs, device)]
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof, torch.no_grad():
        model(*args)
        torch.cuda.synchronize()
    own, other, others = 0.0, 0.0, {}
    for evt in prof.events():
        dt = getattr(evt, "device_type", None)
        if dt is None or "CUDA" not in str(dt):
            continue
        t = float(getattr(evt, "device_time", None) or getattr(evt, "cuda_time", 0.0) or 0.0)
        if any(evt.name == n or evt.name.startswith(n) for n in triton_names):
            own += t
        else:
            other += t
            others[evt.name[:120]] = others.get(evt.name[:120], 0.0) + t
    total = own + other
    return {"time_coverage": (own / total) if total else None,
            "other_kernels": sorted(others.items(), key=lambda kv: -kv[1])[:8]}


def _refused(read: Any) -> list[dict[str, Any]]:
    """What the audit guard refused so far (an error after a refusal is judged as the refusal)."""
    return [{"rule": e[1], "event": e[2], "line": e[3]} for e in read() if e and e[0] == "blocked"]


def run(job: dict[str, Any], in_fd: int, out_fd: int) -> None:
    path, device = job["candidate"], job["device"]
    import os

    integrity = hooks.Integrity.take()
    read = hooks.arm(os.path.realpath(path))  # the audit guard; `read` stays in this frame only
    try:
        mod = loader.load_module(path, name_hint="candidate")
        loader.require(mod, ["ModelNew"], path)
    except BaseException as exc:  # SystemExit included: a candidate may exit at import
        channel.send(out_fd, {"type": "error", "stage": "import", **errors.describe(exc, path), "guard": _refused(read)})
        return
    changed = integrity.changed()
    if changed:
        channel.send(out_fd, {"type": "tamper", "stage": "import", "changed": changed})
        return
    data = torch.load(job["inputs_file"], weights_only=True)
    seed = int(data["seed"])
    try:
        model, params = _build(mod, data["init_inputs"], seed, data["state_dict"], device)
    except BaseException as exc:
        channel.send(out_fd, {"type": "error", "stage": "init", **errors.describe(exc, path), "guard": _refused(read)})
        return
    channel.send(out_fd, {"type": "stage", "stage": "checking", "params": params})

    if device.startswith("cuda"):
        hooks.EXPECTED_STREAM = torch.cuda.current_stream().cuda_stream
    trials = list(data["trials"])
    if data.get("variation"):
        trials.append({"name": "shape-variation", "inputs": data["variation"]["inputs"], "variation": data["variation"]})
    kernels: set[str] = set()
    for trial in trials:
        var = trial.get("variation")
        try:
            target = model
            if var is not None:
                target, _ = _build(mod, var["init_inputs"], seed, var["state_dict"], device)
            if device.startswith("cuda"):
                _poison(device, int(data.get("output_bytes", 0)))
            fresh = _to(trial["inputs"], device)
            args = [x.clone() if isinstance(x, torch.Tensor) else x for x in fresh]
            y, rec = _forward(target, args, device, read)
        except BaseException as exc:
            channel.send(out_fd, {"type": "error", "stage": "forward", "trial": trial["name"], **errors.describe(exc, path),
                                  "guard": _refused(read)})
            return
        changed = integrity.changed()
        if changed:
            channel.send(out_fd, {"type": "tamper", "stage": "forward", "changed": changed})
            return
        kernels |= set(hooks.LAUNCHES.kernels)
        mutated = [i for i, (a, x) in enumerate(zip(args, fresh))
                   if isinstance(a, torch.Tensor) and not torch.equal(a, x)]
        subclasses = sorted({type(o).__name__ for o in _outputs(y) if isinstance(o, torch.Tensor) and type(o) is not torch.Tensor})
        channel.send(out_fd, {"type": "trial", "name": trial["name"], "outputs": _cpu(_outputs(y)), "subclasses": subclasses,
                              "launches": dict(hooks.LAUNCHES.kernels), "compute_ops": dict(rec.compute),
                              "movement_ops": dict(rec.movement), "op_lines": dict(rec.lines),
                              "mutated_inputs": mutated, "evidence": rec.evidence})
        del y, args, fresh

    coverage = None
    if device.startswith("cuda") and kernels:
        try:
            coverage = _coverage(model, data["trials"][0]["inputs"], device, kernels)
        except Exception as exc:
            coverage = {"time_coverage": None, "error": str(exc)[:200]}
    channel.send(out_fd, {"type": "verified", "coverage": coverage, "foreign_streams": dict(hooks.LAUNCHES.foreign_streams),
                          "autotune_first_only": sorted(hooks.AUTOTUNE_FIRST_ONLY)})

    cmd = channel.recv(in_fd)
    if cmd.get("cmd") != "bench":
        return
    from .candidate_bench import bench

    bench(job, cmd, mod, model, data, integrity, out_fd)
