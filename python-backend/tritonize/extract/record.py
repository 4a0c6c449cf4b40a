"""Child process: run the user's entry point once with a trace hook on the selected code, record the
real inputs (shape, dtype, range, or the literal value) of its first call, watch later calls for a
short while (conditions the kernel would not be verified for), then stop the program.

`python -m tritonize.extract.record SPEC.json OUT.json`. The program's own output goes to this
process's stdout/stderr, which the parent discards; only OUT.json is read.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
import traceback
from typing import Any


class _Captured(BaseException):
    """Raised from the trace function once the values are recorded: ends the user's program."""


def _matches(code: Any, target: str, want: dict[str, Any]) -> bool:
    return (code.co_name == want["code_name"] and code.co_firstlineno in want["code_first"]
            and os.path.realpath(code.co_filename) == target)


def _storage(obj: Any) -> int:
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(obj, torch.Tensor):
        return 0
    try:
        return int(obj.untyped_storage().data_ptr())
    except Exception:  # noqa: BLE001 - tensors without storage (meta, sparse)
        return 0


def _autocast(torch: Any) -> list[str]:
    """Device types whose autocast is on where the selected code runs: a kernel computes in its inputs'
    dtype, not autocast's lower precision."""
    if torch is None:
        return []
    out = []
    for dev in ("cpu", "cuda", "xpu", "mps", "hpu"):
        try:
            on = torch.is_autocast_enabled(dev)
        except Exception:  # noqa: BLE001 - older torch: no device argument / unknown device type
            try:
                on = torch.is_autocast_cpu_enabled() if dev == "cpu" else \
                    torch.is_autocast_enabled() if dev == "cuda" else False
            except Exception:  # noqa: BLE001
                on = False
        if on:
            out.append(dev)
    return out


# How long the program runs on after the recorded call, watching later calls: as long as it took to
# get there, within these bounds (tracing slows the program: a first optimizer step's lazy imports
# took 4 s under the trace hook on a busy 2-core box).
LATER_SECONDS = (5.0, 20.0)
LATER_CALLS = 50
# Environment variables torch reads when it is imported (its thread pools' sizes, the JIT switch),
# not later: the recording imports torch before the program runs.
IMPORT_TIME_ENV = ("OMP_", "MKL_", "KMP_", "GOMP_", "OPENBLAS_", "PYTORCH_JIT")


def _conditions(torch: Any, objs: dict[str, Any], module: Any = None) -> dict[str, Any]:
    """What the applied code's call-time guard looks at, for one call of the selection."""
    kinds: dict[str, str] = {}
    literals: dict[str, str] = {}
    ints: dict[str, str] = {}  # integers: sizes under --exact-sizes, arithmetic otherwise (apply._refuse_later)
    needs_grad: list[str] = []
    storages: dict[int, list[str]] = {}
    shapes: dict[str, list[int]] = {}
    layouts: dict[str, str] = {}
    for name, o in objs.items():
        if o is None:
            kinds[name] = "None"
        elif torch is not None and isinstance(o, torch.Tensor):
            if o.requires_grad:
                needs_grad.append(name)
            shapes[name] = list(o.shape)
            layouts[name] = layout(o)
            ptr = _storage(o)
            if ptr:
                storages.setdefault(ptr, []).append(name)
            kinds[name] = f"tensor of {str(o.dtype).replace('torch.', '')} on {o.device.type}"
        else:
            kinds[name] = f"number ({type(o).__name__})" if isinstance(o, (bool, int, float, complex)) else type(o).__name__
            # A flag or mode the kernel may have been written for (causal=True): another value is
            # another code path. Numbers (a scale, an Adam step count) are arithmetic and may vary.
            if o is None or type(o) in (bool, str):
                literals[name] = repr(o)
            elif type(o) is int:
                ints[name] = repr(o)
    grad_on = bool(torch is not None and torch.is_grad_enabled())
    if grad_on and module is not None:
        try:
            needs_grad += [f"{type(module).__name__}.{n}" for n, p in module.named_parameters() if p.requires_grad][:1]
        except Exception:  # noqa: BLE001 - not an nn.Module
            pass
    default = str(torch.get_default_dtype()) if torch is not None else "torch.float32"
    return {"kinds": kinds, "literals": literals, "ints": ints, "grad": needs_grad if grad_on else [], "autocast": _autocast(torch),
            "aliases": [g for g in storages.values() if len(g) > 1], "broadcast": broadcast(shapes),
            "layouts": layouts, "default_dtype": default}


