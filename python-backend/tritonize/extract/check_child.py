"""Child process of the behaviour check: the original problem and the applied problem, run on the
same inputs; outputs (and inputs updated in place) must match in structure, shape, dtype and value.

`python -m tritonize.extract.check_child SPEC.json OUT.json`
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys
import traceback
from typing import Any


def _load(path: str, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _tol(dtype: Any) -> tuple[float, float]:
    import torch
    if dtype in (torch.float16, torch.bfloat16):
        return 2e-2, 2e-2
    if dtype == torch.float32:
        return 1e-4, 1e-4
    return 1e-7, 1e-7


def compare(a: Any, b: Any, where: str) -> str | None:
    import torch
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return f"{where}: {type(a).__name__} became {type(b).__name__}"
        if a.shape != b.shape:
            return f"{where}: shape {tuple(a.shape)} became {tuple(b.shape)}"
        if a.dtype != b.dtype:
            return f"{where}: dtype {a.dtype} became {b.dtype}"
        # nn.Parameter(…) becoming a plain tensor loses the parameter (an optimizer then has none); a
        # result made to require grad (x.clone().requires_grad_()) loses it (red team 9).
        if type(a) is not type(b):
            return f"{where}: a {type(a).__name__} became a {type(b).__name__}"
        if a.requires_grad != b.requires_grad:
            return (f"{where}: requires_grad {a.requires_grad} became {b.requires_grad} (a kernel's result has no "
                    "autograd history)")
        # A contiguous result that came back in another layout: the program's later x.view(…) on it
        # raised (red team 34 c03: a column-major candidate output).
        if a.numel() > 1 and a.is_contiguous() and not b.is_contiguous():
            return (f"{where}: a contiguous tensor became a non-contiguous one (strides {tuple(b.stride())} for "
                    f"{tuple(a.stride())}); code after the selection that views it (.view, data_ptr arithmetic) "
                    "would change. Ask for a candidate that returns a contiguous result")
        # A channels-last result that came back in another order (red team 36 c14): the memory
        # format the program asked for is part of the result.
        fmt = {4: torch.channels_last, 5: torch.channels_last_3d}.get(a.dim())
        if fmt is not None and a.numel() > 1 and not a.is_contiguous() and a.is_contiguous(memory_format=fmt) \
                and not b.is_contiguous(memory_format=fmt):
            return (f"{where}: a channels-last tensor came back in another memory format (strides {tuple(b.stride())} "
                    f"for {tuple(a.stride())}); code after the selection sees another layout. Ask for a candidate that "
                    "returns its result channels-last (torch.empty_like keeps it)")
        # Any other layout (red team 38 c04: PyTorch keeps a transposed input's layout in an elementwise
        # result, the candidate returned a contiguous one, and the program's later .view succeeded
        # where it raised): strides must match, but for dims of size 1, where a stride means nothing.
        if a.layout == torch.strided and b.layout == torch.strided and a.numel() > 1 and not a.is_nested and any(
                n > 1 and s != t for n, s, t in zip(a.shape, a.stride(), b.stride())):
            how = ("a contiguous tensor: allocate it with torch.empty(shape) or make it .contiguous()"
                   if a.is_contiguous() else
                   "the layout of the input it follows (an elementwise op keeps a transposed or channels-last "
                   "input's layout): make the kernel allocate its output with torch.empty_like(x) of that input, "
                   "not of x.contiguous()")
            return (f"{where}: strides {tuple(b.stride())} where PyTorch returns strides {tuple(a.stride())}; code "
                    f"after the selection (.view, .stride(), data_ptr arithmetic) would see another layout. PyTorch "
                    f"returns {how}")
        a, b = a.detach().cpu(), b.detach().cpu()
        if not a.is_floating_point() and not a.is_complex():
            return None if torch.equal(a, b) else f"{where}: values differ"
        rtol, atol = _tol(a.dtype)
        if not torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol, equal_nan=True):
            err = (a.double() - b.double()).abs().nan_to_num(0).max().item()
            return f"{where}: values differ (max abs error {err:.3g})"
        return None
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{where}: {type(a).__name__} of {len(a)} became {type(b).__name__} of {len(b)}"
        for k, (x, y) in enumerate(zip(a, b)):
            r = compare(x, y, f"{where}[{k}]")
            if r:
                return r
        return None
    if a != b and not (a != a and b != b):
        return f"{where}: {a!r} became {b!r}"
    return None


class _Launches:
    """Triton launches, and whether the candidate's module ran, during one call: a candidate that
    launches its kernels only where it finds the verifier's worker (its environment, its file
    descriptors: red team 37 c02, c12) and PyTorch everywhere else was `correct`; here, outside
    the verifier, as the user's program runs it, it launches nothing."""

    def __init__(self) -> None:
        self.launches, self.candidate_ran, self._undo = 0, False, []

    def __enter__(self) -> "_Launches":
        try:
            from triton.runtime.jit import JITFunction
            owners = [JITFunction]
            try:
                from triton.runtime.interpreter import InterpretedFunction
                owners.append(InterpretedFunction)
            except ImportError:
                pass
        except ImportError:
            owners = []
        for cls in owners:
            run = cls.__dict__.get("run")
            if run is None:
                continue

            def counted(*a: Any, _run: Any = run, **kw: Any) -> Any:
                self.launches += 1
                return _run(*a, **kw)
            cls.run = counted
            self._undo.append(lambda cls=cls, run=run: setattr(cls, "run", run))

        # A profile function, not a global module hook: the applied guard stops where one is set.
        def seen(frame: Any, event: str, _arg: Any) -> None:
            if event == "call" and frame.f_code.co_qualname.startswith("_Tritonize"):
                self.candidate_ran = True
        before = sys.getprofile()
        sys.setprofile(seen)
        self._undo.append(lambda: sys.setprofile(before))
        return self

    def __exit__(self, *exc: Any) -> None:
        for undo in reversed(self._undo):
            undo()


