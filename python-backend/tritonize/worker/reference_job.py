"""Reference side (trusted: the user's own problem code, never the candidate).

Generates every input set (seeded), runs the reference at its dtype and in float64 for the
ground truth, counts FLOPs, and writes the inputs (only the inputs) to a file the candidate
worker will read. Expected outputs go back to the parent over the private channel, so the
candidate's process never sees them.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch

from . import errors, loader
from .conditioning import Conditioning, broadened, domain_facts
from ..common import channel


def _to(xs: list[Any], device: str) -> list[Any]:
    return [x.to(device) if isinstance(x, torch.Tensor) else x for x in xs]


def _plain(x: torch.Tensor) -> torch.Tensor:
    # A Tensor subclass can't cross the safe channel and could carry its own __eq__: send its data.
    return x if type(x) is torch.Tensor else x.as_subclass(torch.Tensor)


def _cpu(xs: Any) -> list[Any]:
    if isinstance(xs, torch.Tensor):
        xs = [xs]
    return [_plain(x.detach()).cpu() if isinstance(x, torch.Tensor) else x for x in xs]


def _double(xs: list[Any]) -> list[Any]:
    return [x.double() if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in xs]


def _outputs(y: Any) -> list[Any]:
    if isinstance(y, torch.Tensor):
        return [y]
    if isinstance(y, (tuple, list)):
        return list(y)
    return [y]


def _heavy_tailed(xs: list[Any], seed: int) -> list[Any]:
    """Log-normal rescaling: keeps signs (so sqrt/log-domain inputs stay valid) but spreads the
    magnitudes over orders of magnitude, which exposes overflow and cancellation bugs."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for x in xs:
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            scale = torch.exp(1.5 * torch.randn(x.shape, generator=g, dtype=torch.float32))
            y = x.float() * scale
            lim = torch.finfo(x.dtype).max / 64
            out.append(y.clamp(-lim, lim).to(x.dtype))
        else:
            out.append(x)
    return out


def _gen_inputs(mod: Any, seed: int) -> list[Any]:
    torch.manual_seed(seed)
    return _cpu(list(mod.get_inputs()))


def _build(mod: Any, init: list[Any], seed: int, device: str) -> torch.nn.Module:
    torch.manual_seed(seed)
    return mod.Model(*init).to(device)


class _Runner:
    def __init__(self, model: torch.nn.Module, device: str):
        self.model, self.device = model, device
        self.model64: torch.nn.Module | None = None
        self.truth_error: str | None = None
        try:
            self.model64 = copy.deepcopy(model).double()
        except Exception as exc:
            self.truth_error = f"cannot upcast the reference to float64: {exc}"
        self.cond = Conditioning(self.model64, device) if self.model64 is not None else None

    def run(self, inputs: list[Any]) -> dict[str, Any]:
        dev = _to(inputs, self.device)
        before = [x.clone() if isinstance(x, torch.Tensor) else None for x in dev]
        with torch.no_grad():
            y = _cpu(_outputs(self.model(*dev)))
        mutated = any(b is not None and not torch.equal(b, x) for b, x in zip(before, dev))
        truth = None
        if self.model64 is not None and self.truth_error is None:
            try:
                with torch.no_grad():
                    truth = _cpu(_outputs(self.model64(*_double(_to(inputs, self.device)))))
                if len(truth) != len(y):
                    truth, self.truth_error = None, "float64 reference returned a different number of outputs"
            except Exception as exc:
                self.truth_error = f"the reference does not run in float64 ({type(exc).__name__}: {str(exc)[:200]})"
                truth = None
        cond = self.cond.per_trial(inputs) if self.cond is not None and truth is not None else None
        return {"outputs": y, "truth": truth, "mutated": mutated, "conditioning": cond}


def _nbytes(xs: list[Any]) -> int:
    seen, total = set(), 0
    for x in xs:
        if isinstance(x, torch.Tensor):
            key = (x.untyped_storage().data_ptr(), x.device)
            if key not in seen:
                seen.add(key)
                total += x.numel() * x.element_size()
    return total


