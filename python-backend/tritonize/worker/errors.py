"""Turning an exception into evidence a person can act on: kind, message and candidate line."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any


class InterpreterUnsupported(NotImplementedError):
    """Raised (CPU interpreter only) where Triton's interpreter cannot run a feature that compiled
    Triton supports: the kernel is not at fault, and only a GPU run can judge it."""

    def __init__(self, feature: str):
        super().__init__(f"the Triton CPU interpreter cannot run {feature}")
        self.feature = feature


def interpreter_unsupported(exc: BaseException) -> str | None:
    """The interpreter feature `exc` stems from, or None when the kernel itself is at fault."""
    import os

    if os.environ.get("TRITON_INTERPRET") != "1":
        return None
    for e in _chain(exc):
        if isinstance(e, InterpreterUnsupported):
            return e.feature
        text = str(e)
        if isinstance(e, NotImplementedError) and "not supported in interpreter mode" in text:
            return text.split(" not supported", 1)[0].strip() or "this feature"
        # The interpreter's builder lacks a method the compiled builder has (e.g. bf16 arithmetic:
        # 'InterpreterBuilder' object has no attribute 'get_bf16').
        # The Triton tutorials' `DEVICE = triton.runtime.driver.active.get_active_torch_device()` (or an
        # SM count from the driver): the interpreter has no driver (red team 27 c19: Triton's raw
        # "0 active drivers" read as the kernel's error).
        if isinstance(e, RuntimeError) and "active drivers" in text:
            return ("Triton's GPU driver (triton.runtime.driver.active: get_active_torch_device(), device "
                    "properties), which the interpreter does not have")
        scalar = _scalar_as_tensor(e)
        if scalar:
            return scalar
        if isinstance(e, AttributeError) and "'InterpreterBuilder' object has no attribute" in text:
            attr = text.rsplit("attribute", 1)[-1].strip(" '\"")
            what = {"get_bf16": "bfloat16 arithmetic (convert with .to(tl.float32) first on the CPU)"}.get(attr, attr)
            return f"{what} (the interpreter's builder has no {attr!r})"
    return None


def _scalar_as_tensor(e: BaseException) -> str | None:
    """`row.to(tl.int64)` on a `tl.range` loop variable: a scalar tl.tensor when compiled, a Python int
    in the interpreter (red team 47 c11, an honest persistent kernel read as the kernel's error).
    Only for a tensor method called in a kernel's own frame (a kernel object of that name in its
    module), not in host code, where the same AttributeError is the candidate's on a GPU too."""
    if not isinstance(e, AttributeError) or not isinstance(getattr(e, "obj", None), (bool, int, float)):
        return None
    import triton.language as tl

    name = getattr(e, "name", None)
    if not isinstance(name, str) or not hasattr(tl.tensor, name):
        return None
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return None
    code, glob = tb.tb_frame.f_code, tb.tb_frame.f_globals
    if not any(getattr(getattr(v, "fn", None), "__name__", None) == code.co_name for v in list(glob.values())):
        return None
    kind = type(e.obj).__name__
    return (f"a Python {kind} used as a scalar tensor (.{name}() on a loop variable of tl.range or a constant: "
            f"compiled Triton makes it a tl.tensor, the interpreter leaves it a Python {kind})")


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_triton_compile_error(exc: BaseException) -> bool:
    """A compile error, or (in the interpreter, which has no compile step) an error raised by
    triton.language's semantic checks while tracing kernel code: the same mistake either way."""
    try:
        from triton.compiler.errors import CompilationError
    except ImportError:  # pragma: no cover - triton always present in a worker
        return False
    for e in _chain(exc):
        if isinstance(e, CompilationError):
            return True
        frames = traceback.extract_tb(e.__traceback__)
        if frames and "/triton/language/" in frames[-1].filename.replace("\\", "/"):
            return True
    return False


def line_in(exc: BaseException, path: str) -> int:
    """1-based line in `path` where `exc` arose (0 if the file is not involved)."""
    target = str(Path(path).resolve())
    for e in _chain(exc):
        if isinstance(e, SyntaxError) and e.filename and str(Path(e.filename).resolve()) == target:
            return int(e.lineno or 0)
        node = getattr(e, "node", None)
        kernel = getattr(e, "_tritonize_kernel", None)
        if node is not None and hasattr(node, "lineno"):
            fn = getattr(kernel, "fn", kernel)
            def_line = getattr(fn, "def_file_line_number", None) or getattr(kernel, "def_file_line_number", None)
            if def_line is None:
                def_line = _def_line(fn)
            if def_line:
                return int(def_line) + int(node.lineno) - 1
    # Innermost cause first: its deepest frame in the candidate is where the mistake is (e.g. the
    # kernel line, not the launch line that re-raised it).
    for e in reversed(list(_chain(exc))):
        best = 0
        for frame in traceback.extract_tb(e.__traceback__):
            if frame.filename and str(Path(frame.filename).resolve()) == target:
                best = frame.lineno or best
        if best:
            return best
    return 0


def _def_line(fn: Any) -> int | None:
    import inspect

    raw = getattr(fn, "fn", fn)
    try:
        lines, start = inspect.getsourcelines(raw)
    except (OSError, TypeError):
        return None
    for i, text in enumerate(lines):
        if text.strip().startswith("def "):
            return start + i
    return start


def _plain_message(exc: BaseException) -> str:
    """`Type: message`; the interpreter's InterpreterError wraps the kernel's own error as a repr
    (try-out 10 read `InterpreterError: InterpreterError('ValueError("axis 1 out of bounds ...")')`):
    the inner error, unescaped."""
    if type(exc).__name__ != "InterpreterError":
        return f"{type(exc).__name__}: {exc}".strip()
    inner = next((e for e in reversed(list(_chain(exc))) if type(e).__name__ != "InterpreterError"), None)
    if inner is not None:
        return f"{type(inner).__name__}: {inner}".strip()
    import ast
    import re

    text = str(exc)
    for _ in range(3):  # InterpreterError('ValueError("...")'): peel each repr layer
        m = re.fullmatch(r"(\w+)\((.*)\)", text, re.S)
        if not m:
            break
        try:
            value = ast.literal_eval(m.group(2))
        except (ValueError, SyntaxError):
            break
        if not isinstance(value, str):
            break
        text = value if m.group(1) == "InterpreterError" else f"{m.group(1)}: {value}"
    return text.strip()


def describe(exc: BaseException, path: str) -> dict[str, Any]:
    message = _plain_message(exc)
    if is_triton_compile_error(exc):
        for e in _chain(exc):
            if getattr(e, "error_message", None):
                message = f"Triton compilation failed: {e.error_message}"
                break
    lines = message.splitlines()
    short = lines[0][:500] if lines else type(exc).__name__
    if len(lines) > 1 and is_triton_compile_error(exc):
        short = " ".join(s.strip() for s in lines if s.strip())[:500]
    if "Torch not compiled with CUDA enabled" in message or "no NVIDIA driver" in message:
        # A candidate written for a GPU, checked without one (red team 14b: the text alone did not say so).
        short += (" (the code asks for CUDA, which this machine lacks: allocate on the inputs' device, "
                  "x.device, or verify on a GPU with --device cuda)")
    return {
        "exc_type": type(exc).__name__,
        "message": short,
        "line": line_in(exc, path),
        "traceback": "".join(traceback.format_exception(exc))[-4000:],
        "compile": is_triton_compile_error(exc) or isinstance(exc, SyntaxError),
        "interpreter_unsupported": interpreter_unsupported(exc),
    }