def check_pair(pair: dict[str, Any], tmp: str, k: int) -> dict[str, Any]:
    import torch

    out: dict[str, Any] = {"ok": False, "reason": "did not run"}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for name in ("original", "applied"):
        with open(os.path.join(tmp, f"_tz_{name}_{k}.py"), "w") as f:
            f.write(pair[name])
    sys.path.insert(0, pair["mod_dir"])
    module = pair.get("module_name")
    try:
        p0 = _load(os.path.join(tmp, f"_tz_original_{k}.py"), f"_tz_original_{k}")
        try:
            p1 = _load(os.path.join(tmp, f"_tz_applied_{k}.py"), f"_tz_applied_{k}")
        except BaseException as e:  # noqa: BLE001
            _exits(e)
            out["reason"] = f"the applied code does not import: {type(e).__name__}: {e}".splitlines()[0]
            return out
        reason = _table_differs(p0, pair.get("tables") or [])
        if reason:  # the program's code, not the candidate: said as it is
            return {"ok": False, "reason": reason, "own": True}
        torch.manual_seed(0)
        init = p0.get_init_inputs()
        inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in p0.get_inputs()]
        inputs1 = copy.deepcopy(inputs)
        pristine = copy.deepcopy(inputs)  # for the eval-mode call of a whole class (the first may update inputs)
        torch.manual_seed(1)
        m0 = p0.Model(*init).to(device)
        rng0 = torch.get_rng_state()
        torch.manual_seed(1)
        try:
            m1 = p1.Model(*copy.deepcopy(init)).to(device)
        except BaseException as e:  # noqa: BLE001
            _exits(e)
            out["reason"] = f"the applied code cannot be constructed: {type(e).__name__}: {e}".splitlines()[0]
            return out
        if pair.get("whole_class"):
            reason = _whole_class_state(m0, m1, rng0, torch.get_rng_state(), pair["whole_class"])
            if reason:
                return {"ok": False, "reason": reason}
        if hasattr(m1, "load_state_dict") and set(m0.state_dict()) == set(m1.state_dict()):
            m1.load_state_dict(m0.state_dict())
        with torch.no_grad():
            torch.manual_seed(2)
            r0 = m0(*inputs)
            drawn0 = _rng_states(torch)
            if r0 is None:
                out["reason"] = "the original code returns nothing"
                return out
            resized = None if pair.get("whole_class") else _resized_input(inputs, pristine, pair.get("input_names") or [])
            if resized:  # the program's code, not the candidate: said as it is
                return {"ok": False, "reason": resized, "own": True}
            torch.manual_seed(2)
            try:
                with _Launches() as launched:
                    r1 = m1(*inputs1)  # the first call builds the candidate's module
            except BaseException as e:  # noqa: BLE001
                _exits(e)
                tb = traceback.extract_tb(e.__traceback__)
                out["reason"] = f"the applied code raised {type(e).__name__}: {e} (line {tb[-1].lineno})".splitlines()[0]
                return out
            drawn1 = _rng_states(torch)
        if device == "cuda":
            torch.cuda.synchronize()
        view = _aliased_output(r0, inputs, r1, inputs1, pair.get("input_names") or [],
                               set(pair.get("inplace_outputs") or []))
        view = view or _shared_outputs(r0, r1, pair.get("output_names") or [])
        if view:
            return {"ok": False, "reason": view}
        reason = compare(r0, r1, "result")
        for j, (a, b) in enumerate(zip(inputs, inputs1)):
            reason = reason or compare(a, b, f"input {j} after the call")
        if reason is None and pair.get("expects_launch") and launched.candidate_ran and not launched.launches:
            reason = ("the candidate's module ran here, outside the verifier, without launching any of its Triton "
                      "kernels: the verifier saw them launch, so the kernel behaves differently there (a check of "
                      "its environment, its process or its files) and the program would run something else. Use a "
                      "kernel that launches its Triton kernels wherever it runs")
        if reason is None and _rng_moved(drawn0, drawn1):
            # The candidate's module is built at the first call: random numbers its constructor (or its
            # forward) draws move the program's global generator, and every random number the program
            # draws after it (red team 34 c16). The applied code used to build it under fork_rng, which
            # restores the generator and so rewound other threads' draws (red team 38 c11).
            reason = ("building or running the candidate's module draws random numbers from the global generator "
                      "(torch.rand/randn/randint, nn.init or a layer made with random weights in its __init__) where "
                      "the original code draws none or others: every random number the program draws after the first "
                      "call would change. Make the kernel's module deterministic to build (no random initialisation: "
                      "compute its constants, or take them as arguments) and draw nothing in its forward")
        if pair.get("whole_class") and reason is None:
            # Both modes: the comparison above runs in training mode (a new module's), and a candidate
            # that implements only that path changed a program that runs its model in eval() (red team
            # 19 c13: batch statistics where the original used its running buffer).
            m0.eval()
            m1.eval()
            with torch.no_grad():
                e0, e1 = m0(*copy.deepcopy(pristine)), m1(*copy.deepcopy(pristine))
            bad = compare(e0, e1, "result in eval mode")
            if bad:
                return {"ok": False, "reason": bad + " (model.eval(), as inference runs it; the results in training "
                        "mode are the same: does the candidate implement the training path only?)"}
        return {"ok": reason is None, "reason": reason or "same results", "device": device, "outputs": _shapes(r0)}
    except BaseException as e:  # noqa: BLE001
        _exits(e)
        out["reason"] = f"the original problem failed: {type(e).__name__}: {e}".splitlines()[0]
        return out
    finally:
        sys.path.remove(pair["mod_dir"])
        if module:  # the next pair may bring its own module of the same name
            sys.modules.pop(module, None)