def run(job: dict[str, Any], in_fd: int, out_fd: int) -> None:
    problem, device, seed = job["problem"], job["device"], int(job["seed"])
    try:
        mod = loader.load_module(problem, name_hint="problem")
        loader.require(mod, ["Model", "get_inputs", "get_init_inputs"], problem)
        init = _cpu(list(mod.get_init_inputs()))
        model = _build(mod, _to(init, device), seed, device)
    except Exception as exc:
        channel.send(out_fd, {"type": "error", "stage": "problem", **errors.describe(exc, problem)})
        return
    runner = _Runner(model, device)
    trials_in: list[dict[str, Any]] = []
    trials_out: list[dict[str, Any]] = []
    try:
        for i in range(int(job.get("random_trials", 3))):
            trials_in.append({"name": f"random-{i}", "inputs": _gen_inputs(mod, seed + 1 + i)})
        if job.get("heavy_tailed", True):
            trials_in.append({"name": "heavy-tailed", "inputs": _heavy_tailed(_gen_inputs(mod, seed + 50), seed + 51)})
        random_in = [t for t in trials_in if t["name"].startswith("random-")]
        trials_in.append({"name": "broadened", "inputs": broadened(trials_in[0]["inputs"], seed + 90)})
        for t in trials_in:
            trials_out.append({"name": t["name"], **runner.run(t["inputs"])})
        domain = domain_facts(random_in, trials_out[:len(random_in)])
        from torch.utils.flop_counter import FlopCounterMode

        flops = 0
        try:
            with FlopCounterMode(display=False) as fc, torch.no_grad():
                model(*_to(trials_in[0]["inputs"], device))
            flops = int(fc.get_total_flops())
        except Exception:
            flops = 0
        outs0 = trials_out[0]["outputs"]
        bench_sets = [_gen_inputs(mod, seed + 100 + j) for j in range(int(job.get("bench_sets", 0)))]
        # Expected outputs for every benchmark input set: timed calls are checked too.
        bench_check = [runner.run(s) for s in bench_sets]
    except Exception as exc:
        channel.send(out_fd, {"type": "error", "stage": "reference", **errors.describe(exc, problem)})
        return

    variation = None
    variation_out = None
    note = None
    sizes = loader.varied_sizes(loader.size_globals(problem)) if job.get("shape_variation", True) else {}
    if sizes:
        try:
            vmod = loader.load_module(problem, overrides=sizes, name_hint="problem_var")
            vinit = _cpu(list(vmod.get_init_inputs()))
            vmodel = _build(vmod, _to(vinit, device), seed, device)
            vin = _gen_inputs(vmod, seed + 70)
            variation_out = _Runner(vmodel, device).run(vin)
            variation = {"overrides": sizes, "init_inputs": vinit, "inputs": vin,
                         "state_dict": {k: v.detach().cpu() for k, v in vmodel.state_dict().items()}}
        except Exception as exc:
            note = f"shape variation skipped: the reference fails with {sizes} ({type(exc).__name__}: {str(exc)[:160]})"

    inputs_file = os.path.join(job["workdir"], "inputs.pt")
    torch.save({
        "seed": seed,
        "init_inputs": init,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "trials": trials_in,
        "variation": variation,
        "bench_sets": bench_sets,
        "output_bytes": _nbytes(outs0),
    }, inputs_file)
    # Expected outputs go through a file the parent memory-maps (hundreds of MB for big problems
    # would be slow through the pipe). The parent reads and unlinks it before any candidate runs.
    expected_file = os.path.join(job["workdir"], "expected.pt")
    torch.save({"trials": trials_out, "variation": variation_out, "bench_check": bench_check}, expected_file)
    channel.send(out_fd, {
        "type": "reference",
        "inputs_file": inputs_file,
        "expected_file": expected_file,
        "variation_overrides": sizes if variation else None,
        "variation_note": note,
        "truth_error": runner.truth_error,
        "domain": domain,
        "flops": flops,
        "input_bytes": _nbytes(trials_in[0]["inputs"]),
        "output_bytes": _nbytes(outs0),
        "output_dtypes": [str(o.dtype).replace("torch.", "") for o in outs0 if isinstance(o, torch.Tensor)],
    })


def validate(job: dict[str, Any], in_fd: int, out_fd: int) -> None:
    problem, device = job["problem"], job["device"]
    desc = lambda xs: [{"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", "")} if isinstance(x, torch.Tensor)
                       else {"value": repr(x)[:80]} for x in xs]
    try:
        mod = loader.load_module(problem, name_hint="problem")
        loader.require(mod, ["Model", "get_inputs", "get_init_inputs"], problem)
        init = list(mod.get_init_inputs())
        model = _build(mod, _to(init, device), int(job.get("seed", 0)), device)
        inputs = _gen_inputs(mod, 1)
        with torch.no_grad():
            outs = _outputs(model(*_to(inputs, device)))
    except Exception as exc:
        info = errors.describe(exc, problem)
        channel.send(out_fd, {"type": "validated", "ok": False,
                              "error": {"message": info["message"], "line": info["line"]}})
        return
    channel.send(out_fd, {"type": "validated", "ok": True, "error": None, "inputs": desc(inputs),
                          "outputs": desc(_cpu(outs)), "init_inputs": desc(init)})
