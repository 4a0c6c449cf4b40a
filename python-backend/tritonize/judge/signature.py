"""Static check that ModelNew can be called the way the problem calls Model: `ModelNew(*get_init_inputs())`
and `model(*get_inputs())`. A candidate written for other inputs otherwise fails at its first call
with Python's bare TypeError ("forward() takes 2 positional arguments but 3 were given"), which the
try-out read as a runtime error of the kernel; this names both signatures and the line to fix.

Only certain mismatches are reported: a decorated method, an inherited one, `*args`, or an input
count that cannot be read from the file leave the call to decide."""

from __future__ import annotations

import ast
import math
from typing import Any

__all__ = ["signature_mismatch"]


def _class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    return found[-1] if found else None


def _method(cls: ast.ClassDef | None, name: str) -> ast.FunctionDef | None:
    if cls is None:
        return None
    found = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    fn = found[-1] if found else None
    return fn if fn is not None and not fn.decorator_list else None


def _arity(fn: ast.FunctionDef) -> tuple[int, float] | None:
    """(required, maximum) positional arguments after `self`; None when keyword-only parameters
    without defaults make any positional call fail differently (left to the call)."""
    a = fn.args
    pos = [*a.posonlyargs, *a.args][1:]  # self
    if any(d is None for d in a.kw_defaults):
        return None
    return len(pos) - min(len(a.defaults), len(pos)), math.inf if a.vararg else len(pos)


def _returned_count(tree: ast.Module, name: str) -> int | None:
    """How many items `name()` returns when every return is a list or tuple literal without starred
    items (KernelBench's `return [x, y]`)."""
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    if not fns:
        return None
    counts = set()
    for node in ast.walk(fns[-1]):
        if isinstance(node, ast.Return):
            v = node.value
            if not isinstance(v, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in v.elts):
                return None
            counts.add(len(v.elts))
    return counts.pop() if len(counts) == 1 else None


def _names(node: ast.AST) -> set[str]:
    """What a class-body statement defines: a def's name or an assignment's target names."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {node.name}
    return {t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)}


def _shown(fn: ast.FunctionDef, cls: str) -> str:
    return f"{cls}.{fn.name}({ast.unparse(fn.args)})"


def _inputs(n: float) -> str:
    return "any number of inputs" if n == math.inf else f"{int(n)} input{'' if n == 1 else 's'}"


def signature_mismatch(problem_src: str, candidate_src: str) -> dict[str, Any] | None:
    """{"line", "message"} when ModelNew's forward or __init__ cannot take what the problem passes."""
    try:
        ptree, ctree = ast.parse(problem_src), ast.parse(candidate_src)
    except (SyntaxError, ValueError):
        return None
    ref, new = _class(ptree, "Model"), _class(ctree, "ModelNew")
    calls_own = new is not None and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign))
                                        and "__call__" in _names(n) for n in new.body)
    for method, supplier in (("forward", "get_inputs"), ("__init__", "get_init_inputs")):
        mine = _method(new, method)
        if mine is None or (method == "forward" and calls_own):  # its own __call__ decides what forward gets
            continue
        have = _arity(mine)
        if have is None:
            continue
        theirs = _method(ref, method)
        count = _returned_count(ptree, supplier)
        if count is not None:
            want: tuple[float, float] = (count, count)
        elif theirs is not None and (arity := _arity(theirs)) is not None:
            want = arity
        else:
            continue
        if have[1] >= want[0] and have[0] <= want[1]:
            continue  # some count the problem may pass is accepted
        passed = f"{int(want[0])}" if want[0] == want[1] else f"{int(want[0])} to {_inputs(want[1])}"
        their_sig = f"; {_shown(theirs, 'Model')}" if theirs is not None else ""
        takes = _inputs(have[1]) if have[0] == have[1] else f"{have[0]} to {_inputs(have[1])}"
        return {"line": mine.lineno, "message": (
            f"{_shown(mine, 'ModelNew')} takes {takes}, but the problem passes {passed} ({supplier}(){their_sig}): "
            f"give ModelNew.{method} the same parameters as Model.{method}")}
    return None