def broadcast(shapes: dict[str, list[int]]) -> list[str]:
    """How a call's tensors broadcast against each other: "x rank 2" for each, and "b@-2" where b is 1
    (or too short) at that position from the right while another tensor is larger. A later call may
    broadcast in fewer places (a batch of 1 or 0) but in no new one and with the same ranks: a [32]
    bias in one call and an [8, 32] residual in the next (red team 17b c10) differ. apply.py's
    call-time guard runs this same function (its source is copied into the applied file)."""
    out = [f"{n} rank {len(s)}" for n, s in sorted(shapes.items())]
    for p in range(1, max((len(s) for s in shapes.values()), default=0) + 1):
        at = {n: (s[-p] if len(s) >= p else 1) for n, s in shapes.items()}
        if max(at.values()) > 1:
            out += [f"{n}@-{p}" for n, v in sorted(at.items()) if v == 1]
    return out


def table_fingerprint(t) -> list:
    """A tensor's values in two numbers (the sum of magnitudes and a sum weighted by position), in
    float64 on the CPU: equal for equal values on any device, different for a table scaled, shifted or
    filled since (red team 42 c11). apply.py's call-time guard runs this same function (its source is
    copied into the applied file) on a module-level tensor that copied code reads, at the first call."""
    import torch

    d = t.detach()
    if d.is_complex():
        d = torch.view_as_real(d)
    d = d.reshape(-1).to("cpu", torch.float64).nan_to_num(nan=0.5, posinf=1.5, neginf=-1.5)
    w = (torch.arange(d.numel(), dtype=torch.int64) * 2654435761 % 1009).to(torch.float64) + 1.0
    return [float(d.abs().sum()), float((d * w).sum())]


def module_attrs(m) -> dict:
    """A stateless module's settings: the class and the plain attributes (numbers, bools, strings,
    None) of it and its submodules, other than nn.Module's own (training), as reprs. A module-level
    nn.GELU() that copied code calls is copied into the kernel's module from the file's line, so a
    setting the program changes (ACT.approximate = "tanh" through an alias) would not reach the kernel
    (red team 48 c16). apply.py's call-time guard runs this same function (its source is copied into
    the applied file)."""
    import torch

    plain = (bool, int, float, complex, str, bytes, type(None))
    out = {}
    if isinstance(m, dict):  # a config dict (CFG["slope"]): its plain entries (red team 48 c20)
        return {repr(k): repr(v) for k, v in m.items() if type(k) in plain and type(v) in plain}
    base = set(vars(torch.nn.Module()))
    for k, sub in m.named_modules():
        out[(k + "." if k else "") + "__class__"] = type(sub).__module__ + "." + type(sub).__qualname__
        for a, v in vars(sub).items():
            if type(v) in plain and a not in base:
                out[(k + "." if k else "") + a] = repr(v)
    return out


def broadcast_fits(now: list[str], recorded: list[str]) -> bool:
    """Same ranks, and no broadcast the recorded call did not have."""
    ranks = lambda xs: [x for x in xs if " rank " in x]  # noqa: E731
    return ranks(now) == ranks(recorded) and set(now) <= set(recorded)


def _folder_on_path(file: Any) -> bool | None:
    """Whether the file's folder is on sys.path where the selection ran: a file loaded by path
    (importlib.util.spec_from_file_location, as config-driven trainers do) is not, and a module
    placed next to it cannot be imported by name there (red team 17b c09)."""
    if not isinstance(file, str):
        return None
    here = os.path.realpath(os.path.dirname(os.path.abspath(file)))
    return any(os.path.realpath(os.path.abspath(p or os.getcwd())) == here for p in sys.path if isinstance(p, str))


def layout(t: Any) -> str:
    """"contiguous", or the order of its dims from the largest stride down (a transposed view is
    "dims 1, 0"): what the problem's get_inputs rebuilds (values.py) and later calls must keep."""
    from tritonize.extract.values import stride_order  # as describe() is imported: this file runs as __main__

    order = stride_order(t)
    return "contiguous" if order is None else "dims " + ", ".join(str(i) for i in order)