def _resized_input(inputs: list[Any], before: list[Any], names: list[str]) -> str | None:
    """An input the original code resizes (`torch.mm(a, b, out=out)` with an empty `out`): the applied
    code writes the kernel's result back into it with copy_(), which cannot resize it (red team 46 c19)."""
    import torch

    for j, (a, b) in enumerate(zip(inputs, before)):
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape != b.shape:
            name = names[j] if j < len(names) else f"input {j}"
            return (f"the selected code resizes {name} (shape {list(b.shape)} in the recorded call, "
                    f"{list(a.shape)} after it: an out= tensor of another size, or resize_()); the applied code "
                    f"writes the kernel's result back into {name} with copy_(), which cannot resize it. Pass {name} "
                    f"with the result's shape ({list(a.shape)}), or keep the PyTorch code")
    return None


def _exits(e: BaseException) -> None:
    """What the applied code raises is reported, Exception or the applied guard's stop (a BaseException
    subclass, apply.py); an interrupt or exit goes on."""
    if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise e


def _table_differs(p0: Any, tables: list[dict[str, Any]]) -> str | None:
    """A module-level tensor that copied code reads is copied into the problem and the kernel's module
    by its initializer: where the program had changed it before the recorded call (scaled in place
    through a helper, red team 42 c11) or its initializer draws random numbers, the kernel would
    compute with another table than the program's, silently."""
    import math

    import torch

    from .record import table_fingerprint

    from .record import module_attrs

    for t in tables:
        mine = getattr(p0, t["name"], None)
        if t.get("kind") == "module":
            if isinstance(mine, (torch.nn.Module, dict)) and module_attrs(mine) != t["attrs"]:
                diff = next(k for k in {**t["attrs"], **module_attrs(mine)}
                            if t["attrs"].get(k) != module_attrs(mine).get(k))
                return (f"'{t['name']}' (a module-level {'dict' if isinstance(mine, dict) else 'module'} that code copied with the selection calls, line "
                        f"{t['line']}) has {diff} = {t['attrs'].get(diff, '(none)')} where the selection runs, "
                        f"{module_attrs(mine).get(diff, '(none)')} as its line makes it: the program changed it before "
                        f"the recorded call. The kernel's module would hold a copy made from line {t['line']}. "
                        f"Select code that reads {t['name']} itself, or pass it to the helper as an argument")
            continue
        if not isinstance(mine, torch.Tensor):
            continue
        same = list(mine.shape) == t["shape"] and str(mine.dtype) == t["dtype"] and all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(table_fingerprint(mine), t["fp"]))
        if not same:
            return (f"'{t['name']}' (a module-level tensor that code copied with the selection reads, line {t['line']}) "
                    "is not the value its line makes where the selection runs: the program changed it before the "
                    "recorded call (in place, or through a helper), or its initializer draws random numbers. The "
                    f"kernel's module would hold a copy made from line {t['line']} and compute with another table "
                    f"than the program's. Select code that reads {t['name']} itself (it is then passed at each call), "
                    "or pass it to the helper as an argument")
    return None


