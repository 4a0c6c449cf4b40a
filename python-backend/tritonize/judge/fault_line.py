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
