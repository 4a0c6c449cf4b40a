"""Instrumentation installed in a candidate worker before the candidate is imported.

- Triton launches are counted by wrapping the launch entry points (`JITFunction.run`, the
  interpreter's `InterpretedFunction.run`, autotuner/heuristics wrappers), which works for both
  compiled and interpreted kernels and across Triton 3.6–3.8.
- PyTorch ops executed by `forward` outside Triton launches are recorded with a
  TorchDispatchMode: compute ops there mean the answer came from PyTorch (a fallback, or a decoy
  Triton launch next to the real torch computation).
- An integrity snapshot of the functions the verifier and timer depend on detects monkeypatching.

A hostile candidate runs in the same process and could in principle undo all of this; the parent
never trusts the worker for the comparison itself, and on CUDA the profiler's kernel list is a
second, independent witness for fallbacks.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# The op tables are shared with the judge (a problem that only moves data, judge/verdicts.py);
# bound here as globals, so rebinding them shows in the integrity snapshot.
from ..common.op_names import ALLOC_AND_VIEW as _ALLOC_AND_VIEW, DATA_MOVEMENT as _DATA_MOVEMENT  # noqa: E402
from ..common.trial_kinds import STATE_PREFIX  # noqa: E402
from . import kernel_source  # noqa: E402

# Composite or bookkeeping ops the profiler names but the dispatch recorder sees decomposed.
_WITNESS_NEUTRAL = frozenset({"item", "type_as", "is_same_size", "resolve_conj", "resolve_neg", "result_type", "is_nonzero",
                    "broadcast_tensors", "detach_", "requires_grad_", "_has_compatible_shallow_copy_type",
                    "lift", "lift_fresh_copy", "_nested_tensor_from_mask_left_aligned", "align_to", "refine_names",
                    "_reshape_copy", "stride", "size", "is_pinned", "conj", "_conj", "_neg_view",
                    "pad"})  # F.pad: recorded as constant_pad_nd (data movement)


@dataclass
class LaunchLog:
    kernels: dict[str, int] = field(default_factory=dict)
    # Storages handed to this trial's launches: which outputs a kernel was given, in every trial
    # (the unobserved one included, where nothing else is recorded). None outside a trial's forward:
    # a timed launch does no bookkeeping.
    storages: set | None = None
    depth: int = 0  # > 0 while inside a Triton launch (its own torch ops are not the candidate's)
    # Launches on a stream other than the one the verifier times: their work escapes CUDA events.
    foreign_streams: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.kernels.values())


LAUNCHES = LaunchLog()
EXPECTED_STREAM: int | None = None  # raw handle of the timed stream (CUDA only)


TRACK = {"on": False}  # set while a trial's forward is observed (turning it off only loses provenance)
# Storages the forward allocated uninitialised (torch.empty...) that no recorded op and no launch has
# touched yet, with their checksum at allocation. A launch given one whose bytes changed meanwhile
# reads data written by neither: through a NumPy view of it, say (red team: np.matmul(..., out=
# TensorBase.numpy(staging)), then a Triton copy of `staging`). Cleared per observed forward.
FRESH: dict[tuple[str, int, int], tuple[int, int]] = {}
# Storages made during forward from host data (torch.tensor of a NumPy array or a list: aten
# lift_fresh), with at least HOST_DATA_MIN elements, and copies/views of them: a launch reading one
# reads an answer computed on the host (red team 7: NumPy reached through doors no wrapper guards,
# its result staged back with torch.tensor). Small ones are constant tables.
HOSTDATA: dict[tuple[str, int, int], int] = {}
HOST_DATA_MIN = 1024
_UNINIT_ALLOC = frozenset({"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"})


def _tensors(xs: Any) -> list[torch.Tensor]:
    """The tensors a launch is given, including the tensor under a host-side TMA descriptor
    (triton.tools.tensor_descriptor.TensorDescriptor(base=...)): a kernel that stores through one
    writes that tensor (its provenance was missed: a correct TMA kernel was output_not_from_kernel)."""
    out: list[torch.Tensor] = []
    for x in xs:
        for y in (x if isinstance(x, (tuple, list)) else (x,)):
            if isinstance(y, torch.Tensor):
                out.append(y)
            elif isinstance(getattr(y, "base", None), torch.Tensor):
                out.append(y.base)
    return out


def storage_key(t: torch.Tensor) -> tuple[str, int, int]:
    s = t.untyped_storage()
    return (str(t.device), int(s.data_ptr()), int(s.nbytes()))


CHECKSUM_S = [0.0]  # seconds spent in checksum() (a diagnostic the trial's time_s shows)
_FUNCTION_MODES = torch._C._len_torch_function_stack
_DISPATCH_MODES = torch._C._len_torch_dispatch_stack


def modes_active() -> int:
    """Torch function and dispatch modes on their stacks now. A candidate that enters one in forward
    and never leaves it sees every torch op the harness runs afterwards: the checksums, the copies
    it keeps for the re-check (red team 16 finished a timed call's work there, off the clock)."""
    return _FUNCTION_MODES() + _DISPATCH_MODES()


def checksum(t: torch.Tensor) -> tuple[int, int]:
    """Two 64-bit sums over the bytes of t's whole storage: equal before and after a launch means
    the launch did not write there. Runs under a profiler range the witness ignores."""
    t0 = time.perf_counter()
    try:
        return _checksum(t)
    finally:
        CHECKSUM_S[0] += time.perf_counter() - t0


def _checksum(t: torch.Tensor) -> tuple[int, int]:
    with torch.profiler.record_function(INTERNAL), torch.no_grad():
        s = t.untyped_storage()
        n = s.nbytes()
        if n == 0:
            return (0, 0)
        u8 = torch.empty(0, dtype=torch.uint8, device=t.device).set_(s, 0, (n,), (1,))
        # 64-bit words where the storage allows: int64 sums read at full bandwidth, while an int32
        # sum accumulating in int64 ran at a fifth of it (6.4 GB: 2.1 ms against 11 ms on the H100,
        # session 17). One changed byte still changes its word, hence the sum.
        w = u8.view(torch.int64) if n % 8 == 0 else u8.view(torch.int32) if n % 4 == 0 else u8.to(torch.int32)
        # In slices: the whole-storage temporaries (three int32 copies and an int64 one) made this
        # 3-5x slower on the CPU (a 64 MB argument: 2.5 s, of a 3 s interpreted forward) and cost
        # GBs of device memory for a GB-sized one. On CUDA 1 GB slices (two 1 GB temporaries): each
        # op here also goes through the op recorder and the profiler, whose events are read back
        # after forward; 256 MB slices made a 6 GB trial's checks 0.8 s slower (H200, session 8).
        # int64 addition wraps either way. The second sum is of squares (wrapping): as
        # nonlinear as the multiply-xor hash it replaced, in three passes over the slice instead of
        # eight (a 6.4 GB ReLU's forward made ~38 GB of checksums: 0.4 s a trial, H100 session 16).
        step = ((1 << 30) if t.device.type == "cuda" else (1 << 20)) // w.element_size()  # bytes per slice / word size
        sums = []
        for i in range(0, w.numel(), step):
            c = w[i:i + step]
            sums.append(c.sum(dtype=torch.int64))
            sums.append(torch.mul(c, c).sum(dtype=torch.int64))
        return tuple(int(v) for v in torch.stack(sums).view(-1, 2).sum(0).tolist())  # type: ignore[return-value]


INTERNAL = "tritonize::internal"
FORWARD = "tritonize::forward"  # profiler range around the observed forward (marks its thread)


# CPU interpreter: the judge asks for one trial with every kernel's programs run in reverse order.
# The interpreter runs programs one after another in order, so a kernel that reads what an earlier
# program wrote without synchronisation (a blocked scan's carry) was right on every trial, and is a
# race on a GPU (red team 17). Not for kernels that use atomics: those may order programs on purpose
# (a ticket counter, a spin-wait), which a reversed order would hang.
PROGRAM_ORDER = {"reverse": False, "atomics": False}
_ATOMICS: dict[Any, bool] = {}


def _uses_atomics(fn: Any) -> bool:
    if fn not in _ATOMICS:
        import ast
        import inspect
        import textwrap

        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
            _ATOMICS[fn] = any(isinstance(n, ast.Attribute) and n.attr.startswith("atomic_") for n in ast.walk(tree))
        except (OSError, TypeError, SyntaxError):
            _ATOMICS[fn] = True  # no source to read: keep the natural order
    return _ATOMICS[fn]


def _reversible_grid(interpreter: Any) -> None:
    cls = interpreter.InterpreterBuilder
    original = cls.__dict__.get("set_grid_idx")
    if original is None or getattr(original, "_tritonize_wrapped", False):
        return

    def set_grid_idx(self, x, y, z):
        if PROGRAM_ORDER["reverse"] and not PROGRAM_ORDER["atomics"]:
            gx, gy, gz = self.grid_dim
            x, y, z = gx - 1 - x, gy - 1 - y, gz - 1 - z
        return original(self, x, y, z)

    set_grid_idx._tritonize_wrapped = True  # type: ignore[attr-defined]
    cls.set_grid_idx = set_grid_idx


# In the same trial, the addresses each program stores to and loads from are remembered for the rest
# of the launch. A program that loads what another program of the launch stored, or stores where
# another program loaded, is a race on a GPU whatever order the interpreter
# ran them in: nothing orders a plain store in one program and a plain load in another (only atomics
# do, and kernels with atomics are left out as above). The reversed order shows a scan that reads its
# carry before it is written as wrong values; this also shows what every sequential order gets right:
# a lost update (load, add, store to one address from several programs: red team 17 race_rmw_sum)
# and a carry taken only when its plain ready flag is set, recomputed otherwise (red team 18 c3b).
# Launches that touch more than _RACE_MAX elements are not followed past that.
# Addresses are elements' first bytes while the spans accessed with each element size stay apart (an
# int8 mask next to an fp32 output); from the first access whose span meets another size's on (an
# int16 view of an fp32 output), every byte is its own address (red team 47 c08: a garbage half-word
# stored into a neighbour's float, then overwritten).
_RACE: dict[str, Any] = {"writes": {}, "reads": {}, "values": {}, "seen": False, "waw": None, "atomic_ran": False,
                         "spans": {}, "bytes": False, "atomics": {}}


def _race(what: str) -> None:
    _RACE["seen"] = True
    sys.audit("tritonize.evidence", "call", "program_race", what + ", with no atomic ordering the two",
              _candidate_line() or 1)


def _race_flush() -> None:
    """At an interpreted launch's end: a race kept back because the kernel names atomics, when no
    contended atomic ran."""
    what, _RACE["waw"] = _RACE.get("waw"), None
    if what and not _RACE.get("atomic_ran") and not _RACE.get("seen"):
        _race(what)


_RACE_MAX = 1 << 22
_MANY = (-1, -1, -1)  # an address loaded by more than one program


def _race_watch(interpreter: Any) -> None:
    cls = interpreter.InterpreterBuilder
    load, store, dims = (cls.__dict__.get(n) for n in ("create_masked_load", "create_masked_store", "set_grid_dim"))
    if load is None or store is None or dims is None or getattr(load, "_tritonize_wrapped", False):
        return
    import numpy as np

    def size_of(ptrs: Any) -> int:
        try:
            return max(1, int(ptrs.dtype.element_ty.primitive_bitwidth) // 8)
        except Exception:
            return 0  # unknown: counted as a size of its own

    def to_bytes() -> None:
        """What was kept per element is now kept per byte (an element's stored bits split
        little-endian, as in memory); each element's size is that of the span it lies in."""
        spans = list(_RACE["spans"].items())

        def size_at(a: int) -> int:
            return next((max(k, 1) for k, (lo, hi) in spans if lo <= a < hi), 1)
        _RACE["bytes"] = True
        for key in ("writes", "reads"):
            _RACE[key] = {a + i: p for a, p in _RACE[key].items() for i in range(size_at(a))}
        _RACE["values"] = {a + i: (b >> (8 * i)) & 0xFF if isinstance(b, int) else b
                           for a, b in _RACE["values"].items() for i in range(size_at(a))}

    def addresses(ptrs: Any, mask: Any) -> list[int]:
        k = size_of(ptrs)
        p = np.asarray(ptrs.data)
        m = np.broadcast_to(np.asarray(mask.data, dtype=bool), p.shape)
        at = p[m]
        if not at.size:
            return []
        if not _RACE["bytes"]:
            lo, hi = int(at.min()), int(at.max()) + max(k, 1)
            spans = _RACE["spans"]
            if any(s != k and a < hi and lo < b for s, (a, b) in spans.items()):
                to_bytes()
            else:
                old = spans.get(k)
                spans[k] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
        if _RACE["bytes"]:
            at = (at.astype(np.int64)[:, None] + np.arange(max(k, 1), dtype=np.int64)).ravel()
        return at.tolist()

    def stored(ptrs: Any, value: Any, mask: Any) -> list[Any] | None:
        """The bits each address gets (NaN payloads and signed zeros told apart), or None."""
        try:
            p = np.asarray(ptrs.data)
            m = np.broadcast_to(np.asarray(mask.data, dtype=bool), p.shape)
            v = np.ascontiguousarray(np.broadcast_to(np.asarray(value.data), p.shape)[m])
            if _RACE["bytes"]:
                return v.view(np.uint8).tolist() if v.dtype.itemsize == size_of(ptrs) else None
            return (v.view(f"u{v.dtype.itemsize}") if v.dtype.itemsize in (1, 2, 4, 8) else v).tolist()
        except Exception:  # a handle without plain data: the address check alone
            return None

    def set_grid_dim(self, nx, ny, nz):  # once per launch
        _RACE["writes"], _RACE["reads"], _RACE["values"], _RACE["atomics"] = {}, {}, {}, {}
        _RACE["seen"], _RACE["waw"], _RACE["atomic_ran"] = False, None, False
        _RACE["spans"], _RACE["bytes"] = {}, False
        return dims(self, nx, ny, nz)

    def watching() -> bool:
        # A kernel whose source names an atomic keeps its natural order (a spin-wait would hang
        # reversed), but only atomics that run, contended, can order plain stores and loads: red team
        # 45 c03 put a tl.atomic_add that never ran into its kernel, red team 49 c01 one per program
        # to its own slot, to turn the watch off. In such kernels what is seen is said at the
        # launch's end unless such an atomic ran (_race_flush).
        return PROGRAM_ORDER["reverse"] and not _RACE["seen"] and not _RACE["atomic_ran"]

    def said(what: str) -> None:
        if not PROGRAM_ORDER["atomics"]:
            _race(what)
        elif not _RACE["waw"]:
            _RACE["waw"] = what

    def atomic(original: Any) -> Any:
        """Counts as ordering the launch's plain stores only when some address is taken atomically by
        two programs (a lock, a ticket counter): red team 47 c03 turned the check off with an atomic
        whose mask was all false; a program's atomic on an address no other program touches orders
        nothing either."""
        import inspect

        params = list(inspect.signature(original).parameters)

        def ran(self, *args, **kwargs):
            try:
                if _RACE["atomic_ran"]:
                    return original(self, *args, **kwargs)
                bound = dict(zip(params, (self,) + args), **kwargs)
                p = np.asarray(bound["ptr"].data)
                m = bound.get("mask")
                at = p[np.broadcast_to(np.asarray(m.data, dtype=bool), p.shape)] if m is not None else p.ravel()
                me, seen = self.grid_idx, _RACE["atomics"]
                for a in at.tolist():
                    if seen.setdefault(a, me) != me:
                        _RACE["atomic_ran"] = True
                        break
            except Exception:
                _RACE["atomic_ran"] = True  # a form not read here: as before, trusted to order
            return original(self, *args, **kwargs)
        ran._tritonize_wrapped = True  # type: ignore[attr-defined]
        return ran
    for n, f in list(vars(cls).items()):
        if n.startswith("create_atomic") and callable(f):
            setattr(cls, n, atomic(f))

    # (Called positionally by tl.load/tl.store, with keywords by tensor descriptors' loads: red team 19 f11.)
    def create_masked_store(self, ptrs, value, mask, *rest, **kw):
        if watching() and len(_RACE["writes"]) < _RACE_MAX:
            me, at = self.grid_idx, addresses(ptrs, mask)
            writes, reads = _RACE["writes"], _RACE["reads"]  # (after: addresses() may turn them per-byte)
            other = set(map(reads.get, at)) - {None, me} if reads and watching() else None
            if other:
                who = "several programs" if _MANY in other else f"program {min(other)}"
                said(f"program {me} of the launch stores where {who} of the same launch loaded")
            # Two programs storing different values to one address: which lands last is the GPU's
            # choice (red team 43 c02: a garbage store between two neighbours' good ones, right in
            # both sequential orders). Equal values are no race.
            bits, values = stored(ptrs, value, mask), _RACE["values"]
            if bits is not None and len(bits) == len(at):
                earlier = list(map(writes.get, at)) if writes else []
                if set(earlier) - {None, me}:
                    for a, w, b in zip(at, earlier, bits):
                        if w is not None and w != me and values.get(a, b) != b and not _RACE["waw"]:
                            said(f"program {me} of the launch stores another value where program {w} of the same launch stored")
                            break
                values.update(zip(at, bits))
            writes.update(dict.fromkeys(at, me))
        return store(self, ptrs, value, mask, *rest, **kw)

    def create_masked_load(self, ptrs, mask, *rest, **kw):
        if watching() and len(_RACE["reads"]) < _RACE_MAX:
            me, at = self.grid_idx, addresses(ptrs, mask)
            writes, reads = _RACE["writes"], _RACE["reads"]
            other = set(map(writes.get, at)) - {None, me} if writes else None
            if other:
                said(f"program {me} of the launch loads what program {min(other)} of the same launch stored")
            # Loaded by another program before: remembered as "several", so a store by either one is seen
            # (red team 19 c24: the last loader alone hid the first).
            seen = list(map(reads.get, at)) if reads else []
            reads.update(dict.fromkeys(at, me))
            if set(seen) - {None, me}:  # (the per-address pass only where another program loaded)
                reads.update(dict.fromkeys((a for a, p in zip(at, seen) if p is not None and p != me), _MANY))
        return load(self, ptrs, mask, *rest, **kw)

    for f in (set_grid_dim, create_masked_store, create_masked_load):
        f._tritonize_wrapped = True  # type: ignore[attr-defined]
    cls.set_grid_dim, cls.create_masked_store, cls.create_masked_load = set_grid_dim, create_masked_store, create_masked_load
    _EVIDENCE_CODE.append(_race.__code__)


def _wrap_run(cls: type, attr: str = "run") -> None:
    original = cls.__dict__.get(attr)
    if original is None or getattr(original, "_tritonize_wrapped", False):
        return

    def run(self, *args, **kwargs):
        fn = getattr(self, "fn", None)
        name = getattr(fn, "__name__", None) or getattr(self, "__name__", type(self).__name__)
        if cls.__name__ == "InterpretedFunction" and PROGRAM_ORDER["reverse"]:
            PROGRAM_ORDER["atomics"] = _uses_atomics(fn)
        counts_as_launch = cls.__name__ in ("JITFunction", "InterpretedFunction") and not kwargs.get("warmup", False)
        if counts_as_launch:
            LAUNCHES.kernels[name] = LAUNCHES.kernels.get(name, 0) + 1
            if LAUNCHES.storages is not None:
                for t in _tensors(list(args) + list(kwargs.values())):
                    try:
                        LAUNCHES.storages.add(t.untyped_storage().data_ptr())
                    except Exception:
                        pass
            if EXPECTED_STREAM is not None and torch.cuda.current_stream().cuda_stream != EXPECTED_STREAM:
                LAUNCHES.foreign_streams[name] = LAUNCHES.foreign_streams.get(name, 0) + 1
        # Provenance: which storages this launch was given and whether it changed them (outermost
        # wrapper only: an autotuned launch is one launch of the user's).
        tracked = TRACK["on"] and LAUNCHES.depth == 0 and not kwargs.get("warmup", False)
        LAUNCHES.depth += 1  # before the checksums: their ops are this module's, not the candidate's
        try:
            before = []
            if tracked:
                seen = set()
                for t in _tensors(list(args) + list(kwargs.values())):
                    k = storage_key(t)
                    if k not in seen:
                        seen.add(k)
                        before.append((k, t, checksum(t)))
            if TRACK["on"] and FRESH and not kwargs.get("warmup", False):
                _fresh_check(args, kwargs, {k: b for k, _t, b in before}, counts_as_launch)
            if TRACK["on"] and HOSTDATA and not kwargs.get("warmup", False):
                _host_data_check(args, kwargs, name)
            if TRACK["on"] and counts_as_launch:
                _launch_args_check(args, kwargs, name)
                if cls.__name__ == "InterpretedFunction":
                    _kernel_globals_check(fn, name)
                _kernel_source_check(self, name)
            try:
                result = original(self, *args, **kwargs)
                if cls.__name__ == "InterpretedFunction" and _RACE.get("waw"):
                    _race_flush()
            except Exception as exc:  # annotate, never swallow: the verdict needs the kernel
                if not hasattr(exc, "_tritonize_kernel"):
                    try:
                        exc._tritonize_kernel = self  # type: ignore[attr-defined]
                    except Exception:
                        pass
                raise
            if tracked:
                if EXPECTED_STREAM is not None:
                    torch.cuda.synchronize()
                sys.audit("tritonize.evidence", "launch", name, tuple((k, b, checksum(t)) for k, t, b in before))
                for k, _t, _b in before:  # written or not, what this launch was given is its business now
                    FRESH.pop(k, None)
        finally:
            LAUNCHES.depth -= 1
        return result

    run.__name__, run.__qualname__, run.__doc__ = original.__name__, original.__qualname__, original.__doc__
    run._tritonize_wrapped = True  # type: ignore[attr-defined]
    _EVIDENCE_CODE.append(run.__code__)
    setattr(cls, attr, run)


def _fresh_check(args: tuple, kwargs: dict, known: dict, is_kernel: bool) -> None:
    """Launch arguments still in FRESH: changed since allocation = written by no op and no launch.
    An outer (autotune) launch checks before its pre_hooks run; the kernel launch inside it checks
    again after them and takes the storages out of FRESH."""
    seen = set()
    for t in _tensors(list(args) + list(kwargs.values())):
        k = storage_key(t)
        if k in seen or k not in FRESH:
            continue
        seen.add(k)
        now = known.get(k) or checksum(t)
        if now != FRESH[k]:
            FRESH.pop(k, None)
            sys.audit("tritonize.evidence", "call", "host_compute",
                      "a buffer from torch.empty (or a PyTorch copy) that a launch or copy read, changed by no PyTorch "
                      "op and no kernel (a NumPy or other host view of it?)", _candidate_line() or 1)
        elif is_kernel:
            FRESH.pop(k, None)


def _host_data_check(args: tuple, kwargs: dict, kernel: str) -> None:
    for t in _tensors(list(args) + list(kwargs.values())):
        n = HOSTDATA.pop(storage_key(t), None)
        if n is not None:
            sys.audit("tritonize.evidence", "call", "host_compute",
                      f"{kernel} reads a tensor of {n} elements built from host data during forward (torch.tensor "
                      "of a NumPy array or a Python list): an answer computed on the host", _candidate_line() or 1)


def _mapped(values: list[int]) -> bool:
    """Whether any value lies in one of this process's memory mappings (/proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            spans = [tuple(int(x, 16) for x in line.split(None, 1)[0].split("-")) for line in f]
    except OSError:
        return False
    return any(lo <= v < hi for v in values for lo, hi in spans)


def _launch_args_check(args: tuple, kwargs: dict, kernel: str) -> None:
    """What a launch passes besides tensors and numbers. Red team 11: objects that are not torch
    tensors but answer data_ptr() (wrapping NumPy arrays) carried the data in and out of kernels
    while NumPy computed in between; a plain Python function passed as a constexpr ran on the host
    in the interpreter (on a GPU only @triton.jit functions can be called from a kernel)."""
    from triton.runtime.jit import KernelInterface

    addresses = [v for v in list(args) + list(kwargs.values()) if type(v) is int and abs(v) >= 1 << 32]
    if addresses and _mapped(addresses):
        # Red team 11: integer addresses of NumPy arrays, cast to pointers in the kernel
        # (`addr.to(tl.pointer_type(...))`); NumPy computed between two such launches.
        sys.audit("tritonize.evidence", "call", "raw_pointer",
                  f"{kernel} was passed an integer that is an address in this process's memory",
                  _candidate_line() or 1)
    for v in list(args) + [v for k, v in kwargs.items() if k not in ("grid", "warmup")]:  # grid: Triton's own
        if v is None or isinstance(v, (torch.Tensor, int, float, bool, str, torch.dtype, KernelInterface)):
            continue
        triton_own = (type(v).__module__ or "").startswith("triton")
        if hasattr(v, "data_ptr") and not (triton_own and isinstance(getattr(v, "base", None), torch.Tensor)):
            sys.audit("tritonize.evidence", "call", "raw_pointer",
                      f"{kernel} was passed a {type(v).__name__}, not a tensor, that answers data_ptr()",
                      _candidate_line() or 1)
        elif callable(v) and not isinstance(v, type) and not (getattr(v, "__module__", "") or "").startswith("triton"):
            sys.audit("tritonize.evidence", "call", "host_function",
                      f"{kernel} was passed a plain Python function ({getattr(v, '__name__', type(v).__name__)}), "
                      "which only the CPU interpreter can call from a kernel; make it @triton.jit",
                      _candidate_line() or 1)
        elif _host_object(v):
            sys.audit("tritonize.evidence", "call", "host_function",
                      f"{kernel} was passed a {type(v).__name__} object of the candidate's: only the CPU interpreter "
                      "runs kernel code on it (its operators run on the host); pass numbers, tensors or constexprs",
                      _candidate_line() or 1)


def _host_object(v: Any) -> bool:
    """A value a GPU kernel could not use but the interpreter runs: an instance of a class of the
    candidate's (its operators run on the host: `S + x` handed NumPy the block, red team 21 c28,
    c31) or a plain Python function. Numbers, strings, dtypes, constexprs, modules, classes and
    Triton's or torch's own objects are what kernels use."""
    import types

    from triton.runtime.jit import KernelInterface

    if v is None or isinstance(v, (int, float, bool, str, bytes, torch.dtype, torch.Tensor, KernelInterface,
                                   types.ModuleType, type)):
        return False
    if isinstance(v, (tuple, list)):
        return any(_host_object(e) for e in v)
    mod = type(v).__module__ or ""
    if mod.startswith("triton") and type(v).__name__ == "constexpr":
        # tl.constexpr(obj) forwards calls to obj: an attrgetter or a partial(np.cumsum) inside one
        # ran NumPy in the interpreted kernel (red team 23 c11b). What it holds is what is used.
        inner = getattr(v, "value", None)
        return inner is not v and _host_object(inner)
    if mod.startswith(("triton", "torch", "builtins", "numpy")) and not isinstance(v, types.FunctionType):
        return False
    if isinstance(v, types.FunctionType):
        return not (v.__module__ or "").startswith(("triton", "math"))
    return True


_HOST_BUILTINS = frozenset({"getattr", "setattr", "delattr", "vars", "globals", "locals", "eval", "exec",
                            "compile", "__import__", "open", "type", "object", "super"})
_HOST_ATTRS = frozenset({"__getattribute__", "__getattr__", "__setattr__", "__dict__", "__class__", "handle",
                         "__globals__", "__closure__", "__code__"})


@functools.lru_cache(maxsize=256)
def _code_names(code: Any) -> tuple[frozenset, frozenset]:
    """(globals loaded, attributes used) by a kernel's code: disassembled once, not at every launch."""
    import dis

    ins = list(dis.get_instructions(code))
    return (frozenset(i.argval for i in ins if i.opname == "LOAD_GLOBAL"),
            frozenset(i.argval for i in ins if i.opname in ("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR")))


def _kernel_globals_check(fn: Any, kernel: str) -> None:
    """The Triton CPU interpreter runs a kernel's body as Python, so a global it reads may be any
    object; a GPU build accepts constexprs, numbers and @triton.jit functions there. A candidate's
    own object (or plain function) read by a kernel computed on the host (red team 21 c31)."""
    code = getattr(fn, "__code__", None)
    glob = getattr(fn, "__globals__", None)
    if code is None or not isinstance(glob, dict):
        return
    # Attribute access by computed name, or the interpreter's own objects behind a block
    # (`getattr(v, "han" + "dle").data` handed NumPy the loaded values: red team 22 F3); a GPU
    # build has no such attributes or builtins in a kernel.
    loads, attrs = _code_names(code)
    bad = sorted((loads & _HOST_BUILTINS) - set(glob)) + sorted(attrs & _HOST_ATTRS)
    if bad:
        sys.audit("tritonize.evidence", "call", "host_function",
                  f"{kernel} uses {bad[0]} in its body: in the CPU interpreter that reaches the host objects "
                  "behind a block (a GPU build has no such builtin or attribute in a kernel)", _candidate_line() or 1)
        return
    for name in loads:
        if name in glob and _host_object(glob[name]):
            v = glob[name]
            sys.audit("tritonize.evidence", "call", "host_function",
                      f"{kernel} reads the global {name}, a {type(v).__name__} of the candidate's: only the CPU "
                      "interpreter runs kernel code on such an object (its methods run on the host); a GPU build "
                      "takes constexprs, numbers and @triton.jit functions", _candidate_line() or 1)
            return


def _kernel_source_check(kernel: Any, name: str) -> None:
    """A launched kernel, and the @triton.jit functions of its module, compile from the candidate's
    file as the judge wrote it (kernel_source.py): not from text put into linecache before the
    decorator read it, nor from a `_src` set afterwards."""
    bad = kernel_source.pin_changed()
    if bad is None:
        glob = getattr(getattr(kernel, "fn", None), "__globals__", None)
        others = [v for v in list(glob.values()) if isinstance(v, type(kernel)) and v is not kernel] \
            if isinstance(glob, dict) else []
        for k in [kernel] + others:
            bad = kernel_source.source_changed(k)
            if bad:
                break
    if bad:
        sys.audit("tritonize.evidence", "call", "kernel_source", f"{name}: {bad}", _candidate_line() or 1)


_EVIDENCE_CODE: list[Any] = [_fresh_check.__code__, _host_data_check.__code__,  # allowed to add evidence (guard.register)
                             _launch_args_check.__code__, _kernel_globals_check.__code__,
                             _kernel_source_check.__code__]


_ROTATION = {"on": False}  # on from a candidate job's start to the end of its trials
# id(autotuner) -> its kernel's name, every config, the next turn, the configs run and those it
# cannot run (pruned for the last arguments, or not buildable here)
_ROTATION_STATE: dict[int, dict[str, Any]] = {}


def _rotate_autotune(autotuner_cls: type) -> None:
    """While the trials run, each call of an autotuned kernel runs the next of its configs instead
    of the one the autotuner picks, so that every config is checked, not only the one that wins at
    the trial sizes: checking the first one only let configs a GPU would pick skip half the rows
    (red team 10), and the user's shapes may make the autotuner pick another. The interpreter has no
    device to time configs on anyway. Configs Triton itself would not run for these arguments are
    left out: those `early_config_prune` drops, and those this GPU cannot build or fit (the
    autotuner skips them the same way). `end_autotune_rotation` gives the benchmark the autotuner's
    own choice; its timed outputs are re-checked there."""
    from triton.runtime.errors import OutOfResources

    cannot_run: tuple[type, ...] = (OutOfResources,)
    for mod, name in (("triton.runtime.errors", "PTXASError"), ("triton.compiler.errors", "CompileTimeAssertionFailure")):
        try:
            cannot_run += (getattr(__import__(mod, fromlist=[name]), name),)
        except (ImportError, AttributeError):
            pass
    original = autotuner_cls.run

    @functools.wraps(original)
    def run(self, *args, **kwargs):
        state = _ROTATION_STATE.get(id(self))
        if state is None and _ROTATION["on"] and len(self.configs) > 1:
            state = _ROTATION_STATE[id(self)] = {"name": getattr(getattr(self, "fn", None), "__name__", "kernel"),
                                                 "every": list(self.configs), "turn": 0, "ran": set(), "skip": set()}
        if state is None or not _ROTATION["on"]:
            return original(self, *args, **kwargs)
        every = state["every"]
        runnable = every
        if getattr(self, "early_config_prune", None):
            runnable = list(self.early_config_prune(every, dict(zip(self.arg_names, args)), **kwargs)) or every
        state["skip"] = {i for i, c in enumerate(every) if c not in runnable}  # for these arguments
        failure: BaseException | None = None
        try:
            for _ in range(len(runnable)):
                config = runnable[state["turn"] % len(runnable)]
                state["turn"] += 1
                self.configs = [config]
                try:
                    out = original(self, *args, **kwargs)
                    state["ran"].add(every.index(config))
                    return out
                except cannot_run as exc:
                    state["skip"].add(every.index(config))
                    failure = exc
        finally:
            self.configs = every
        assert failure is not None
        raise failure

    autotuner_cls.run = run


def autotune_rotated() -> dict[str, int]:
    """Autotuned kernel -> how many of its configs the trials take in turn (those not pruned)."""
    return {st["name"]: len(st["every"]) - len(st["skip"]) for st in _ROTATION_STATE.values()}


def autotune_unchecked() -> int:
    """Configs of the candidate's autotuned kernels not run yet that could run: the judge adds trials
    until there are none (red team 11: 16 configs and fewer calls, the unchecked last one wrong)."""
    return sum(len(st["every"]) - len(st["ran"] | st["skip"]) for st in _ROTATION_STATE.values())


def start_autotune_rotation() -> None:
    """A candidate's job: its trials check every config (a reference or baseline keeps Triton's pick)."""
    _ROTATION["on"] = True


def end_autotune_rotation() -> None:
    """Trials are over: autotuned kernels pick their config the way Triton does (the benchmark)."""
    _ROTATION["on"] = False


def _interpreter_support() -> None:
    """Make the CPU interpreter either run a kernel faithfully or say plainly that it cannot.

    - libdevice: the interpreter executes `triton.language.extra.libdevice` stubs as Python, which
      return None (the kernel then fails far from the cause), and the CUDA/HIP libdevice modules
      end in `create_extern_elementwise`, which the interpreter does not implement. Both now raise
      InterpreterUnsupported naming the function.
    - inline asm: same, named.
    - tl.dot on bf16: the interpreter stores bf16 as uint16 and multiplied the raw bit patterns as
      integers (a silent wrong answer). The operands are widened to fp32 first, which is exactly
      what the GPU's bf16 MMA computes (exact bf16 products, fp32 accumulation).
    """
    import numpy as np
    import triton.language as tl
    from triton.runtime import interpreter

    from .errors import InterpreterUnsupported

    import importlib

    for modname in ("triton.language.extra.libdevice", "triton.language.extra.cuda.libdevice",
                    "triton.language.extra.hip.libdevice"):
        try:
            lib = importlib.import_module(modname)
        except Exception:  # a backend Triton was built without
            continue
        for name, fn in list(vars(lib).items()):
            if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", "") == lib.__name__:
                def unsupported(*args, _name=name, **kwargs):
                    raise InterpreterUnsupported(f"libdevice.{_name}")
                unsupported.__name__ = name
                setattr(lib, name, unsupported)
    builder = interpreter.InterpreterBuilder

    def extern(self, libName, libPath, symbol, *args, **kwargs):
        raise InterpreterUnsupported(f"the libdevice/extern function {symbol}")

    def inline_asm(self, *args, **kwargs):
        raise InterpreterUnsupported("tl.inline_asm_elementwise")

    builder.create_extern_elementwise = extern
    builder.create_inline_asm = inline_asm
    dot = builder.create_dot

    def widen(h):
        if h.dtype.scalar == tl.bfloat16:
            bits = h.data.astype(np.uint32) << np.uint32(16)
            return interpreter.TensorHandle(bits.view(np.float32), tl.float32)
        return h

    def create_dot(self, a, b, d, *args, **kwargs):
        return dot(self, widen(a), widen(b), d, *args, **kwargs)

    builder.create_dot = create_dot
    _interpreter_prints(interpreter)


def _candidate_frame(depth: int = 16) -> int:
    """Line of the nearest candidate frame among the callers (a kernel body the interpreter runs)."""
    from .guard import classify

    f = sys._getframe(2)
    for _ in range(depth):
        if f is None:
            return 0
        if classify(f.f_code.co_filename) == "candidate":
            return f.f_lineno or 1
        f = f.f_back
    return 0


def _interpreter_prints(interpreter: Any) -> None:
    """The interpreter runs a kernel as Python on the host, where printing a block shows its values:
    tl.static_print is the builtin print there, and block tensors' str/repr are their NumPy data's.
    Red team 37 c09 captured a static_print of each loaded block with redirect_stdout, summed the
    rows in Python and stored them, `correct`. Any print from a candidate's kernel body is a host
    read here (a GPU build prints only constants at compile time)."""
    patch_tensor = getattr(interpreter, "_patch_lang_tensor", None)
    builder = interpreter.InterpreterBuilder
    if patch_tensor is None or getattr(patch_tensor, "_tritonize_wrapped", False):
        return

    def report(what: str) -> None:
        line = _candidate_frame()
        if line:
            sys.audit("tritonize.evidence", "call", "host_compute", what, line)
    _EVIDENCE_CODE.append(report.__code__)  # the guard takes evidence only from the harness's own code

    def patched(tensor: Any, scope: Any) -> None:
        patch_tensor(tensor, scope)
        for name in ("__repr__", "__str__"):  # the interpreter's own, set for this launch
            inner = tensor.__dict__.get(name)
            if inner is None:
                continue

            def shown(self: Any, _inner: Any = inner, _name: str = name) -> Any:
                report(f"a Triton block's {_name} in the interpreter")
                return _inner(self)
            setattr(tensor, name, shown)  # the scope puts back what was there before the launch

    patched._tritonize_wrapped = True  # type: ignore[attr-defined]
    interpreter._patch_lang_tensor = patched
    create_print = builder.create_print

    def printed(self: Any, *args: Any, **kwargs: Any) -> Any:
        report("tl.device_print in the interpreter")
        return create_print(self, *args, **kwargs)
    builder.create_print = printed


def _interpreter_intact(interpreter: Any) -> None:
    """Each interpreted launch, before and after, checks the interpreter as this worker left it: red
    team 39 c01 set a NumPy softmax as `create_exp` on the `interpreter_builder` object (an instance
    attribute, not the class the identity snapshot watches) during forward and took it away before
    returning: a kernel that stored tl.exp(x) returned a host-computed softmax, `correct`. The
    builder and semantic objects hold no functions of their own; the classes' and the module's
    functions are the ones they were.

    What the interpreter runs for a kernel is the body its rewriter made from the file's text
    (kernel_source.py): red team 41 put a NumPy body into the class's cache of rewritten bodies
    (c01), set `rewrite` on the kernel object (c02), defined `interpreter_semantic` in its own module,
    where the rewritten `a = v` looks it up (c08), and swapped the file's text in linecache (c14).
    Each body the rewriter makes is remembered with its kernel; every entry of the cache must be one."""
    import inspect

    fn_cls = interpreter.InterpretedFunction
    cls = interpreter.InterpreterBuilder
    fr_cls = getattr(interpreter, "FunctionRewriter", None)
    run = fn_cls.__dict__.get("run")
    if run is None or getattr(run, "_tritonize_intact", False):
        return
    cache = fn_cls.__dict__.get("rewritten_fn")
    made: dict[int, tuple[Any, Any]] = {}
    if isinstance(cache, dict):
        made.update({id(k): (k, v) for k, v in cache.items()})  # made before any candidate code ran
    rewrite_ast = fr_cls.__dict__.get("rewrite_ast") if isinstance(fr_cls, type) else None
    if rewrite_ast is not None:
        def rewritten(self: Any) -> Any:
            bad = kernel_source.pin_changed()
            if bad:
                report("kernel_source", bad)
            out = rewrite_ast(self)
            made[id(self.fn)] = (self.fn, out)
            return out
        fr_cls.rewrite_ast = rewritten
    names = ("interpreter_builder", "interpreter_semantic")
    objs = {n: getattr(interpreter, n, None) for n in names}
    transformer = getattr(fr_cls, "ast_transformer", None)
    if transformer is not None:
        objs["FunctionRewriter.ast_transformer"] = transformer
    classes = [c for c in (cls, fn_cls, fr_cls, getattr(interpreter, "GridExecutor", None),
                           getattr(interpreter, "ASTTransformer", None)) if isinstance(c, type)]
    class_fns: dict[type, dict[str, Any]] = {}  # taken below, once `checked` is in place
    mod_fns = {k: v for k, v in vars(interpreter).items() if callable(v)}
    # The modules the interpreter computes with (its `np`, `math`) and their functions: red team 43
    # c04 set NumPy's `exp` to a GELU during forward and put it back after; a kernel that stored
    # tl.exp(x) returned GELU(x), `correct`.
    mod_mods = {k: v for k, v in vars(interpreter).items() if inspect.ismodule(v)}
    lib_fns = {m: {k: v for k, v in vars(m).items() if callable(v)}
               for m in mod_mods.values() if m.__name__.split(".")[0] in ("numpy", "math")}

    def current(n: str) -> Any:
        return getattr(fr_cls, "ast_transformer", None) if n.startswith("FunctionRewriter") else getattr(interpreter, n, None)

    def changed() -> tuple[str, str] | None:
        for n, o in objs.items():
            if current(n) is not o:
                return "host_compute", f"triton.runtime.interpreter.{n} replaced"
            own = [k for k, v in vars(o).items() if callable(v)] if o is not None else []
            if own:
                return "host_compute", f"{n}.{own[0]} set on the object"
        for c, fns in class_fns.items():
            for k, v in vars(c).items():
                if callable(v) and fns.get(k) is not v:
                    return "host_compute", f"{c.__name__}.{k}"
        for k, v in mod_fns.items():
            if vars(interpreter).get(k) is not v:
                return "host_compute", f"triton.runtime.interpreter.{k}"
        for k, v in mod_mods.items():
            if vars(interpreter).get(k) is not v:
                return "host_compute", f"triton.runtime.interpreter.{k} replaced"
        for m, fns in lib_fns.items():
            own = vars(m)
            for k, v in fns.items():
                if own.get(k) is not v:
                    return "host_compute", f"{m.__name__}.{k}, which the interpreter computes with"
        if fn_cls.__dict__.get("rewritten_fn") is not cache:
            return "kernel_source", "InterpretedFunction.rewritten_fn replaced"
        for k, v in list(cache.items()) if isinstance(cache, dict) else []:
            m = made.get(id(k))
            if m is None or m[0] is not k or m[1] is not v:
                return "kernel_source", (f"the body run for {getattr(k, '__name__', '?')} is not the one the interpreter "
                                         "made from the file")
            glob = getattr(k, "__globals__", None)
            for n in names if isinstance(glob, dict) else ():
                if n in glob and glob[n] is not objs[n]:
                    return "host_compute", f"{n} defined in the module of {getattr(k, '__name__', '?')}"
        bad = kernel_source.pin_changed()
        return ("kernel_source", bad) if bad else None

    def kernel_changed(kernel: Any) -> tuple[str, str] | None:
        state = getattr(kernel, "__dict__", {})
        own = [k for k, v in state.items() if callable(v) and k != "fn"]
        if own:
            return "kernel_source", f"{own[0]} set on the kernel object"
        rw = state.get("rewriter")
        if rw is not None and (type(rw) is not fr_cls or getattr(rw, "fn", None) is not state.get("fn")
                               or any(callable(v) and k != "fn" for k, v in vars(rw).items())):
            return "kernel_source", "the kernel object's rewriter replaced"
        return None

    def report(rule: str, what: str) -> None:
        line = _candidate_frame()
        text = (f"the Triton interpreter changed ({what}): a kernel op ran other code on the host"
                if rule == "host_compute" else f"CPU interpreter: {what}")
        sys.audit("tritonize.evidence", "call", rule, text, line or 1)
    _EVIDENCE_CODE.append(report.__code__)

    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        bad = changed() or kernel_changed(self)
        if bad:
            report(*bad)
        try:
            return run(self, *args, **kwargs)
        finally:
            bad = changed() or kernel_changed(self)
            if bad:
                report(*bad)
    checked._tritonize_intact = True  # type: ignore[attr-defined]
    checked._tritonize_wrapped = True  # type: ignore[attr-defined]
    fn_cls.run = checked
    class_fns.update({c: {k: v for k, v in vars(c).items() if callable(v)} for c in classes})


def _grid_first(interpreter: Any) -> None:
    """A grid function runs as it does on a GPU: before the launch, given the launch's own arguments.
    The interpreter calls it inside the launch, with triton.language already set up for kernel code
    and its host copies of the tensors: red team 41 c11's grid function tl.load-ed each row, computed
    a softmax in NumPy and tl.store-d it for a kernel that stored nothing, `correct`. Called first,
    tl.load outside a kernel fails as on a GPU. (Inside the launch wrapper: its ops count as the
    launch's, as Triton's own grid call does on a GPU.)"""
    import inspect

    fn_cls = interpreter.InterpretedFunction
    original = fn_cls.__dict__.get("run")
    if original is None or getattr(original, "_tritonize_grid", False):
        return

    def evaluate(kernel: Any, grid: Any, args: tuple, kwargs: dict) -> Any:
        try:
            sig = inspect.signature(kernel.fn)
            bound = sig.bind(*args, **{k: v for k, v in kwargs.items() if k in sig.parameters})
        except (TypeError, ValueError):
            return grid  # the launch reports the arguments itself
        bound.apply_defaults()
        out = grid(dict(bound.arguments))  # a GPU build's JITFunction.run calls grid(bound_args)
        return tuple(out) if isinstance(out, list) else out

    def run(self: Any, *args: Any, grid: Any = None, warmup: bool = False, **kwargs: Any) -> Any:
        if callable(grid) and not warmup:
            grid = evaluate(self, grid, args, kwargs)
        return original(self, *args, grid=grid, warmup=warmup, **kwargs)
    run._tritonize_grid = True  # type: ignore[attr-defined]
    fn_cls.run = run


INSTALLED = False


def install_launch_hooks() -> None:
    global INSTALLED
    import os

    INSTALLED = True

    from triton.runtime import autotuner, jit

    _wrap_run(jit.JITFunction)
    _wrap_run(autotuner.Autotuner)
    _rotate_autotune(autotuner.Autotuner)
    if os.environ.get("TRITON_INTERPRET") == "1":
        start_autotune_rotation()  # every worker: the interpreter has no device to time configs on
        _interpreter_support()
    if hasattr(autotuner, "Heuristics"):
        _wrap_run(autotuner.Heuristics)
    try:
        from triton.runtime import interpreter

        if os.environ.get("TRITON_INTERPRET") == "1":
            _grid_first(interpreter)  # innermost: under the launch wrapper, as on a GPU
        _wrap_run(interpreter.InterpretedFunction)
        if os.environ.get("TRITON_INTERPRET") == "1":
            _reversible_grid(interpreter)
            _race_watch(interpreter)
            _interpreter_intact(interpreter)  # last: after every patch of ours to the interpreter
    except ImportError:
        pass
    _install_reporting_wrappers()
    from . import guard

    guard.install()
    guard.register(*_EVIDENCE_CODE)


def arm(candidate_path: str) -> Callable[[], tuple]:
    """Call before importing the candidate: points attribution at its file, arms the audit
    guard (one way) and returns the evidence reader the harness must keep to itself."""
    global CANDIDATE_PATH
    from . import guard

    CANDIDATE_PATH = candidate_path
    try:
        kernel_source.pin(candidate_path)
    except (OSError, UnicodeDecodeError):
        pass  # no file to read: the import fails on its own
    guard.set_candidate(candidate_path)
    read = guard.reader()
    guard.arm(candidate_path)
    return read


CANDIDATE_PATH: str | None = None  # set by the worker: ops are attributed to lines of this file


def _candidate_line() -> int:
    frame = sys._getframe(2)
    while frame is not None:
        if CANDIDATE_PATH and frame.f_code.co_filename == CANDIDATE_PATH:
            return frame.f_lineno
        frame = frame.f_back
    return 0


def _issued_by_candidate() -> bool:
    """Inside a Triton launch: was this op issued by candidate code (a grid callable, an autotune
    pre_hook/post_hook, a launch hook) rather than by Triton itself (the interpreter's argument
    copies, the autotuner's benchmarking) or by this module? The nearest frame outside torch and
    the standard library decides."""
    from .guard import classify

    frame = sys._getframe(2)
    while frame is not None:
        kind = classify(frame.f_code.co_filename)
        if kind not in ("torch", "stdlib"):
            return kind == "candidate"
        frame = frame.f_back
    return False


def _flat(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for y in x for t in _flat(y)]
    if isinstance(x, dict):
        return [t for y in x.values() for t in _flat(y)]
    return []


def _fresh_bookkeeping(func: Any, base: str, args: Any, kwargs: dict, out: Any, triton_internal: bool) -> None:
    """FRESH after one op: an uninitialised allocation by the candidate enters it; a new storage
    any other op made, and every argument of an op that writes its arguments, leave it. Ops inside
    a launch that candidate code did not issue (Triton's, this module's checksums) change nothing:
    the launch itself takes its arguments out."""
    if triton_internal:
        return
    if base == "lift_fresh" or (HOSTDATA and (base in _DATA_MOVEMENT or base in _ALLOC_AND_VIEW)):
        ins = {storage_key(t) for t in _flat((args, kwargs))}
        if base == "lift_fresh" or ins & HOSTDATA.keys():
            for t in _flat(out):
                if t.numel() >= HOST_DATA_MIN:
                    HOSTDATA[storage_key(t)] = t.numel()
    if base in _UNINIT_ALLOC:
        for t in _flat(out):
            FRESH[storage_key(t)] = checksum(t)
        return
    if not FRESH:
        return
    ins = {storage_key(t) for t in _flat((args, kwargs))}
    for t in _flat(out):
        k = storage_key(t)
        if k not in ins or base not in _ALLOC_AND_VIEW:
            FRESH.pop(k, None)
    if getattr(getattr(func, "_schema", None), "is_mutable", True):
        for k in ins:
            FRESH.pop(k, None)


_TORCH_NAMESPACES = frozenset({"aten", "prims", "quantized", "_quantized", "profiler", "mkldnn", "_c10d_functional",
                               "c10d", "higher_order", "inductor", "triton", "torchvision", "_test"})


def _custom_opdef(func: Any) -> Any:
    """The Python definition of a custom operator (torch.library.custom_op / triton_op), or None."""
    ns = getattr(func, "namespace", "aten")
    if ns in _TORCH_NAMESPACES:
        return None
    try:
        from torch._library.custom_ops import OPDEFS

        opdef = OPDEFS.get(f"{ns}::{func._opname}")
    except Exception:  # older torch, or an op without a Python definition: recorded as compute
        return None
    return opdef if callable(getattr(opdef, "_init_fn", None)) else None


_COMPOSITE = torch._C.DispatchKey.CompositeImplicitAutograd


class OpRecorder(TorchDispatchMode):
    """Records aten ops run by the candidate's forward outside Triton launches (and inside them
    when candidate code issued them from a launch-time callback), with the candidate line that
    issued each one first. Evidence also goes to the audit-hook store (worker/guard.py), which the
    candidate can neither clear nor forge; data movement carries output provenance along."""

    def __init__(self) -> None:
        super().__init__()
        self.compute: dict[str, int] = {}
        self.movement: dict[str, int] = {}
        self.lines: dict[str, int] = {}
        self.in_callbacks: dict[str, int] = {}
        # Values read to the host one at a time (.item(), float(t), int(t)) by candidate code: a
        # kernel that copies one element into a buffer per launch, read back with .item(), let the
        # host compute the answer (red team 21 c04, c08, c33). Judged against the outputs' size.
        self.host_reads = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        opdef = _custom_opdef(func)
        if opdef is not None:
            # A custom op defined in Python (torch.library.triton_op / custom_op): a container, not a
            # compute op. Its body runs with the recorder on, so what it does is judged op by op (a
            # Triton launch through wrap_triton, or torch compute hidden in it). Red team 9: an
            # honest triton_op was judged a PyTorch fallback.
            with self:
                return opdef._init_fn(*args, **(kwargs or {}))
        if func.has_kernel_for_dispatch_key(_COMPOSITE):
            # Under torch.inference_mode() composite ops reach the mode undecomposed (aten.pad,
            # aten.item, aten.reshape): decomposed here, they are recorded as without it
            # (constant_pad_nd, _local_scalar_dense, view), as in every other trial (session 27).
            with self:
                out = func.decompose(*args, **(kwargs or {}))
            if out is not NotImplemented:
                return out
        base = func.overloadpacket.__name__
        inside = LAUNCHES.depth > 0
        if base == "_local_scalar_dense" and (not inside or _issued_by_candidate()):
            self.host_reads += 1
        if base not in _ALLOC_AND_VIEW and (not inside or _issued_by_candidate()):
            bucket = self.movement if base in _DATA_MOVEMENT and not _rounds_to_integer(base, args, kwargs or {}) \
                else self.compute
            key = str(func)
            if key not in bucket:
                self.lines[key] = _candidate_line()
                sys.audit("tritonize.evidence", "op", key, "movement" if bucket is self.movement else "compute",
                          self.lines[key], inside)
            bucket[key] = bucket.get(key, 0) + 1
            if inside:
                self.in_callbacks[key] = self.in_callbacks.get(key, 0) + 1
        moving = TRACK["on"] and not inside and base in _DATA_MOVEMENT
        if moving and FRESH:  # a copy of a buffer whose known content changed with no recorded writer
            _fresh_check(args, kwargs or {}, {}, False)
        out = func(*args, **(kwargs or {}))
        if TRACK["on"]:
            _fresh_bookkeeping(func, base, args, kwargs or {}, out, inside and not _issued_by_candidate())
        if moving:
            ins = tuple(storage_key(t) for t in _flat((args, kwargs or {})))
            outs = tuple((storage_key(t), checksum(t)) for t in _flat(out))
            sys.audit("tritonize.evidence", "move", base, ins, outs)
            # What a data-movement op wrote is known content from here on, like a fresh allocation's:
            # a launch (or another copy) that reads it after it changed with no op or launch writing it
            # reads a host write. Red team 16: x.clone(), then NumPy's maximum into it through
            # TensorBase.numpy (a C method the guard cannot wrap), then a Triton copy: `correct`.
            for k, c in outs:
                FRESH[k] = c
        return out

    # Registered from the class body: torch may wrap __torch_dispatch__ when the class is made.
    _EVIDENCE_CODE.append(__torch_dispatch__.__code__)


def _rounds_to_integer(base: str, args: tuple, kwargs: dict) -> bool:
    """A float-to-integer cast truncates: compute, not data movement (red team 11 computed trunc as
    `.to(int64).to(float32)` next to a copy kernel)."""
    if base == "_to_copy":
        src, dst = (args[0] if args else None), kwargs.get("dtype")
    elif base == "copy_" and len(args) > 1:
        src, dst = args[1], getattr(args[0], "dtype", None)
    else:
        return False
    return isinstance(src, torch.Tensor) and src.is_floating_point() and isinstance(dst, torch.dtype) \
        and not dst.is_floating_point and not dst.is_complex


# Triton's JITFunction builds its argument binder with exec (file "<string>", which classifies as
# the candidate's), and its native specialiser reads data_ptr() from there for the alignment key:
# on a GPU every honest launch looked like the candidate's raw-pointer read. The binder is Triton's
# only when Triton's code called it and it names nothing beyond what Triton's template puts in it
# (an annotation string is pasted into that template; a payload there names more).
_TRITON_BINDER_NAMES = frozenset({"specialize_impl", "backend", "JITCallable"})


def _is_triton_binder(frame: Any) -> bool:
    from .guard import classify

    code = frame.f_code
    if code.co_name != "dynamic_func" or not code.co_filename.startswith("<") \
            or not set(code.co_names) <= _TRITON_BINDER_NAMES:
        return False
    back = frame.f_back
    return back is not None and classify(back.f_code.co_filename) == "triton"


def _called_by_candidate() -> int:
    """Line of the candidate frame that called the wrapped function directly, else 0."""
    from .guard import classify

    frame = sys._getframe(2)
    if frame is not None and classify(frame.f_code.co_filename) == "candidate" and not _is_triton_binder(frame):
        return frame.f_lineno or 1
    return 0


_PRINTING = frozenset({"__repr__", "__str__", "__format__"})


def _called_through_torch() -> int:
    """Line of the candidate frame that reached the wrapped function through torch's own Python code
    only (no print of a tensor on the way: that is counted as text), else 0. Red team 39 c03, c16:
    torch._tensor_str._vector_str(x, ..., formatter) ran x.tolist() in torch's frame and handed every
    value to the candidate's formatter; a NumPy matmul came back through scalar kernel arguments."""
    from .guard import classify

    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return 0
        kind = classify(frame.f_code.co_filename)
        if kind == "candidate":
            return 0 if _is_triton_binder(frame) else frame.f_lineno or 1
        if kind != "torch" or frame.f_code.co_name in _PRINTING:
            return 0
        frame = frame.f_back
    return 0


def _many_values(t: Any = None, *_: Any) -> bool:
    """More than a few values, or floating ones: torch's own helpers read small integer tensors
    (sizes, counts) to the host as metadata."""
    try:
        return t.numel() > 16 or t.is_floating_point() or t.is_complex()
    except Exception:
        return True


@functools.lru_cache(maxsize=256)
def _alignment_calls(code: Any) -> tuple[tuple[int, ...], dict[int, tuple[str, str, Any]]]:
    """The calls in `code` written `<expr>.data_ptr()` whose result is taken right away modulo, or
    masked by, a number (`t.data_ptr() % 16`, `& 15`, `% ALIGN` with a module constant: red team 25
    c20): by offset, (operator, where the number comes from, constant or global name). Also every
    instruction's offset: a caller's f_lasti may point into its CALL's inline caches."""
    import dis

    ins = [i for i in dis.get_instructions(code) if i.opname not in ("CACHE", "EXTENDED_ARG", "NOP")]
    out = {}
    for k, (a, b, c) in enumerate(zip(ins, ins[1:], ins[2:])):
        # ...and the call is `<expr>.data_ptr()` itself: through map() or reduce() the C code calls
        # data_ptr and hands the whole address on, while the caller's own call is followed by
        # `% 16` (red team 25 c16).
        before = [i for i in ins[max(0, k - 3):k] if i.opname not in ("PRECALL", "KW_NAMES", "PUSH_NULL")]
        if a.opname.startswith("CALL") and before and before[-1].opname in ("LOAD_METHOD", "LOAD_ATTR") \
                and before[-1].argval == "data_ptr" and b.opname in ("LOAD_CONST", "LOAD_GLOBAL", "LOAD_NAME") \
                and c.opname == "BINARY_OP" and c.argrepr in ("%", "&"):
            out[a.offset] = (c.argrepr, "const" if b.opname == "LOAD_CONST" else "global", b.argval)
    return tuple(i.offset for i in ins), out


def _address_escapes(*_: Any) -> bool:
    """A candidate's data_ptr() counts as a raw address unless its caller tests the alignment with it
    (a `tl.multiple_of` hint chosen by `x.data_ptr() % 16 == 0` was `raw_pointer`: red team 23 c22):
    modulo a power of two up to 1024, or masked by one less."""
    try:
        import bisect

        frame = sys._getframe(2)  # _address_escapes <- wrapper <- the candidate's frame
        offsets, aligned = _alignment_calls(frame.f_code)
        at = bisect.bisect_right(offsets, frame.f_lasti) - 1
        if at < 0 or offsets[at] not in aligned:
            return True
        op, where, arg = aligned[offsets[at]]
        v = arg if where == "const" else frame.f_globals.get(arg)
        if type(v) is not int:
            return True
        v = v + 1 if op == "&" else v
        return not (1 < v <= 1024 and v & (v - 1) == 0)
    except Exception:
        return True


def _wrap_reporting(owner: Any, name: str, rule: str, when: Callable[..., bool] | None = None,
                    refuse: bool = False, counted: Callable[..., int] | None = None,
                    through_torch: bool = False) -> None:
    """Replace owner.name by a wrapper that records a candidate's direct call as evidence (rule)
    and then behaves exactly like the original. `when(*args)`: only calls it accepts count.
    `refuse`: the call is refused whenever the candidate makes it (import and __init__ included),
    recorded like the audit guard's refusals."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, "_tritonize_wrapped", False):
        return

    def wrapper(*args, **kwargs):
        line = _called_by_candidate()
        if not line and through_torch and _many_values(*args[:1]):
            line = _called_through_torch()
        n = counted(*args) if line and counted is not None else 0
        if n:  # values read as text: counted against the outputs' size like .item() reads
            sys.audit("tritonize.evidence", "text", n, line)
        elif line and (when is None or when(*args)):
            what = f"{getattr(owner, '__name__', owner)}.{name}"
            if refuse:
                sys.audit("tritonize.evidence", "blocked", rule, what, line)
                raise PermissionError(f"tritonize: {what} is not allowed in a kernel candidate (rule {rule})")
            sys.audit("tritonize.evidence", "call", rule, what, line)
        return original(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = name, getattr(original, "__doc__", None)
    wrapper._tritonize_wrapped = True  # type: ignore[attr-defined]
    _EVIDENCE_CODE.append(wrapper.__code__)
    try:
        setattr(owner, name, wrapper)
    except (TypeError, AttributeError):  # immutable C types: the provenance check still applies
        pass


# Ways to the input's values on the host that no aten op shows (red team: SiLU computed in Python
# from storage().tolist(), torch.save bytes, np.from_dlpack, then copied out by a Triton kernel).
# apply_/map_/map2_ run a Python function per element and record no aten op (red team 8 computed
# the answer with them, then copied it with a Triton kernel); from_file maps a file a candidate can
# rewrite with plain file I/O between launches.
HOST_TENSOR_METHODS = ("numpy", "__array__", "tolist", "storage", "_typed_storage", "__dlpack__",
                       "__reduce_ex__", "apply_", "map_", "map2_")
# untyped_storage() itself is metadata (nbytes, device, an alias test: red team 31 f07 was a false
# `host_compute`); the doors from it to the values are these (a tensor set_() on it is a tensor, and
# its tolist/numpy are the doors above).
HOST_STORAGE_METHODS = ("tolist", "__getitem__", "__iter__", "_write_file", "__reduce__", "__reduce_ex__",
                        # Shared-memory files and descriptors the bytes can then be read from with
                        # plain file I/O, and bytes or files read straight into a storage (session 24).
                        "share_memory_", "_share_fd_cpu_", "_share_filename_cpu_", "_get_shared_fd",
                        "_set_from_file", "_new_with_file", "from_buffer", "from_file", "__setitem__",
                        "_byteswap", "byteswap")
# The C functions under the wrapped Python doors: torch.utils.dlpack.to_dlpack is _C._to_dlpack, and
# torch.save writes through PyTorchFileWriter.write_record; a candidate calling them directly read
# its inputs into NumPy and brought a softmax back through _C._from_dlpack, `correct` (red team 33
# c03-c05c). _construct_storage_from_data_pointer makes a storage over any address.
HOST_C_FUNCTIONS = ("_to_dlpack", "_to_dlpack_versioned", "_dlpack_exchange_api", "_pickle_save", "_save_parameters",
                    "_gds_save_storage", "_gds_load_storage", "_gds_register_buffer", "_construct_storage_from_data_pointer",
                    # TorchScript's serializers write a module's tensors' bytes (red team 35 c13:
                    # ScriptModule.save_to_buffer, then a NumPy row sum).
                    "_save_jit_module", "_save_jit_module_to_bytes", "_save_mobile_module", "_save_mobile_module_to_bytes")
SCRIPT_MODULE_SAVES = ("save", "save_to_buffer", "_save_for_mobile", "_save_to_buffer_for_mobile")
HOST_TORCH_FUNCTIONS = ("from_numpy", "frombuffer", "as_tensor", "save", "from_file")
# One element to a Python number: fine for a scalar parameter, a host read for an element of a
# larger tensor (red team: `for v in row: acc += float(v)`, then a Triton copy of the result).
# __format__/__repr__/__str__: format(x[i], ".9g") read each element as text (red team 11; torch's
# own __format__ calls item(), which is then torch's call, not the candidate's).
HOST_SCALAR_METHODS = ("item", "__float__", "__int__", "__index__", "__complex__", "__format__", "__repr__", "__str__")


def _element_of_larger(t: Any, *_: Any) -> bool:
    """A floating element of a larger tensor. Integer and bool elements (a count per row, an offset,
    a flag read to size the next launch, as MoE and ragged kernels do) are left to the count of
    values read one at a time (judge/verdicts.py HOST_READS_*): one such read was `host_compute`
    (red team 22 F4)."""
    try:
        if not (t.is_floating_point() or t.is_complex()):
            return False
        return t.untyped_storage().nbytes() > 16 * t.element_size()
    except Exception:
        return True


_TEXT_METHODS = frozenset({"__format__", "__repr__", "__str__"})


def _text_values(t: Any, *_: Any) -> int:
    """str()/repr()/format() of a tensor of more than one element is its values on the host as text,
    whatever the dtype: red team 37 c04 printed 64-element int32 views of the input and computed a
    ReLU from the digits, `correct`. Counted as host reads, as .item() reads are (judged against the
    outputs' size: a debug print of a few values is not a host computation, red team 39 h09). One
    element: the rule for elements above."""
    try:
        n = int(t.numel())
        return n if n > 1 else 0
    except Exception:
        return 1 << 30


def _foreign_array(ext: Any = None, *_: Any) -> bool:
    """from_dlpack's source is not a torch tensor (a NumPy or other framework's array)."""
    return not isinstance(ext, torch.Tensor)


def _numpy_data(data: Any = None, *_: Any) -> bool:
    """torch.tensor's data is a NumPy array of more than a few values (a small constant table is not),
    or a Python list of many numbers: values made on the host (red team 35 c13 brought a NumPy row sum
    back as a list)."""
    if isinstance(data, (list, tuple)):
        n, todo = 0, [data]
        while todo and n <= 64:
            d = todo.pop()
            for e in d:
                if isinstance(e, (list, tuple)):
                    todo.append(e)
                else:
                    n += 1
        return n > 64
    return (type(data).__module__ or "").startswith("numpy") and int(getattr(data, "size", 0) or 0) > 16


def _install_reporting_wrappers() -> None:
    """Paths to an answer that no aten op shows: the host (NumPy, Python lists), CUDA graphs
    replayed from __init__, switching the dispatch recorder off, other threads."""
    import torch.utils._python_dispatch as pd

    for name in HOST_TENSOR_METHODS:
        _wrap_reporting(torch.Tensor, name, "host_compute", through_torch=True)
    # A raw address in the candidate's own code: NumPy's __array_interface__ (or ctypes) over it is a
    # host view of the tensor that no wrapped door sees; red team 10 computed an MSE loss and a matmul
    # in NumPy that way. Triton takes the tensors themselves (its launcher reads the pointer, which is
    # not the candidate's call).
    _wrap_reporting(torch.Tensor, "data_ptr", "raw_pointer", _address_escapes)
    for name in HOST_STORAGE_METHODS:
        _wrap_reporting(torch.UntypedStorage, name, "host_compute")
    _wrap_reporting(torch.UntypedStorage, "data_ptr", "raw_pointer", _address_escapes)
    # triton.reinterpret's wrapper reads the tensor's address from Triton's own file: the candidate
    # calling its data_ptr() got the address past the rule above (red team 11, c02).
    from triton.runtime import jit as triton_jit

    if hasattr(triton_jit, "TensorWrapper"):
        _wrap_reporting(triton_jit.TensorWrapper, "data_ptr", "raw_pointer")
    # .item() / float() of a scalar parameter is fine; of an element of a larger tensor, one at a
    # time, it is a way to read the input on the host.
    for name in HOST_SCALAR_METHODS:
        _wrap_reporting(torch.Tensor, name, "host_compute", when=_element_of_larger,
                        counted=_text_values if name in _TEXT_METHODS else None)
    for name in HOST_TORCH_FUNCTIONS:
        # from_file at any time: a file-backed tensor made in __init__, rewritten with plain file
        # I/O during forward, passed 2 of 3 runs (red team 8).
        _wrap_reporting(torch, name, "host_compute", refuse=name == "from_file")
    # A tensor made from a NumPy array in the candidate's code carries host-computed values in: NumPy
    # reached through TensorBase's own numpy() under a computed name, then torch.tensor(...) and a
    # Triton copy, was `correct` (red team 23 c04).
    _wrap_reporting(torch, "tensor", "host_compute", when=_numpy_data)
    import torch.utils.dlpack as dlpack

    _wrap_reporting(dlpack, "to_dlpack", "host_compute")
    # The way back in: a NumPy (or any non-torch) array made into a tensor through DLPack carries an
    # answer computed outside torch and Triton (red team 27 c02: a NumPy matmul, then a Triton copy).
    for owner in (torch, dlpack):
        if hasattr(owner, "from_dlpack"):
            _wrap_reporting(owner, "from_dlpack", "host_compute", when=_foreign_array)
    for name in HOST_C_FUNCTIONS:
        _wrap_reporting(torch._C, name, "host_compute")
    _wrap_reporting(torch._C, "_from_dlpack", "host_compute", when=_foreign_array)
    for cls in (getattr(torch._C, "PyTorchFileWriter", None), getattr(torch, "PyTorchFileWriter", None)):
        if cls is not None:
            _wrap_reporting(cls, "write_record", "host_compute")
    for name in SCRIPT_MODULE_SAVES:
        _wrap_reporting(torch._C.ScriptModule, name, "host_compute")
    # The same address as data_ptr() (a const view of it).
    _wrap_reporting(torch.Tensor, "const_data_ptr", "raw_pointer", _address_escapes)
    _wrap_reporting(torch.Tensor, "__dlpack_c_exchange_api__", "host_compute")
    _wrap_reporting(torch._C, "_storage_address", "raw_pointer")
    graph = getattr(torch.cuda, "CUDAGraph", None)
    if graph is not None:
        for cls in graph.__mro__:
            if "replay" in vars(cls):
                _wrap_reporting(cls, "replay", "cuda_graph_replay")
    for name in ("_disable_current_modes", "_pop_mode", "_pop_mode_temporarily"):
        _wrap_reporting(pd, name, "dispatch_disabled")
    # Red team 11: _SetExcludeDispatchKeyGuard(Python) skipped the recorder as _ExcludeDispatchKeyGuard
    # did; OpOverload.redispatch below the Python key ran aten.mm with no mode and no RecordFunction;
    # _enable_record_function(False) blinded the profiler witness without stopping it.
    for name in ("_DisableTorchDispatch", "_unset_dispatch_mode", "_pop_torch_dispatch_stack", "_set_dispatch_mode",
                 "_DisablePythonDispatcher", "_ExcludeDispatchKeyGuard", "ExcludeDispatchKeyGuard",
                 "_SetExcludeDispatchKeyGuard", "_ForceDispatchKeyGuard", "_IncludeDispatchKeyGuard"):
        _wrap_reporting(torch._C, name, "dispatch_disabled")
    from torch import _ops as torch_ops  # (`import torch._ops` here would make torch a local name)

    _wrap_reporting(torch_ops.OpOverload, "redispatch", "dispatch_disabled")
    _wrap_reporting(torch._C._DispatchOperatorHandle, "redispatch_boxed", "dispatch_disabled")
    _wrap_reporting(torch._C._autograd, "_enable_record_function", "dispatch_disabled")
    import _thread

    # Refused at any time, not only recorded during forward: Python 3.11/3.12 raise no audit event
    # for _thread.start_new_thread (the guard's entry fires from 3.13 on), and a thread started at
    # import through the old alias `_thread.start_new` ran all through the trials (red team 8).
    _wrap_reporting(threading.Thread, "start", "threads", refuse=True)
    _wrap_reporting(_thread, "start_new_thread", "threads", refuse=True)
    if hasattr(_thread, "start_new"):  # the old alias: a separate name for the same builtin
        _wrap_reporting(_thread, "start_new", "threads", refuse=True)
    if hasattr(threading, "_start_new_thread"):
        _wrap_reporting(threading, "_start_new_thread", "threads", refuse=True)
    for name in ("_fork", "fork", "wait"):
        _wrap_reporting(torch.jit, name, "threads")


def _witness_events(prof: Any) -> list[tuple[str, bool]]:
    """(aten op, on another thread) for every compute op the profiler saw, except those nested in
    this module's own ranges. The profiler hooks aten calls in C++ on every thread, whatever
    Python dispatch modes are switched on or off."""
    out = []
    events = list(prof.events())
    main = next((e.thread for e in events if e.name == FORWARD), None)
    for evt in events:
        name = evt.name
        if not name.startswith("aten::"):
            continue
        base = name[6:]
        if base in _ALLOC_AND_VIEW or base in _DATA_MOVEMENT or base in _WITNESS_NEUTRAL or base.rstrip("_") in _ALLOC_AND_VIEW:
            continue
        parent, internal = evt.cpu_parent, False
        while parent is not None:
            if parent.name == INTERNAL:
                internal = True
                break
            parent = parent.cpu_parent
        if not internal:
            out.append((name, main is not None and getattr(evt, "thread", main) != main))
    return out


def held_tensors(model: Any, limit: int = 256) -> list[torch.Tensor]:
    """Tensors the model holds (parameters, buffers, plain attributes, one level into lists, tuples
    and dicts): each forward watches them like a fresh torch.empty buffer."""
    out: list[torch.Tensor] = []
    mods = list(model.modules()) if isinstance(model, torch.nn.Module) else [model]
    for m in mods:
        for v in list(vars(m).values()):
            items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else [v]
            for x in items:
                if isinstance(x, torch.Tensor) and len(out) < limit:
                    out.append(x)
    return out


class Observation:
    """One observed forward: the op recorder, the provenance of every launch argument, and the
    profiler as an independent witness of aten ops on every thread. `finish(outputs, args)` turns
    the unforgeable evidence (worker/guard.py) into plain facts the judge decides on."""

    def __init__(self, read: Callable[[], tuple], held: list[torch.Tensor] | None = None) -> None:
        self.read = read
        self.held = held or []  # the model's own tensors: watched like fresh buffers (held_tensors)
        self.rec = OpRecorder()
        self.prof: Any = None
        self.mark: Any = None
        self.witness_error: str | None = None
        self.start = 0
        self.threads_before: set[int] = set()

    def __enter__(self) -> "Observation":
        from torch.profiler import ProfilerActivity, profile

        self.threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}
        self.start = len(self.read())
        try:
            try:
                from torch.profiler import _ExperimentalConfig

                self.prof = profile(activities=[ProfilerActivity.CPU],
                                    experimental_config=_ExperimentalConfig(profile_all_threads=True))
            except TypeError:  # older torch: the calling thread only
                self.prof = profile(activities=[ProfilerActivity.CPU])
            self.prof.__enter__()
            self.mark = torch.profiler.record_function(FORWARD)
            self.mark.__enter__()
        except Exception as exc:
            self.prof, self.witness_error = None, f"profiler unavailable: {type(exc).__name__}: {exc}"[:200]
        LAUNCHES.kernels.clear()
        FRESH.clear()
        HOSTDATA.clear()
        for t in self.held:  # a workspace made in __init__, then written through a NumPy view (red team 7)
            FRESH.setdefault(storage_key(t), checksum(t))
        TRACK["on"] = True
        self.rec.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.rec.__exit__(*exc)
        finally:
            TRACK["on"] = False
            FRESH.clear()
            HOSTDATA.clear()
            if self.prof is not None:
                try:
                    if self.mark is not None:
                        self.mark.__exit__(None, None, None)
                    self.prof.__exit__(None, None, None)
                except Exception as e:  # stopped or replaced from inside forward
                    self.witness_error = f"the profiler was stopped during forward ({type(e).__name__})"
                    self.prof = None

    def finish(self, outputs: list[Any], args: list[Any]) -> dict[str, Any]:
        every = self.read()
        events = every[self.start:]
        seen_ops = {e[1] for e in events if e[0] == "op"}
        # Refusals since the job started, not only in this window: a finalizer the candidate left on
        # an output runs when the harness drops it, between trials (the judge de-duplicates).
        blocked, calls = _guard_facts(every, self.start)
        callbacks = sorted({e[1] for e in events if e[0] == "op" and e[2] == "compute" and e[4]})
        hidden: list[str] = []
        if self.prof is not None:
            try:
                for name, other_thread in _witness_events(self.prof):
                    short = name.replace("aten::", "aten.")
                    if not any(op.startswith(short + ".") or op == short for op in seen_ops) or other_thread:
                        tag = f"{short} (another thread)" if other_thread else short
                        if tag not in hidden:
                            hidden.append(tag)
            except Exception as exc:
                self.witness_error = f"profiler events unreadable: {type(exc).__name__}"
        # Provenance: storages written by a launch, or filled from them by recorded data movement.
        state: dict[tuple, tuple] = {}
        launched: set[tuple] = set()  # storages passed to a launch, changed by it or not
        for e in events:
            if e[0] == "launch":
                for key, before, after in e[2]:
                    launched.add(key)
                    if before != after or key in state:
                        state[key] = after
            elif e[0] == "move" and any(k in state for k in e[2]):
                for key, after in e[3]:
                    state[key] = after
        arg_keys = {storage_key(a): i for i, a in enumerate(args) if isinstance(a, torch.Tensor)}
        provenance = []
        for i, o in enumerate(outputs):
            if not isinstance(o, torch.Tensor):
                provenance.append({"index": i, "source": "not_a_tensor"})
                continue
            try:
                key = storage_key(o)
            except Exception:  # a wrapper subclass without storage: judged as a subclass
                provenance.append({"index": i, "source": "no_storage"})
                continue
            if key in arg_keys:
                # An input a kernel wrote into (in place) is the kernel's output; the judge deals
                # with the mutation. An input returned untouched is the identity.
                # Given to a launch that stored what was there (an in-place ReLU of positive inputs):
                # the judge counts it as the kernel's only where a launch changed it on another trial.
                written = key in state and checksum(o) == state[key]
                src = "input_written" if written else "input_launch_unchanged" if key in launched else "input"
                provenance.append({"index": i, "source": src, "input": arg_keys[key]})
            elif key not in state:
                # A launch that stored what was there already (an in-place ReLU on a clone of
                # positive inputs) changes no checksum: the judge accepts it only where the same
                # output was changed by a launch on another trial (red team 19 f13, f15).
                provenance.append({"index": i, "source": "launch_unchanged" if key in launched else "none"})
            elif checksum(o) != state[key]:
                provenance.append({"index": i, "source": "rewritten"})
            else:
                provenance.append({"index": i, "source": "kernel"})
        alive = [t.name for t in threading.enumerate() if t.ident not in self.threads_before and t.is_alive()]
        return {"blocked": blocked, "calls": calls, "callback_ops": callbacks, "hidden_ops": hidden,
                "provenance": provenance, "threads_alive": alive, "witness_error": self.witness_error,
                "evidence_events": len(events), "text_reads": _text_reads(events)}


def _guard_facts(every: tuple, start: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit guard's refusals since the job started (a finalizer the candidate left on an output
    runs between trials; the judge de-duplicates) and its forbidden calls since `start`."""
    blocked = [{"rule": e[1], "event": e[2], "line": e[3]} for e in every if e[0] == "blocked"]
    calls = [{"rule": e[1], "call": e[2], "line": e[3]} for e in every[start:] if e[0] == "call"]
    return blocked, calls


def text_reads(evidence: dict[str, Any]) -> int:
    return int(evidence.get("text_reads") or 0)


def _text_reads(events: tuple) -> int:
    return sum(int(e[1]) for e in events if e[0] == "text")


def guard_evidence(every: tuple, start: int) -> dict[str, Any]:
    """The audit guard's evidence of an unobserved forward (events[start:]); nothing else was watched."""
    blocked, calls = _guard_facts(every, start)
    return {"blocked": blocked, "calls": calls, "callback_ops": [], "hidden_ops": [], "provenance": [],
            "threads_alive": [], "witness_error": None, "evidence_events": len(every) - start, "unobserved": True,
            "text_reads": _text_reads(every[start:])}


# Globals of this module that change by design while a job runs (their objects stay the same or
# carry no authority): left out of the identity snapshot.
_STATE = frozenset({"EXPECTED_STREAM", "FRESH"})


def _critical() -> dict[str, Callable[[], Any]]:
    """Name -> getter of each object whose replacement would let a candidate fool the verifier."""
    import builtins
    import inspect
    import os

    import triton.runtime.jit as tjit

    from ..common import channel

    getters: dict[str, Callable[[], Any]] = {}

    def attr(path: str, root: Any, name: str) -> None:
        getters[path] = lambda: getattr(root, name, None)

    for n in ("allclose", "isclose", "equal", "manual_seed", "save", "load", "compile", "randn", "rand"):
        attr(f"torch.{n}", torch, n)
    attr("torch.testing.assert_close", torch.testing, "assert_close")
    # Every public op function and Tensor method: an honest kernel whose import rebound torch.softmax,
    # F.softmax and Tensor.softmax to a bf16 version (setattr with built names) changed every later
    # softmax of the user's program, `correct` (red team 33 c09). Only names that read back as the
    # same object (not classmethods, which bind anew on each read).
    import torch.nn.functional as F
    import torch.nn.init as init

    import triton.language as tl

    # torch.autograd's functions (red team 37 c01: autograd.backward halved every gradient) and
    # Triton's language (c08: tl.exp set to tl.exp2 changed every later kernel of the program).
    spaces = [(torch, "torch"), (F, "torch.nn.functional"), (torch.Tensor, "torch.Tensor"), (init, "torch.nn.init"),
              (torch.linalg, "torch.linalg"), (torch.special, "torch.special"), (torch.fft, "torch.fft"),
              (torch.autograd, "torch.autograd"), (tl, "triton.language"), (tl.math, "triton.language.math"),
              (tl.tensor, "triton.language.tensor")]
    for root, label in spaces:
        for n in dir(root):
            if n.startswith("_") or f"{label}.{n}" in getters:
                continue
            try:
                v = getattr(root, n)
            except Exception:
                continue
            if callable(v) and not isinstance(v, type) and getattr(root, n) is v:
                attr(f"{label}.{n}", root, n)
    # Tensor's operators (red team 35 c11c: setattr(type(torch.empty(0)), "__mul__", ...)).
    for n in dir(torch.Tensor):
        if n.startswith("__") and n.endswith("__") and f"torch.Tensor.{n}" not in getters:
            v = getattr(torch.Tensor, n, None)
            if callable(v) and not isinstance(v, type) and getattr(torch.Tensor, n, None) is v:
                attr(f"torch.Tensor.{n}", torch.Tensor, n)
    # The methods of torch.nn's own modules (red team 35 c10: nn.ReLU.forward replaced by leaky ReLU).
    # Not Module itself: torch.compile's Dynamo wraps Module.__init__ and __setstate__ when it first
    # compiles (generation tagging); Module's __call__ and _call_impl are listed above.
    for cname, cls_ in vars(torch.nn).items():
        if isinstance(cls_, type) and issubclass(cls_, torch.nn.Module) and cls_ is not torch.nn.Module:
            for n, v in list(vars(cls_).items()):
                if callable(v) and not isinstance(v, type) and getattr(cls_, n, None) is getattr(cls_, n, None):
                    attr(f"torch.nn.{cname}.{n}", cls_, n)
    # The globals torch's Python layers call through: red team 37 c03 replaced the name `torch` inside
    # torch.nn.functional with a proxy whose relu was leaky; F.relu kept its identity, yet every F.relu
    # and nn.ReLU of the program changed. Every module or function a global of these names.
    for mname, mod in list(sys.modules.items()):
        if mod is None or not (mname in ("torch.nn.functional", "torch.nn.init", "torch.functional", "torch._tensor",
                                         "torch.autograd", "torch.autograd.function", "torch.autograd.grad_mode")
                               or mname.startswith("torch.nn.modules.")):
            continue
        for n, v in list(vars(mod).items()):
            if not n.startswith("__") and f"{mname}.{n}" not in getters and (callable(v) or inspect.ismodule(v)):
                attr(f"{mname}.{n}", mod, n)
    # Decompositions torch.compile and export use: one replaced changed the user's compiled numerics
    # (red team 35 c12). Each entry there at the snapshot (imports may add more).
    decomp = sys.modules.get("torch._decomp")
    table = getattr(decomp, "decomposition_table", None)
    if isinstance(table, dict):
        for k in list(table):
            getters[f"torch._decomp.decomposition_table[{k}]"] = (lambda k=k: table.get(k))
    for n in ("__eq__", "clone", "copy_", "cpu", "to", "detach", "contiguous", "data_ptr", "float", "double",
              "sub", "abs", "max", "__sub__"):
        attr(f"torch.Tensor.{n}", torch.Tensor, n)
    attr("torch.nn.Module.__call__", torch.nn.Module, "__call__")
    attr("torch.nn.Module._call_impl", torch.nn.Module, "_call_impl")
    for n in ("perf_counter", "perf_counter_ns", "monotonic", "time", "sleep"):
        attr(f"time.{n}", time, n)
    if hasattr(torch, "cuda"):
        for n in ("synchronize", "Event", "Stream", "current_stream", "empty_cache", "set_stream", "stream"):
            attr(f"torch.cuda.{n}", torch.cuda, n)
        for n in ("record", "elapsed_time", "synchronize", "query", "wait"):
            attr(f"torch.cuda.Event.{n}", torch.cuda.Event, n)
    attr("triton.JITFunction.run", tjit.JITFunction, "run")
    for n in vars(channel):  # every global: the bound system calls and buffer types too
        if not n.startswith("__"):
            attr(f"tritonize.channel.{n}", channel, n)
    # What the replies are serialized and the commands deserialized with: a Pickler put into the
    # pickle module's dict rewrote the evidence, an Unpickler subclass read the trial names (red
    # team 9). Every callable of these modules, however it was replaced (setattr or the dict).
    import io
    import pickle
    import _pickle
    import torch.serialization as tser

    # os too: its write carried every reply (red team 37 c07).
    # linecache too: Triton reads every kernel's source through it (kernel_source.py).
    import linecache

    mods = [(pickle, "pickle"), (_pickle, "_pickle"), (tser, "torch.serialization"), (io, "io"), (os, "os"),
            (linecache, "linecache")]
    for n in ("getsource", "getsourcelines", "findsource", "getblock", "getfile", "getsourcefile", "getmodule",
              "unwrap", "signature", "getcallargs", "getfullargspec"):
        attr(f"inspect.{n}", inspect, n)
    try:
        import torch._weights_only_unpickler as wou

        mods.append((wou, "torch._weights_only_unpickler"))
    except ImportError:
        pass
    for mod, label in mods:
        for n, v in list(vars(mod).items()):
            if callable(v) and not n.startswith("__"):
                attr(f"{label}.{n}", mod, n)
    attr("builtins.__import__", builtins, "__import__")
    # The recorder, the guard and the witness themselves: a candidate reaching this module through
    # sys.modules or a function's __globals__ could otherwise switch them off.
    import sys as _sys
    import torch.profiler as tprof
    from torch.utils import _python_dispatch as pd

    from . import guard

    attr("sys.audit", _sys, "audit")
    attr("sys.addaudithook", _sys, "addaudithook")
    this = _sys.modules[__name__]
    for mod, label in ((this, "tritonize.hooks"), (guard, "tritonize.guard"), (kernel_source, "tritonize.kernel_source")):
        # Every global, not only functions: the op allow-lists and attribution tables are data.
        for n in list(vars(mod)):
            if not n.startswith("__") and n not in _STATE:
                attr(f"{label}.{n}", mod, n)
    # The benchmark's own code: its clocks were captured at import, but a candidate that rebound
    # timer._perf and timer._elapsed (through sys.modules) had every CUDA-event time it reported
    # divided by 100 and was `correct` with no flag on the H100 (session 16; tests/timing_candidates/
    # patch_timer.py). Every global of both modules and every method of their classes.
    from . import candidate_bench, timer

    for mod, label in ((timer, "tritonize.timer"), (candidate_bench, "tritonize.candidate_bench")):
        for n, v in list(vars(mod).items()):
            if n.startswith("__"):
                continue
            attr(f"{label}.{n}", mod, n)
            if isinstance(v, type) and v.__module__ == mod.__name__:
                for m in list(vars(v)):
                    if not m.startswith("__") or m in ("__init__", "__call__"):
                        attr(f"{label}.{n}.{m}", v, m)
    for key in ("roots", "candidate"):  # the attribution table: its entries, not only the dict
        getters[f"tritonize.guard._CLASSIFY[{key}]"] = (lambda k=key: guard._CLASSIFY.get(k))
    for cls_, label in ((OpRecorder, "OpRecorder"), (Observation, "Observation"), (pd.TorchDispatchMode, "TorchDispatchMode"),
                        (tprof.profile, "torch.profiler.profile")):
        for n, v in list(vars(cls_).items()):
            if callable(v):
                attr(f"{label}.{n}", cls_, n)
    for n in (*HOST_TENSOR_METHODS, *HOST_SCALAR_METHODS):
        attr(f"torch.Tensor.{n}", torch.Tensor, n)
    for n in (*HOST_STORAGE_METHODS, "data_ptr"):
        attr(f"torch.UntypedStorage.{n}", torch.UntypedStorage, n)
    for n in (*HOST_TORCH_FUNCTIONS, "tensor"):
        attr(f"torch.{n}", torch, n)
    import torch.utils.dlpack as dlpack

    attr("torch.utils.dlpack.to_dlpack", dlpack, "to_dlpack")
    for n in (*HOST_C_FUNCTIONS, "_from_dlpack", "_storage_address"):
        attr(f"torch._C.{n}", torch._C, n)
    attr("torch._C.PyTorchFileWriter.write_record", torch._C.PyTorchFileWriter, "write_record")
    for n in SCRIPT_MODULE_SAVES:
        attr(f"torch._C.ScriptModule.{n}", torch._C.ScriptModule, n)
    for n in ("const_data_ptr", "__dlpack_c_exchange_api__"):
        attr(f"torch.Tensor.{n}", torch.Tensor, n)
    attr("threading.Thread.start", threading.Thread, "start")
    import _thread

    for n in ("start_new_thread", "start_new"):
        attr(f"_thread.{n}", _thread, n)
    try:  # the interpreter's ops: patching InterpreterBuilder.create_exp made tl.exp compute tanh*2 (red team 8)
        from triton.runtime.interpreter import InterpreterBuilder

        for n, v in list(vars(InterpreterBuilder).items()):
            if callable(v):
                attr(f"InterpreterBuilder.{n}", InterpreterBuilder, n)
    except ImportError:
        pass
    return getters


_BACKEND_SWITCHES = ("cuda.matmul.allow_tf32", "cuda.matmul.allow_fp16_reduced_precision_reduction",
                     "cuda.matmul.allow_bf16_reduced_precision_reduction", "cudnn.allow_tf32", "cudnn.benchmark",
                     "cudnn.deterministic", "cudnn.enabled",
                     # The newer precision switches (red team 35 c07: mkldnn.matmul.fp32_precision = "bf16").
                     "fp32_precision", "cuda.matmul.fp32_precision", "cudnn.fp32_precision", "cudnn.conv.fp32_precision",
                     "cudnn.rnn.fp32_precision", "mkldnn.fp32_precision", "mkldnn.matmul.fp32_precision",
                     "mkldnn.conv.fp32_precision", "mkldnn.rnn.fp32_precision", "mkldnn.enabled", "mkldnn.deterministic",
                     "cuda.matmul.allow_fp16_accumulation", "nnpack.enabled", "opt_einsum.enabled", "opt_einsum.strategy")
# TorchScript's fuser switches (red team 35 c08: _jit_override_can_fuse_on_cpu(True) at import).
_JIT_GETTERS = ("_jit_can_fuse_on_cpu", "_jit_can_fuse_on_cpu_legacy", "_jit_can_fuse_on_gpu", "_jit_texpr_fuser_enabled",
                "_jit_texpr_reductions_enabled", "_jit_texpr_dynamic_shape_enabled")


def process_state() -> dict[str, Any]:
    """Process-wide switches, by value: a candidate that leaves one changed changes the rest of the
    program it is applied to, whatever name it reached the switch by (red team 29 c06: a computed
    name; c04, c16: grad mode, threads, cudnn.benchmark). Compared after import, build and each call."""
    def read(get: Callable[[], Any]) -> Any:
        # A getter that raises is a state too: get_float32_matmul_precision() raises once the legacy and
        # new precision APIs were mixed (red team 35 c07), and that read as "unchanged".
        try:
            return get()
        except Exception as exc:
            return f"<unreadable: {type(exc).__name__}: {str(exc)[:80]}>"

    out: dict[str, Any] = {
        "default dtype": str(torch.get_default_dtype()),
        "float32 matmul precision": read(torch.get_float32_matmul_precision),
        "deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
        "intra-op threads": torch.get_num_threads(),
        "grad mode": torch.is_grad_enabled(),
        # torch has no getter: a denormal times one is zero only with flush-to-zero on (this thread's)
        "flush denormal": bool(torch.tensor(1e-40, dtype=torch.float32).mul(1.0).eq(0)),
    }
    for dev in ("cpu", "cuda"):  # autocast switched on outside any `with` (red team 31 c22)
        try:
            out[f"autocast {dev}"] = (bool(torch.is_autocast_enabled(dev)), str(torch.get_autocast_dtype(dev)))
        except Exception:
            continue
    # Hooks every nn.Module of the program runs (register_module_forward_hook, red team 31 c11).
    mm = sys.modules.get("torch.nn.modules.module")
    for name, hooks_ in sorted(vars(mm).items() if mm is not None else ()):
        if name.startswith("_global_"):  # every global hook table torch has (forward, backward, registration)
            out[f"torch.nn.modules.module.{name}"] = tuple(hooks_) if isinstance(hooks_, dict) else repr(hooks_)
    # Python kernels registered for ATen's own operators (torch.library.Library("aten", "IMPL"),
    # red team 31 c12): every later torch.relu of the program would run it. Meta kernels are
    # torch's own (registered lazily on imports).
    lib = sys.modules.get("torch.library")
    impls = getattr(lib, "_impls", None)
    if isinstance(impls, set):
        out["ATen kernels registered from Python"] = tuple(sorted(
            k for k in impls if isinstance(k, str) and k.startswith("aten/") and not k.endswith("/Meta")))
    # torch's config modules (torch._dynamo.config, torch._inductor.config, ...): settings off their
    # defaults. `torch._dynamo.config.disable = True` at import turned torch.compile off for the
    # user's whole program (red team 33 c14). One imported later at its defaults adds nothing.
    changed_settings = []
    for name, mod in sorted(sys.modules.items()):
        if name.startswith("torch") and name.endswith("config") and callable(getattr(mod, "_is_default", None)):
            try:
                changed_settings += [f"{name}.{k}={getattr(mod, k)!r}" for k in mod._config if not mod._is_default(k)]
            except Exception:
                continue
    out["torch config settings"] = tuple(changed_settings)
    for name in _JIT_GETTERS:
        get = getattr(torch._C, name, None)
        if get is not None:
            try:
                out[f"torch._C.{name}()"] = bool(get())
            except Exception:
                continue
    # Autograd's default saved-tensor hooks: `saved_tensors_hooks(pack, unpack).__enter__()` at import
    # changed what every later backward of the program saves (red team 35 c06: fp16 packing).
    top = getattr(torch._C._autograd, "_top_saved_tensors_default_hooks", None)
    if top is not None:
        try:
            out["autograd saved-tensor hooks"] = top(False) is not None
        except Exception:
            pass
    for path in _BACKEND_SWITCHES:
        try:
            obj: Any = torch.backends
            for part in path.split("."):
                obj = getattr(obj, part)
            out["torch.backends." + path] = obj if isinstance(obj, (bool, int, str)) else str(obj)
        except Exception:
            continue
    return out


@dataclass
class Integrity:
    snapshot: dict[str, Any]
    getters: dict[str, Callable[[], Any]]
    state: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # The check is bound to this instance as a closure: patching Integrity.changed on the
        # class (reachable through sys.modules) does not change what the harness calls.
        snapshot, getters = dict(self.snapshot), dict(self.getters)
        state, read_state = dict(self.state or {}), process_state

        def changed() -> list[str]:
            out = []
            try:
                now_state = read_state() if state else {}
            except Exception as exc:  # unreadable now: changed (it was read at the snapshot)
                now_state = {k: f"<unreadable: {type(exc).__name__}>" for k in state}
            for key, was in state.items():
                if now_state.get(key, was) != was:
                    out.append(f"{STATE_PREFIX}{key} ({was!r} -> {now_state.get(key)!r})")
            for key, get in getters.items():
                try:
                    now = get()
                except Exception:
                    out.append(key)
                    continue
                if now is not snapshot[key]:
                    out.append(key)
            return out

        self.changed = changed  # type: ignore[method-assign]

    @classmethod
    def take(cls) -> "Integrity":
        # torch rebinds some names when these load lazily (torch._dynamo wraps torch.manual_seed):
        # load them first so only the candidate's own patches show as changes.
        import torch._dynamo  # noqa: F401
        import torch.profiler  # noqa: F401
        import torch.utils.flop_counter  # noqa: F401

        getters = _critical()
        return cls({k: g() for k, g in getters.items()}, getters, process_state())

    def changed(self) -> list[str]:
        out = []
        for key, get in self.getters.items():
            try:
                now = get()
            except Exception:
                out.append(key)
                continue
            if now is not self.snapshot[key]:
                out.append(key)
        return out