def _rng_states(torch: Any) -> list[Any]:
    """The global CPU generator's state, and each initialised CUDA device's."""
    states = [torch.get_rng_state()]
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states += list(torch.cuda.get_rng_state_all())
    return states


def _rng_moved(a: list[Any], b: list[Any]) -> bool:
    import torch
    return len(a) != len(b) or any(not torch.equal(x, y) for x, y in zip(a, b))


def _whole_class_state(m0: Any, m1: Any, rng0: Any, rng1: Any, cls: str) -> str | None:
    """A whole class replaced (`class Model(FFN)` on both sides): what the rest of the program sees of
    an instance besides its forward. The check loads the original's weights into the candidate's
    instance to compare forwards, which hid two differences (red team 17, Apply): a candidate that
    creates its parameters in another order starts from other random values (c07: the program's
    printed results changed), and one that drops a plain attribute breaks whoever reads it (c20: a
    subclass reading self.hidden raised AttributeError)."""
    import inspect

    import torch
    sig0, sig1 = (inspect.signature(type(m).__init__) for m in (m0, m1))
    if [(p.name, p.kind, p.default) for p in sig0.parameters.values()] != \
            [(p.name, p.kind, p.default) for p in sig1.parameters.values()]:
        return (f"the candidate's {cls} takes {sig1} where the original takes {sig0}: calls that pass arguments by name "
                "or leave out one with a default would fail or build something else (red team 19 c02). Keep the "
                "original's constructor arguments, names and defaults")
    f0, f1 = (inspect.signature(type(m).forward) for m in (m0, m1))
    kinds = [q.kind for q in f1.parameters.values()][1:]
    through = kinds in ([inspect.Parameter.VAR_POSITIONAL], [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD])
    if not through and [(p.name, p.kind, p.default) for p in f0.parameters.values()] != \
            [(p.name, p.kind, p.default) for p in f1.parameters.values()]:  # (self, *args): hands everything on
        return (f"the candidate's {cls}.forward takes {f1} where the original takes {f0}: calls that pass arguments by "
                "name or leave one at its default would fail or compute something else (red team 26 c03). Keep the "
                "original's forward arguments, names and defaults")
    mods0 = [n for n, _ in torch.nn.Module.named_modules(m0) if n]
    mods1 = [n for n, _ in torch.nn.Module.named_modules(m1) if n]
    if set(mods0) != set(mods1):  # (their order: with the parameters', below)
        gone = [n for n in mods0 if n not in mods1]
        return (f"the candidate's {cls} has submodules {mods1 or 'none'} where the original has {mods0}"
                + (f" ({gone[0]} is gone: code that reads self.{gone[0]} would fail, and print() and state_dict() change)"
                   if gone else "") + ". Keep the original's submodules (their kernels can read their weights)")
    s0 = torch.nn.Module.state_dict(m0)
    s1 = torch.nn.Module.state_dict(m1)
    if set(s0) != set(s1):
        return (f"the candidate's {cls} saves {sorted(s1)[:6]} in its state_dict where the original saves "
                f"{sorted(s0)[:6]}: checkpoints saved by one would not load into the other (a buffer made persistent, "
                "a parameter renamed). Keep the original's parameters and buffers")
    if list(s0) != list(s1):
        return (f"the candidate's {cls} registers its parameters and buffers in another order ({list(s1)[:4]} where the "
                f"original has {list(s0)[:4]}): model.parameters() lists them in that order, and an optimizer's saved "
                "state maps to them by position. Create them in the original's order")
    p0 = {n: p.requires_grad for n, p in torch.nn.Module.named_parameters(m0)}
    p1 = {n: p.requires_grad for n, p in torch.nn.Module.named_parameters(m1)}
    if p0 != p1:
        name = next((n for n in p0 if p0[n] != p1.get(n)), next(iter(set(p1) - set(p0)), "?"))
        return (f"the candidate's {cls} has parameter {name} with requires_grad={p1.get(name)} where the original has "
                f"{p0.get(name)}: an optimizer, a frozen layer and the applied code's gradient check would see another "
                "model. Keep the original's parameters as they are")
    internal = set(vars(torch.nn.Module()))
    a0 = {k: v for k, v in vars(m0).items() if k not in internal}
    a1 = {k: v for k, v in vars(m1).items() if k not in internal}
    missing = sorted(set(a0) - set(a1))
    if missing:
        return (f"the candidate's {cls} does not set self.{missing[0]}"
                + (f" (nor {', '.join('self.' + m for m in missing[1:4])})" if len(missing) > 1 else "")
                + f", which the original {cls} sets: code outside the selection (a subclass, a caller) that reads it "
                "would fail. Keep every attribute the original __init__ sets")
    for k, v in a0.items():
        w = a1[k]
        if isinstance(v, (bool, int, float, str, type(None))) and (type(v) is not type(w) or (v != w and v == v)):
            return (f"the candidate's {cls} sets self.{k} = {w!r} where the original sets {v!r}: code outside the "
                    "selection that reads it would see another value. Keep the original's attributes")
    if True:  # the same keys in the same order (above)
        for name, t in s0.items():
            u = s1[name]
            if isinstance(t, torch.Tensor) and isinstance(u, torch.Tensor) and t.shape == u.shape and t.dtype == u.dtype \
                    and not torch.equal(t.detach().cpu(), u.detach().cpu()):
                return (f"built under the same random seed, the candidate's {cls} starts with other values of "
                        f"{name} than the original (it creates its parameters in another order, or draws other "
                        "random numbers): a program that trains or runs it from its random initialisation would "
                        "change. Create the parameters as the original does, in the same order")
    if not torch.equal(rng0, rng1):
        return (f"building the candidate's {cls} draws other random numbers than the original's: every random "
                "number the program draws after it (data, dropout, other layers' initial weights) would change. "
                "Create the parameters as the original does, in the same order")
    return None


