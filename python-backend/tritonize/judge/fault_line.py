"""The most specific candidate line a wrong result can be pinned on, read from the kernel's AST.

A mismatch says which output is wrong, not which line made it wrong. Without running anything: in
the kernel that wrote the output, a single `tl.store` is where the wrong value was written; when
that value is a name, the last assignment to it before the store is the line that computed it.
With several stores (which one wrote the bad element is unknown) the kernel's `def` line stays.
"""

from __future__ import annotations

import ast
from pathlib import Path


def fault_line(candidate: Path, kernel: str) -> int:
    """1-based line, or 0 when the kernel is not found or the file does not parse."""
    try:
        tree = ast.parse(candidate.read_text(), str(candidate))
    except (OSError, SyntaxError, ValueError):
        return 0
    fn = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == kernel), None)
    if fn is None:
        return 0
    padded = _padded_into_max_or_exp(fn)
    if padded:
        return padded
    stores = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and n.func.attr == "store" and len(n.args) >= 2]
    if len(stores) != 1:
        return fn.lineno
    store = stores[0]
    value = store.args[1]
    if isinstance(value, ast.Name):
        assigned = [n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                    and n.lineno < store.lineno and any(isinstance(t, ast.Name) and t.id == value.id
                                                       for t in _targets(n))]
        if assigned:
            return max(a.lineno for a in assigned)
    return store.lineno


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        out: list[ast.AST] = []
        for t in node.targets:
            out += list(ast.walk(t))
        return out
    return [node.target]  # type: ignore[attr-defined]


# Reductions and maps for which a masked lane's filler matters: 0.0 wins a max over negatives, and
# exp(0 - max) adds to a softmax's sum (the try-out's softmax: wrong everywhere, pinned on the store).
_FILLER_SENSITIVE = frozenset({"max", "min", "argmax", "argmin", "exp", "exp2"})


def _padded_into_max_or_exp(fn: ast.FunctionDef) -> int:
    """Line of a masked `tl.load(..., other=<finite constant>)` whose value flows (through names)
    into tl.max/min/argmax/argmin/exp/exp2, else 0: the likeliest cause of a wrong row."""
    loads = {}
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "load":
            kw = {k.arg: k.value for k in n.keywords}
            other = kw.get("other")
            if "mask" in kw and isinstance(other, ast.Constant) and isinstance(other.value, (int, float)) \
                    and other.value not in (float("inf"), float("-inf")):
                loads[id(n)] = n
    if not loads:
        return 0
    tainted: dict[str, int] = {}  # name -> line of the load it came from
    for st in sorted((n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))),
                     key=lambda n: n.lineno):
        src = _source_load(st.value, loads, tainted) if st.value is not None else 0  # type: ignore[attr-defined]
        if src:
            for t in _targets(st):
                if isinstance(t, ast.Name):
                    tainted[t.id] = src
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _FILLER_SENSITIVE:
            for a in n.args[:1]:
                src = _source_load(a, loads, tainted)
                if src:
                    return src
    return 0


def _source_load(expr: ast.AST, loads: dict[int, ast.Call], tainted: dict[str, int]) -> int:
    for n in ast.walk(expr):
        if id(n) in loads:
            return loads[id(n)].lineno
        if isinstance(n, ast.Name) and n.id in tainted:
            return tainted[n.id]
    return 0