def _differs(first: dict[str, Any] | None, now: dict[str, Any], stale: list[dict[str, Any]],
             call: int) -> dict[str, Any] | None:
    """The first way call number `call` differs from the recorded (first) call, or None."""
    if first is None:
        return None
    where = f"call {call} of the selection in the recorded run"
    for name, kind in now["kinds"].items():
        was = first["kinds"].get(name)
        if was is None or was == kind:
            continue
        if kind == "None":
            return {"call": call, "what": "none", "name": name,
                    "message": f"{name} is None in {where}, a {was} in the recorded (first) call"}
        if was.startswith("tensor") and kind.startswith("tensor"):
            return {"call": call, "what": "dtype", "name": name,
                    "message": f"{name} is a {kind} in {where}, a {was} in the recorded (first) call"}
        if "tensor" in (was[:6], kind[:6]) or was == "None":
            return {"call": call, "what": "kind", "name": name,
                    "message": f"{name} is a {kind} in {where}, a {was} in the recorded (first) call"}
        # An int where a float was (or the reverse) next to integer tensors: PyTorch's result dtype
        # follows it (counts * 3 is int64, counts * 0.5 float32), a kernel's does not (red team 19 c12).
        if was.startswith("number") and kind.startswith("number") and any(
                k.startswith(("tensor of int", "tensor of uint", "tensor of bool")) for k in now["kinds"].values()):
            return {"call": call, "what": "number_type", "name": name,
                    "message": f"{name} is a {kind} in {where}, a {was} in the recorded (first) call, next to integer "
                               "tensors (PyTorch's result dtype follows the number's type)"}
    if not broadcast_fits(now.get("broadcast") or [], first.get("broadcast") or []):
        return {"call": call, "what": "shape", "name": "",
                "message": f"the tensors broadcast so: {', '.join(now.get('broadcast') or [])} in {where}; "
                           f"{', '.join(first.get('broadcast') or [])} in the recorded (first) call"}
    for name, val in now.get("layouts", {}).items():
        was = first.get("layouts", {}).get(name)
        if was is not None and was != val:
            return {"call": call, "what": "layout", "name": name,
                    "message": f"{name} has layout {val} in {where}, {was} in the recorded (first) call"}
    if now.get("default_dtype") != first.get("default_dtype"):
        return {"call": call, "what": "default_dtype", "name": "",
                "message": f"the default dtype is {now.get('default_dtype')} in {where}, {first.get('default_dtype')} "
                           "in the recorded (first) call"}
    for name, rep in now["literals"].items():
        was = first["literals"].get(name)
        if was is not None and was != rep:
            return {"call": call, "what": "value", "name": name,
                    "message": f"{name} is {rep} in {where}, {was} in the recorded (first) call"}
    if now["grad"] and not first["grad"]:
        return {"call": call, "what": "grad", "name": now["grad"][0],
                "message": f"gradients are on and {now['grad'][0]} requires grad in {where}; the recorded (first) "
                           "call had none"}
    if now["autocast"] and now["autocast"] != first["autocast"]:
        return {"call": call, "what": "autocast", "name": now["autocast"][0],
                "message": f"autocast is on ({', '.join(now['autocast'])}) in {where}; the recorded (first) call "
                           "ran without it"}
    if now["aliases"] and not first["aliases"]:
        g = now["aliases"][0]
        return {"call": call, "what": "alias", "name": g[0],
                "message": f"{' and '.join(g)} share memory in {where}; they were separate tensors in the "
                           "recorded (first) call"}
    if stale:
        return {"call": call, "what": "stale", "name": "",
                "message": f"before {where}: {stale[0]['message']}"}
    for name, rep in (now.get("ints") or {}).items():  # last: only --exact-sizes refuses on it
        was = (first.get("ints") or {}).get(name)
        if was is not None and was != rep:
            return {"call": call, "what": "int_value", "name": name,
                    "message": f"{name} is {rep} in {where}, {was} in the recorded (first) call"}
    return None