def _aliases(result: Any, inputs: list[Any]) -> dict[int, int]:
    """Result position → the input whose storage it shares."""
    import torch
    outs = list(result) if isinstance(result, tuple) else [result]
    ptrs: dict[int, int] = {}
    for j, x in enumerate(inputs):
        if isinstance(x, torch.Tensor) and x.untyped_storage().data_ptr():
            ptrs.setdefault(x.untyped_storage().data_ptr(), j)
    out = {}
    for k, o in enumerate(outs):
        if isinstance(o, torch.Tensor) and o.untyped_storage().data_ptr() in ptrs:
            out[k] = ptrs[o.untyped_storage().data_ptr()]
    return out


def _aliased_output(r0: Any, inputs: list[Any], r1: Any, inputs1: list[Any], names: list[str],
                    inplace: set[int]) -> str | None:
    """The original code returns a view of (or the very tensor of) an input, and the applied code does
    not: later writes through the result would no longer reach the input. Outputs that are inputs
    updated in place (written back with copy_()) are expected to be the input."""
    outs = list(r0) if isinstance(r0, tuple) else [r0]
    a1 = _aliases(r1, inputs1)
    for k, j in _aliases(r0, inputs).items():
        if k in inplace or a1.get(k) == j:
            continue
        name = names[j] if j < len(names) else f"input {j}"
        what = "the result" if len(outs) == 1 else f"result {k}"
        return (f"the selection returns a view of its input {name} ({what} shares its memory: "
                f".view/.float() of a float32 tensor/indexing/.t() ...); a kernel returns a new tensor, so "
                f"later writes to it would no longer reach {name}")
    return None


