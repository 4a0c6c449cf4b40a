"""Loading KernelBench-style problem and candidate files as modules.

Problem: `class Model`, `get_inputs()`, `get_init_inputs()` (KernelBench files load unchanged).
Candidate: `class ModelNew`. Each file gets a fresh, uniquely named module so that two loads never
share state (a shape-variation trial re-executes the problem with different sizes).
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import sys
import types
from pathlib import Path
from typing import Any

_counter = itertools.count()


class LoadError(Exception):
    """A file that cannot be loaded; `line` is 1-based in `path`, 0 when unknown."""

    def __init__(self, message: str, path: str, line: int = 0, kind: str = "compile_error"):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.kind = kind


def load_module(path: str | Path, *, overrides: dict[str, Any] | None = None, name_hint: str = "mod") -> types.ModuleType:
    """Executes a file as a new module. `overrides` replace module-level globals after execution.

    Errors raise whatever the file raised (SyntaxError included); callers map them to verdicts.
    """
    path = Path(path).resolve()
    # The file's own name, as `import stem` gives it: a candidate that is honest only under a
    # verifier-looking __name__ (startswith "_tritonize") was `correct` (red team 23 c02). A name
    # already taken (a second load, a stem like `math`) gets a numbered suffix.
    name = path.stem if path.stem.isidentifier() else f"{name_hint}_{next(_counter)}"
    if name in sys.modules:
        name = f"{name}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot load {path}", str(path))
    module = importlib.util.module_from_spec(spec)
    # Registered so that dataclasses/pickling/inspect.getsource inside the file work (Triton's JIT
    # reads the kernel source through inspect).
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if overrides:
        for key, value in overrides.items():
            setattr(module, key, value)
    return module


def require(module: types.ModuleType, names: list[str], path: str) -> None:
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        raise LoadError(f"{Path(path).name} defines no {', '.join(missing)}", path, 0)


def size_globals(path: str | Path) -> dict[str, int]:
    """Module-level integer constants that `get_inputs`/`get_init_inputs` read (e.g. `batch_size`).

    These are the knobs a shape-variation trial turns: a candidate that hard-codes the problem's
    sizes passes the default shapes and fails the varied ones.
    """
    tree = ast.parse(Path(path).read_text())
    ints: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) and type(value.value) is int:
                ints[node.targets[0].id] = value.value
    used: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("get_inputs", "get_init_inputs"):
            used |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return {k: v for k, v in ints.items() if k in used and v > 1}


def varied_sizes(sizes: dict[str, int]) -> dict[str, int]:
    """Smaller, odd sizes: cheaper to run and not multiples of any block size, so unmasked or
    hard-coded kernels show it. Sizes of 2–3 stay (often channel counts or ranks that matter)."""
    out = {}
    for key, value in sizes.items():
        if value <= 3:
            continue
        new = max(3, value // 2 - 1)
        if new % 2 == 0:
            new -= 1
        if new != value:
            out[key] = new
    return out