class _KeepFiles:
    """The recording stops the user's program part-way: a file it opened for writing (`results.csv`
    opened with "w" before the selection is reached) would be left truncated. An audit hook on "open"
    copies each existing file the program opens for writing, appending or truncation into the
    recording's temporary folder before the open happens, and notes files it creates, in a manifest
    (`files.jsonl`, one line per file). The parent restores from the manifest once this process has
    ended, however it ended (a timeout included), and after the program's open files were flushed."""

    WRITE = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def __init__(self, tmp: str):
        self.tmp = os.path.realpath(tmp)
        self.dir = os.path.join(self.tmp, "files")
        self.manifest = os.path.join(self.tmp, "files.jsonl")
        self.seen: set[str] = set()
        self.busy = False
        self.on = True

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on or self.busy or event not in self.EVENTS:
            return
        self.busy = True
        try:
            if event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                if isinstance(flags, int):
                    writes = bool(flags & self.WRITE)
                else:
                    writes = isinstance(mode, str) and any(c in mode for c in "wax+")
                if writes:
                    self.keep(path)
            elif event in ("os.remove", "os.truncate"):  # os.unlink and Path.unlink raise os.remove
                self.keep(args[0])
            elif event == "os.rename":  # os.replace too: both ends; a folder's files one by one
                # (red team 11: `rmtree("ckpt_old"); rename("ckpt", "ckpt_old")` lost the newest
                # checkpoint: the folder's files were never kept)
                self.keep_tree(args[0])
                self.keep_tree(args[1])
            elif event == "shutil.rmtree" and isinstance(args[0], (str, bytes, os.PathLike)):
                self.keep_tree(args[0])
        except Exception:  # noqa: BLE001 - never break the user's program over a backup
            pass
        finally:
            self.busy = False

    # The start of a run often clears the last one's results (`os.remove("metrics.json")`, red team 9):
    # removals, renames, truncation and rmtree are kept like writes.
    EVENTS = frozenset({"open", "os.remove", "os.rename", "os.truncate", "shutil.rmtree"})
    MAX_TREE = 2000

    def keep_tree(self, path: Any) -> None:
        """keep(path), or each file under it when it is a folder."""
        if isinstance(path, (str, bytes, os.PathLike)) and os.path.isdir(path):
            for root, _, files in os.walk(os.fspath(path)):
                for name in files[:self.MAX_TREE]:
                    self.keep(os.path.join(root, name))
        else:
            self.keep(path)

    def keep(self, path: Any) -> None:
        if isinstance(path, int) or path is None:
            return
        full = os.path.abspath(os.fsdecode(os.fspath(path)))
        if full in self.seen or full == self.tmp or full.startswith(self.tmp + os.sep):
            return
        self.seen.add(full)
        backup = None
        if os.path.isfile(full):
            os.makedirs(self.dir, exist_ok=True)
            backup = os.path.join(self.dir, str(len(self.seen)))
            import shutil
            shutil.copy2(full, backup)
        elif os.path.exists(full):
            return  # not a regular file (a device, a fifo, a folder): nothing to keep
        with open(self.manifest, "a") as f:
            f.write(json.dumps({"path": full, "backup": backup}) + "\n")


_MISSING = object()


def _through_property(expr: str, frame: Any) -> str | None:
    """`Cls.attr` when reading `expr` (`self.scale`) runs a property's code: the call site reads it
    once, before the selected code, where the original read it in place, maybe twice (red team 11: a
    scale computed from an amax the selection updates first; a property drawing noise)."""
    import ast
    import functools
    import inspect

    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    chain = []
    while isinstance(tree, ast.Attribute):
        chain.append(tree)
        tree = tree.value
    for node in reversed(chain):
        try:
            base = eval(ast.unparse(node.value), frame.f_globals, frame.f_locals)  # noqa: S307 - evaluated before
            found = inspect.getattr_static(base, node.attr)
        except Exception:  # noqa: BLE001 - a plain attribute nn.Module keeps in _parameters, or gone
            continue
        if isinstance(found, (property, functools.cached_property)):
            owner = base if isinstance(base, type) else type(base)
            return f"{owner.__name__}.{node.attr}"
    return None


def _mangled(expr: str, cls: str | None) -> str:
    """`self.__gain` as the compiler spells it inside class `cls` (`self._Cls__gain`): eval here runs
    outside the class body, where no mangling happens (red team 9)."""
    if not cls or "__" not in expr:
        return expr
    import ast

    tree = ast.parse(expr, mode="eval")
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr.startswith("__") and not n.attr.endswith("__"):
            n.attr = f"_{cls.lstrip('_')}{n.attr}"
    return ast.unparse(tree)


