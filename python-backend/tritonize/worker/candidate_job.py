"""Candidate side (untrusted): import the candidate, run it on the reference's inputs, report
raw outputs and what it launched; later, on the parent's word, benchmark it.

The candidate never sees expected outputs, and its outputs are judged by the parent. It runs on
clones of fresh inputs (new allocations every trial), after the allocator's free memory has
been filled with NaN, so "return torch.empty_like(x)" cannot pick up an answer.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from ..verify import errors, hooks, loader
from . import channel
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


def _forward(model: torch.nn.Module, args: list[Any], device: str) -> tuple[Any, hooks.OpRecorder]:
    hooks.LAUNCHES.kernels.clear()
    rec = hooks.OpRecorder()
    with torch.no_grad(), rec:
        y = model(*args)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return y, rec


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


def run(job: dict[str, Any], in_fd: int, out_fd: int) -> None:
    path, device = job["candidate"], job["device"]
    import os

    hooks.CANDIDATE_PATH = os.path.realpath(path)
    integrity = hooks.Integrity.take()
    try:
        mod = loader.load_module(path, name_hint="candidate")
        loader.require(mod, ["ModelNew"], path)
    except BaseException as exc:  # SystemExit included: a candidate may exit at import
        channel.send(out_fd, {"type": "error", "stage": "import", **errors.describe(exc, path)})
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
        channel.send(out_fd, {"type": "error", "stage": "init", **errors.describe(exc, path)})
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
            y, rec = _forward(target, args, device)
        except BaseException as exc:
            channel.send(out_fd, {"type": "error", "stage": "forward", "trial": trial["name"], **errors.describe(exc, path)})
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
                              "mutated_inputs": mutated})
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
    _bench(job, cmd, mod, model, data, integrity, out_fd)


def _bench(job: dict[str, Any], cmd: dict[str, Any], cand_mod: Any, model: torch.nn.Module, data: dict[str, Any],
           integrity: hooks.Integrity, out_fd: int) -> None:
    from ..bench.timer import Timer

    device = job["device"]
    pmod = loader.load_module(job["problem"], name_hint="problem_bench")
    torch.manual_seed(int(data["seed"]))
    eager = pmod.Model(*_to(data["init_inputs"], device)).to(device)
    eager.load_state_dict(data["state_dict"])
    sets = [_to(s, device) for s in data["bench_sets"]]
    # One fixed set of input buffers whose contents rotate between calls (the copy is not timed):
    # values change every call while pointers stay, so a cache keyed on data_ptr or shape returns
    # stale answers, and the outputs of timed calls are checked against every set's expected output.
    bufs = [x.clone() if isinstance(x, torch.Tensor) else x for x in sets[0]]
    calls = [0]

    def exact(k: int) -> None:
        for b, x in zip(bufs, sets[k]):
            if isinstance(b, torch.Tensor):
                b.copy_(x)

    def prepare(k: int) -> None:
        """Set k, with floating inputs rescaled by a factor that changes every call: no two timed
        calls see the same values, so a cache keyed on sampled values or contents never hits."""
        exact(k)
        calls[0] += 1
        factor = 1.0 + ((calls[0] % 61) + 1) / 128.0
        for b in bufs:
            if isinstance(b, torch.Tensor) and b.is_floating_point():
                b.mul_(factor)

    fns: dict[str, Any] = {"eager": lambda k: eager(*bufs), "candidate": lambda k: model(*bufs)}
    compile_s, inductor_error = None, None
    if cmd.get("inductor", True):
        try:
            compiled = torch.compile(copy.deepcopy(eager), mode=cmd.get("inductor_mode") or None)
            t0 = time.perf_counter()
            with torch.no_grad():
                compiled(*bufs)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            compile_s = time.perf_counter() - t0
            fns = {"eager": fns["eager"], "inductor": lambda k: compiled(*bufs), "candidate": fns["candidate"]}
        except Exception as exc:
            inductor_error = f"{type(exc).__name__}: {str(exc)[:300]}"
    channel.send(out_fd, {"type": "stage", "stage": "benchmarking"})

    cuda = device.startswith("cuda")
    timer = Timer(device, budget_s=float(cmd.get("budget_s", 10.0 if cuda else 3.0)),
                  min_n=int(cmd.get("min_n", 10 if cuda else 3)), max_n=int(cmd.get("max_n", 2000 if cuda else 5)))
    try:
        with torch.no_grad():
            results = timer.run(fns, len(sets), prepare=prepare)
            # Same buffers, rotated contents, right after the timed loop: a candidate that caches by
            # pointer or shape, or skips work in benchmark mode, returns a stale answer here.
            last: dict[int, Any] = {}
            for k in range(len(sets)):
                exact(k)
                last[k] = _cpu(_outputs(model(*bufs)))
    except BaseException as exc:
        channel.send(out_fd, {"type": "error", "stage": "bench", **errors.describe(exc, job["candidate"])})
        return
    changed = integrity.changed()
    if changed:
        channel.send(out_fd, {"type": "tamper", "stage": "bench", "changed": changed})
        return
    channel.send(out_fd, {"type": "bench", "results": results, "compile_s": compile_s, "inductor_error": inductor_error,
                          "check_outputs": {int(k): v for k, v in last.items()},
                          "foreign_streams": dict(hooks.LAUNCHES.foreign_streams)})