def _shared_outputs(r0: Any, r1: Any, names: list[str]) -> str | None:
    """Two results of the original code are the same tensor (or views of one: `b = a`, `b = a[0]`) and
    the applied code's are not: a later in-place change of one would no longer show in the other."""
    import torch
    if not isinstance(r0, tuple) or not isinstance(r1, tuple):
        return None

    def ptr(t: Any) -> int:
        return t.untyped_storage().data_ptr() if isinstance(t, torch.Tensor) else 0

    for k in range(len(r0)):
        for j in range(k):
            p0 = ptr(r0[k])
            if p0 and p0 == ptr(r0[j]) and not (k < len(r1) and ptr(r1[k]) and ptr(r1[k]) == ptr(r1[j])):
                a = names[j] if j < len(names) else f"result {j}"
                b = names[k] if k < len(names) else f"result {k}"
                return (f"the selection's outputs {a} and {b} are the same tensor (or views of one); the call "
                        f"returns separate tensors, so a later in-place change of one would no longer show in the "
                        f"other. Select code where they are distinct (e.g. {b} = {a}.clone())")
    return None


def main(argv: list[str]) -> int:
    spec = json.loads(open(argv[0]).read())
    import torch
    if not torch.cuda.is_available():
        os.environ.setdefault("TRITON_INTERPRET", "1")
    pairs = spec.get("pairs") or [spec]
    results = [check_pair(p, spec["tmp"], k) for k, p in enumerate(pairs)]
    with open(argv[1], "w") as f:
        json.dump(results if "pairs" in spec else results[0], f)
    return 0


def _shapes(r: Any) -> Any:
    import torch
    if isinstance(r, torch.Tensor):
        return {"shape": list(r.shape), "dtype": str(r.dtype)}
    if isinstance(r, (list, tuple)):
        return [_shapes(x) for x in r]
    return repr(r)[:80]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