def _fingerprint(t: Any) -> tuple[Any, ...] | None:
    """Identity and in-place version of a tensor (`MEAN.mul_(255)` bumps `_version`), plus its sum for
    writes that bypass the counter (`MEAN.data.mul_()`)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(t, torch.Tensor):
        return None
    d = t.detach()
    total = float(d.double().sum()) if not d.is_complex() and d.numel() <= 1 << 24 else None
    return (tuple(d.shape), str(d.dtype), d.data_ptr(), t._version, total)


def _tables(copied: list[dict[str, Any]], g: dict[str, Any], objs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Module-level tensors that copied code reads, as the recorded call sees them: Apply holds the
    problem's copy (the file's initializer) to these values, and the applied guard holds the live
    tensor to them at its first call (red team 42 c07, c08, c11). "shares": the selection's inputs
    (by expression) that share memory with the table in this call (red team 46 c17: the caller
    passed the table itself as the input the selection updates in place)."""
    torch = sys.modules.get("torch")
    out = []
    for e in copied:
        live = g.get(e["name"], _MISSING)
        if e["kind"] in ("computed", "value") and torch is not None and _holds_state(live) is None and (
                isinstance(live, torch.nn.Module) or (type(live) is dict and module_attrs(live))):
            try:
                out.append({"name": e["name"], "line": e.get("line", 0), "kind": "module",
                            "attrs": module_attrs(live), "shares": []})
            except Exception:  # noqa: BLE001 - a module whose attributes cannot be read here is not held
                pass
            continue
        if e["kind"] != "computed" or torch is None or not isinstance(live, torch.Tensor):
            continue
        try:
            ptr = _storage(live)
            shares = sorted(k for k, o in (objs or {}).items() if ptr and _storage(o) == ptr)
            out.append({"name": e["name"], "line": e.get("line", 0), "shape": list(live.shape),
                        "dtype": str(live.dtype), "fp": table_fingerprint(live), "shares": shares})
        except Exception:  # noqa: BLE001 - a tensor that cannot be read here (meta, fake) is not held
            continue
    return out


def _holds_state(live: Any) -> str | None:
    """What a module-level object is, when it holds tensors the program can change (an nn.Module with
    parameters or buffers, a dict/list/tuple of tensors); None for plain values and stateless modules."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    if isinstance(live, torch.nn.Module):
        if any(True for _ in live.parameters()) or any(True for _ in live.buffers()):
            return f"an nn.{type(live).__name__}" if type(live).__module__.startswith("torch.nn") else \
                f"a {type(live).__name__} (an nn.Module with weights)"
        return None
    items = live.values() if isinstance(live, dict) else live if isinstance(live, (list, tuple)) else ()
    if any(isinstance(v, (torch.Tensor, torch.nn.Module)) for v in list(items)[:64]):
        return f"a {type(live).__name__} of tensors"
    return None


def _stale(copied: list[dict[str, Any]], g: dict[str, Any], target: str,
           seen: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Copied definitions (deps.Dependencies.expectations) whose live object at the recorded call is
    not what the file defines: replaced or changed by the running program. `seen`: fingerprints of
    copied tensor globals at the first call; a later call whose tensor differs (MEAN.mul_(255),
    red team 9) is stale too."""
    import inspect

    out = []
    for e in copied:
        name, live = e["name"], g.get(e["name"], _MISSING)
        if live is _MISSING:
            continue
        try:
            if e["kind"] == "computed":
                held = _holds_state(live)
                if held:
                    # A module-level nn.Module with weights (EMB = nn.Embedding(...)) read by copied code: the
                    # kernel's module builds its own from the file's line, which never sees the weights the
                    # program loads, trains or moves (red team 44 c11, c15: load_state_dict before the call).
                    out.append({"line": e.get("line", 0), "message": f"'{name}' (line {e.get('line')}) is {held} "
                                f"that the copied code reads: the kernel's module would build its own from line "
                                f"{e.get('line')}, which never sees the weights the program loads, trains or moves"})
                    continue
                if getattr(live, "requires_grad", False) is True:
                    # A parameter at module level (W = nn.Parameter(...)) read by copied code: the kernel
                    # would compute with its frozen copy; no gradient reaches W and the optimizer's
                    # updates never reach the kernel (red team 40 c07, c07c, c13).
                    out.append({"line": e.get("line", 0), "message": f"'{name}' (a tensor the copied code reads, "
                                f"line {e.get('line')}) requires grad: the program trains it, and the kernel would "
                                f"compute with a copy that its gradients never reach and the optimizer's updates never "
                                f"change"})
                    continue
                if seen is None:
                    continue
                fp = _fingerprint(live)
                if name not in seen:
                    seen[name] = fp
                elif fp != seen[name]:
                    out.append({"line": e.get("line", 0), "message": f"'{name}' (a tensor the copied code reads, "
                                f"line {e.get('line')}) changed since the recorded call: the program updated it"})
            elif e["kind"] == "def":
                # The object actually bound, not what its __wrapped__ names: a functools.wraps wrapper
                # installed at run time (globals()["f"] = counted(f)) is another function whose calls
                # the kernel's copy would skip (red team 48 c07). Only a def the file itself decorates
                # is looked through, to the function its decorators wrapped.
                f = inspect.unwrap(live) if callable(live) and e.get("decorated", True) else live
                code = getattr(f, "__code__", None)
                if code is not None and (os.path.realpath(code.co_filename) != target
                                         or code.co_firstlineno not in e["lines"]):
                    out.append({"line": e["lines"][-1], "message": f"'{name}' (defined at line {e['lines'][-1]}) is "
                                f"another function where the selection runs: the program replaced it "
                                f"(with {getattr(f, '__qualname__', type(f).__name__)} from "
                                f"{os.path.basename(code.co_filename)}:{code.co_firstlineno})"})
            elif e["kind"] == "class":
                for attr, rep in (e.get("attrs") or {}).items():
                    now = getattr(live, attr, _MISSING)
                    if now is not _MISSING and repr(now) != rep:
                        out.append({"line": 0, "message": f"'{name}.{attr}' is {now!r} where the selection runs, "
                                    f"not {rep} as the file sets it: the program changed it"})
            elif e["kind"] == "value" and repr(live) != e["repr"]:
                out.append({"line": e.get("line", 0), "message": f"'{name}' is {repr(live)[:60]} where the selection "
                            f"runs, not {e['repr'][:60]} as line {e.get('line')} sets it: the program changed it"})
        except Exception:  # noqa: BLE001 - a value whose repr/unwrap fails is not judged stale
            continue
    return out


