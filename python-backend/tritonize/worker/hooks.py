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
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# Ops that only allocate, describe or re-view memory: a kernel wrapper legitimately uses them.
_ALLOC_AND_VIEW = {
    "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
    "new_zeros", "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "fill_", "zero_",
    "view", "_unsafe_view", "reshape", "_reshape_alias", "as_strided", "expand", "permute", "transpose",
    "t", "squeeze", "unsqueeze", "slice", "select", "narrow", "split", "split_with_sizes", "chunk",
    "unbind", "alias", "detach", "lift_fresh", "view_as", "expand_as", "flatten", "unflatten", "movedim",
    "resize_", "set_", "_local_scalar_dense", "sym_size", "sym_stride", "sym_numel", "sym_storage_offset",
    "is_contiguous", "contiguous", "record_stream", "dim", "size", "stride", "numel", "_to_copy_meta",
}
# Ops that move or convert data without computing the answer: allowed, but listed as evidence.
_DATA_MOVEMENT = {"clone", "copy_", "_to_copy", "to", "cat", "stack", "_copy_from", "_copy_from_and_resize"}


@dataclass
class LaunchLog:
    kernels: dict[str, int] = field(default_factory=dict)
    depth: int = 0  # > 0 while inside a Triton launch (its own torch ops are not the candidate's)
    # Launches on a stream other than the one the verifier times: their work escapes CUDA events.
    foreign_streams: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.kernels.values())


LAUNCHES = LaunchLog()
EXPECTED_STREAM: int | None = None  # raw handle of the timed stream (CUDA only)


def _wrap_run(cls: type, attr: str = "run") -> None:
    original = cls.__dict__.get(attr)
    if original is None or getattr(original, "_tritonize_wrapped", False):
        return

    @functools.wraps(original)
    def run(self, *args, **kwargs):
        fn = getattr(self, "fn", None)
        name = getattr(fn, "__name__", None) or getattr(self, "__name__", type(self).__name__)
        counts_as_launch = cls.__name__ in ("JITFunction", "InterpretedFunction") and not kwargs.get("warmup", False)
        if counts_as_launch:
            LAUNCHES.kernels[name] = LAUNCHES.kernels.get(name, 0) + 1
            if EXPECTED_STREAM is not None and torch.cuda.current_stream().cuda_stream != EXPECTED_STREAM:
                LAUNCHES.foreign_streams[name] = LAUNCHES.foreign_streams.get(name, 0) + 1
        LAUNCHES.depth += 1
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:  # annotate, never swallow: the verdict needs the kernel
            if not hasattr(exc, "_tritonize_kernel"):
                try:
                    exc._tritonize_kernel = self  # type: ignore[attr-defined]
                except Exception:
                    pass
            raise
        finally:
            LAUNCHES.depth -= 1

    run._tritonize_wrapped = True  # type: ignore[attr-defined]
    setattr(cls, attr, run)


AUTOTUNE_FIRST_ONLY: set[str] = set()  # interpreter: autotuned kernels checked with their first config


def _interpreter_autotune(autotuner_cls: type) -> None:
    """The interpreter has no device to time configs on, so Triton's autotuner fails there with
    several configs. Correctness on the CPU then checks the first config (and says so)."""
    original = autotuner_cls.run

    @functools.wraps(original)
    def run(self, *args, **kwargs):
        if len(self.configs) > 1:
            AUTOTUNE_FIRST_ONLY.add(getattr(getattr(self, "fn", None), "__name__", "kernel"))
            self.configs = self.configs[:1]
        return original(self, *args, **kwargs)

    autotuner_cls.run = run


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


def install_launch_hooks() -> None:
    import os

    from triton.runtime import autotuner, jit

    _wrap_run(jit.JITFunction)
    _wrap_run(autotuner.Autotuner)
    if os.environ.get("TRITON_INTERPRET") == "1":
        _interpreter_autotune(autotuner.Autotuner)
        _interpreter_support()
    if hasattr(autotuner, "Heuristics"):
        _wrap_run(autotuner.Heuristics)
    try:
        from triton.runtime import interpreter

        _wrap_run(interpreter.InterpretedFunction)
    except ImportError:
        pass


CANDIDATE_PATH: str | None = None  # set by the worker: ops are attributed to lines of this file


def _candidate_line() -> int:
    import sys

    frame = sys._getframe(2)
    while frame is not None:
        if CANDIDATE_PATH and frame.f_code.co_filename == CANDIDATE_PATH:
            return frame.f_lineno
        frame = frame.f_back
    return 0


class OpRecorder(TorchDispatchMode):
    """Records aten ops run by the candidate's forward outside Triton launches, with the
    candidate line that issued each one first."""

    def __init__(self) -> None:
        super().__init__()
        self.compute: dict[str, int] = {}
        self.movement: dict[str, int] = {}
        self.lines: dict[str, int] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if LAUNCHES.depth == 0:
            base = func.overloadpacket.__name__
            if base not in _ALLOC_AND_VIEW:
                bucket = self.movement if base in _DATA_MOVEMENT else self.compute
                key = str(func)
                if key not in bucket:
                    self.lines[key] = _candidate_line()
                bucket[key] = bucket.get(key, 0) + 1
        return func(*args, **(kwargs or {}))


def _critical() -> dict[str, Callable[[], Any]]:
    """Name -> getter of each object whose replacement would let a candidate fool the verifier."""
    import builtins

    import triton.runtime.jit as tjit

    from ..common import channel

    getters: dict[str, Callable[[], Any]] = {}

    def attr(path: str, root: Any, name: str) -> None:
        getters[path] = lambda: getattr(root, name, None)

    for n in ("allclose", "isclose", "equal", "manual_seed", "save", "load", "compile", "randn", "rand"):
        attr(f"torch.{n}", torch, n)
    attr("torch.testing.assert_close", torch.testing, "assert_close")
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
    for n in ("send", "recv", "encode", "decode"):
        attr(f"tritonize.channel.{n}", channel, n)
    attr("builtins.__import__", builtins, "__import__")
    return getters


@dataclass
class Integrity:
    snapshot: dict[str, Any]
    getters: dict[str, Callable[[], Any]]

    @classmethod
    def take(cls) -> "Integrity":
        # torch rebinds some names when these load lazily (torch._dynamo wraps torch.manual_seed):
        # load them first so only the candidate's own patches show as changes.
        import torch._dynamo  # noqa: F401
        import torch.profiler  # noqa: F401
        import torch.utils.flop_counter  # noqa: F401

        getters = _critical()
        return cls({k: g() for k, g in getters.items()}, getters)

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