def main(argv: list[str]) -> int:
    # `python -m` put this child's starting folder (the file's own) first on sys.path; the user's
    # `python run.py` has only run.py's folder there. Without this, a file the program loads by
    # path looked importable by name (red team 17b c09). Tritonize itself comes from PYTHONPATH.
    if sys.path and os.path.realpath(sys.path[0] or ".") == os.path.realpath(os.getcwd()):
        del sys.path[0]
    spec = json.loads(open(argv[0]).read())
    out_path = argv[1]
    # Without a GPU, a kernel applied earlier (in this file or another) runs in the Triton
    # interpreter here, as it does in the verifier and the behaviour check: a second Generate in a
    # file with an applied kernel failed with "needs CUDA tensors" (try-out 11).
    try:
        import torch

        if not torch.cuda.is_available():
            os.environ.setdefault("TRITON_INTERPRET", "1")
    except Exception:  # noqa: BLE001 - the user's program reports its own import errors
        pass
    keep = _KeepFiles(spec.get("tmp") or os.path.dirname(os.path.abspath(out_path)))
    sys.addaudithook(keep.hook)
    target = os.path.realpath(spec["file"])
    # Several hooks may be recorded in one run of the entry point (each captures once); the program
    # is stopped as soon as all have.
    hooks = spec.get("hooks") or [spec["hook"]]
    results: list[dict[str, Any] | None] = [None] * len(hooks)
    inits: dict[int, dict[str, Any]] = {}

    from tritonize.extract.values import describe

    # After every hook has captured, the program runs on for a short while (LATER_SECONDS, at most
    # LATER_CALLS calls per hook): a later call of the selection under other conditions than the
    # recorded one (gradients, autocast, None, a tensor where a number was, aliased inputs, copied
    # definitions changed) is what the kernel was not verified for; Apply refuses naming it instead
    # of leaving it to the applied code's call-time guard (red team rt8: b08, b30, b36, b37, b87).
    # The window is measured in this process's CPU time, not wall time: on a busy machine (a test
    # suite's parallel workers) wall time stretches and a later call the program makes 4 s of CPU
    # after the first came past a 5 s wall window (CI, session 17). The watchdog below bounds it in
    # wall time too, for a program that sleeps or waits.
    started = time.process_time()
    env_at_start = {k: v for k, v in os.environ.items() if k.startswith(IMPORT_TIME_ENV)}
    first: list[dict[str, Any] | None] = [None] * len(hooks)

    def _env_changed() -> dict[str, str | None]:
        # Also where the selection never ran: a program that turned the JIT off (PYTORCH_JIT=0)
        # before importing torch reached it only without the JIT (red team 20 c02).
        now_env = {k: v for k, v in os.environ.items() if k.startswith(IMPORT_TIME_ENV)}
        return {n: now_env.get(n) for n in sorted(set(now_env) | set(env_at_start)) if now_env.get(n) != env_at_start.get(n)}

    calls = [0] * len(hooks)
    tensors: dict[int, dict[str, Any]] = {}  # copied tensor globals at the first call, per hook
    deadline: list[float] = []
    out_lock = threading.Lock()

    def flush() -> None:
        with out_lock:
            out = [r if r is not None else {"ok": False, "error": error[0], "env_changed": _env_changed()}
                   for r in results]
            tmp_out = out_path + ".part"
            with open(tmp_out, "w") as f:
                json.dump(out if "hooks" in spec else out[0], f)
            os.replace(tmp_out, out_path)

    def watchdog() -> None:  # the program is stuck in native code past the window: end it here
        flush()
        os._exit(0)

    def done(k: int, res: dict[str, Any], frame: Any, objs: dict[str, Any], module: Any = None) -> None:
        torch = sys.modules.get("torch")
        cond = _conditions(torch, objs, module)
        stale = _stale(hooks[k].get("copied") or [], frame.f_globals, target, tensors.setdefault(k, {}))
        if results[k] is not None:  # a later call
            calls[k] += 1
            diff = _differs(first[k], cond, stale, calls[k] + 1)
            if diff and not any(d["what"] == diff["what"] for d in results[k]["later"]):
                results[k]["later"].append(diff)
                flush()
            if deadline and ((not importing[0] and time.process_time() > deadline[0])
                             or all(c >= LATER_CALLS for c in calls)):
                raise _Captured
            return
        first[k] = cond
        res = {**res, "stale": stale, "tables": _tables(hooks[k].get("copied") or [], frame.f_globals, objs)}
        if "aliases" in res:  # a line hook: inputs that share memory in the real run (f(x, x[0]))
            res["aliases"] = cond["aliases"]
        # Autograd mode where the selected code runs: a Triton kernel has no backward.
        grad = bool(torch.is_grad_enabled()) if torch is not None else None
        # The package the file runs in (`models` for models/net.py imported as models.net, '' or None
        # run as a script): how Apply imports a kernel module placed next to it.
        # Settings torch reads when it is imported, which this child did before the program ran:
        # a program that sets them itself (os.environ["OMP_NUM_THREADS"] = "1" before `import
        # torch`) ran here with other ones (red team 20 c01, c14).
        res = {**res, "env_changed": _env_changed()}
        results[k] = {"ok": True, "error": None, "grad_enabled": grad, "autocast": _autocast(torch),
                      "default_dtype": cond["default_dtype"],
                      "package": frame.f_globals.get("__package__") or "", "later": [],
                      "folder_on_path": _folder_on_path(frame.f_globals.get("__file__")), **res}
        if all(r is not None for r in results):
            flush()
            lo, hi = LATER_SECONDS
            window = min(max(lo, time.process_time() - started), hi)
            deadline.append(time.process_time() + window)
            # Wall time for a program that sleeps or blocks: the longest window, however busy the box
            # (two test workers and a red team on two cores starved a 5 s CPU window of its 11 s).
            t = threading.Timer(hi + 1.0, watchdog)
            t.daemon = True
            t.start()

    def capture_line(k: int, frame: Any) -> None:
        values = {}
        objs: dict[str, Any] = {}
        later = results[k] is not None
        for expr in hooks[k]["exprs"]:
            try:
                obj = eval(_mangled(expr, hooks[k].get("cls")), frame.f_globals, frame.f_locals)  # noqa: S307
                objs[expr] = obj
                if later:
                    continue
                values[expr] = describe(obj)
                prop = _through_property(_mangled(expr, hooks[k].get("cls")), frame)
                if prop:
                    values[expr]["via_property"] = prop
            except (NameError, UnboundLocalError):
                values[expr] = {"kind": "unbound"}
            except AttributeError as e:
                values[expr] = {"kind": "unbound", "error": str(e)}
        # Inputs that share memory (a kernel gets them as separate tensors): filled in by done().
        done(k, {"values": values, "aliases": []}, frame, objs)

    def local_line(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            for k, hook in enumerate(hooks):
                if hook["kind"] == "line" and frame.f_lineno == hook["line"] \
                        and _matches(frame.f_code, target, hook):
                    capture_line(k, frame)
        return local_line

    # The names of the code objects any hook waits for: every other call returns at once (the trace
    # hook runs on every Python call of the program, imports included).
    names = set()
    for hook in hooks:
        for h in (hook, hook.get("init"), hook.get("forward")):
            if h and h.get("code_name"):
                names.add(h["code_name"])

    ticks = [0]
    # Time spent importing does not count toward the window: a program's first optimizer step
    # imports torch._dynamo (~900 modules, 2-5 s of CPU under this trace hook on a busy box), and
    # its training loop's call of the selection came after a 5 s window (found by a test run).
    importing = [0, 0.0]  # nesting depth, CPU time at the outermost import's start

    def import_done(frame: Any, event: str, arg: Any) -> Any:
        if event == "return":
            importing[0] -= 1
            if not importing[0] and deadline:
                deadline[0] += time.process_time() - importing[1]
            return None
        return import_done

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        code = frame.f_code
        if deadline:
            if code.co_name == "_find_and_load" and event == "call" and code.co_filename.startswith("<frozen importlib"):
                if not importing[0]:
                    importing[1] = time.process_time()
                importing[0] += 1
                return import_done
            ticks[0] += 1  # CPU time is a system call, not a vDSO read: look every 64 calls
            if not importing[0] and not ticks[0] & 63 and time.process_time() > deadline[0]:
                raise _Captured
        if event != "call" or code.co_name not in names:
            return None
        local = None
        for k, hook in enumerate(hooks):
            if hook["kind"] == "line" and _matches(code, target, hook):
                local = local_line
            elif hook["kind"] == "call" and _matches(code, target, hook):
                objs = {p: frame.f_locals[p] for p in hook["params"] if p in frame.f_locals}
                done(k, {"values": {p: describe(v) for p, v in objs.items()} if results[k] is None else {}},
                     frame, objs)
            elif hook["kind"] == "class":
                if hook.get("init") and _matches(code, target, hook["init"]):
                    self = frame.f_locals.get(hook["init"]["self"])
                    inits[id(self)] = {p: describe(frame.f_locals[p]) for p in hook["init"]["params"]
                                       if p in frame.f_locals}
                elif _matches(code, target, hook["forward"]):
                    self = frame.f_locals.get(hook["forward"]["self"])
                    params = getattr(self, "parameters", None)
                    try:
                        grads = [n for n, p in self.named_parameters() if p.requires_grad] if params else []
                    except Exception:  # noqa: BLE001 - not an nn.Module after all
                        grads = []
                    objs = {p: frame.f_locals[p] for p in hook["forward"]["params"] if p in frame.f_locals}
                    done(k, {"values": {p: describe(v) for p, v in objs.items()} if results[k] is None else {},
                             "init": inits.get(id(self), {}), "params_requiring_grad": grads[:3]}, frame, objs, self)
        return local

    error = ["the entry point finished without running the selected code"]
    entry = spec["entry"]
    os.chdir(entry.get("cwd") or os.path.dirname(target))
    sys.settrace(tracer)
    try:
        if entry["kind"] == "script":
            sys.argv = [entry["path"], *entry.get("argv", [])]
            sys.path.insert(0, os.path.dirname(os.path.abspath(entry["path"])))
            runpy.run_path(entry["path"], run_name="__main__")
        elif entry["kind"] == "module":
            sys.argv = [entry["name"], *entry.get("argv", [])]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(entry["name"], run_name="__main__", alter_sys=True)
        else:  # call test functions of the file
            sys.path.insert(0, os.path.dirname(target))
            ns = runpy.run_path(target, run_name="__tritonize_tests__")
            for name in entry["names"]:
                ns[name]()
    except _Captured:
        pass
    except SystemExit as e:
        if e.code not in (0, None):
            error[0] = f"the entry point exited with status {e.code} before running the selected code"
    except BaseException as e:  # noqa: BLE001 - report the user's program failure as it is
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        error[0] = f"the entry point raised {type(e).__name__}: {e}{where}".splitlines()[0]
    finally:
        sys.settrace(None)
        keep.on = False
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
