"""The kernels that run are the ones in the candidate's file.

Triton reads a kernel's source through `inspect`, which reads `linecache`: at decoration for a GPU
build (`JITFunction._src`, what it compiles), at the first launch in the CPU interpreter
(`FunctionRewriter`, what it runs). The static rules read the file the judge wrote. Red team 41 c14
put other text for its own file into `linecache` (an entry without an mtime is never re-read): the
interpreter ran a NumPy softmax while the file held a copy kernel. The worker pins the file's text in
`linecache` before the import; launches check the pin and the launched kernels' source against it.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
from typing import Any

# Bound at import, before any candidate code: what these checks call is not the candidate's to rebind.
_CACHE = linecache.cache
_getblock = inspect.getblock
_parse = ast.parse
_dump = ast.dump
_dedent = textwrap.dedent

_PINNED: dict[str, tuple[tuple, tuple[str, ...]]] = {}  # path -> (the linecache entry, its lines)
_CHECKED: dict[int, tuple[Any, str]] = {}  # id(kernel object) -> (it, the source text found the file's)


def pin(path: str) -> None:
    """Puts the file's text into linecache for `path` (call before the candidate is imported)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines(True)
    entry = (len(text), None, list(lines), path)  # no mtime: checkcache() keeps it
    _CACHE[path] = entry
    _PINNED[path] = (entry, tuple(lines))


def pin_changed() -> str | None:
    """What replaced a pinned file's text, or None. The pin is put back either way (an entry
    dropped by linecache.clearcache() is no attack)."""
    bad = None
    if linecache.cache is not _CACHE:
        bad = "linecache.cache replaced"
        linecache.cache = _CACHE
    for path, (entry, lines) in _PINNED.items():
        cur = _CACHE.get(path)
        if cur is entry and tuple(entry[2]) == lines:
            continue
        if cur is not None and not (isinstance(cur, tuple) and len(cur) >= 3 and tuple(cur[2]) == lines):
            bad = bad or f"the text linecache holds for {path.rsplit('/', 1)[-1]} replaced"
        fresh = (entry[0], None, list(lines), path)
        _CACHE[path] = fresh
        _PINNED[path] = (fresh, lines)
    return bad


def _definition(src: str) -> str | None:
    """The first function definition in `src`, decorators left out, as an AST dump."""
    try:
        tree = _parse(_dedent(src))
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.decorator_list = []
            return _dump(node)
    return None


_KERNEL_LINES: dict[str, frozenset[int]] = {}  # path -> first lines of the file's kernel definitions


def _last_name(node: ast.AST) -> str | None:
    node = node.func if isinstance(node, ast.Call) else node
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def kernel_lines(path: str) -> frozenset[int]:
    """First lines (decorators included, as `co_firstlineno` counts them) of the definitions the
    static rules read as kernels: decorated with a `jit` (any import alias of it), or passed by
    name to one (`kernel = triton.jit(body)`)."""
    if path not in _KERNEL_LINES:
        try:
            tree = _parse("".join(_PINNED[path][1]))
        except (SyntaxError, ValueError, KeyError):
            _KERNEL_LINES[path] = frozenset()
            return _KERNEL_LINES[path]
        jit = {"jit"}
        for node in ast.walk(tree):  # from triton import jit as J; J = triton.jit
            if isinstance(node, ast.ImportFrom):
                jit.update(a.asname for a in node.names if a.name == "jit" and a.asname)
            elif isinstance(node, ast.Assign) and _last_name(node.value) == "jit" and not isinstance(node.value, ast.Call):
                jit.update(t.id for t in node.targets if isinstance(t, ast.Name))
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        passed = {a.id for n in ast.walk(tree) if isinstance(n, ast.Call) and _last_name(n.func) in jit
                  for a in n.args if isinstance(a, ast.Name)}
        _KERNEL_LINES[path] = frozenset(
            min([d.lineno] + [x.lineno for x in d.decorator_list]) for d in defs
            if d.name in passed or any(_last_name(x) in jit for x in d.decorator_list))
    return _KERNEL_LINES[path]


def source_changed(kernel: Any) -> str | None:
    """For a JITFunction defined in a pinned file: None when the source Triton compiles from is the
    file's definition (compared as syntax trees: Triton strips decorators and indentation), and that
    definition is one of the file's kernels (red team 47 c05: `@triton.jit` over a decorator that
    returned another, undecorated function of the file, which no kernel rule had read)."""
    fn = getattr(kernel, "fn", None)
    code = getattr(fn, "__code__", None)
    if code is None or code.co_filename not in _PINNED:
        return None
    if code.co_firstlineno not in kernel_lines(code.co_filename):
        return (f"{getattr(fn, '__name__', '?')} (line {code.co_firstlineno}) runs as a kernel but is not a "
                "@triton.jit definition of the candidate's file: the kernel checks read the decorated definitions")
    state = getattr(kernel, "__dict__", {})
    src = state.get("_src", state.get("src"))
    if not isinstance(src, str):
        return None
    seen = _CHECKED.get(id(kernel))
    if seen is not None and seen[0] is kernel and seen[1] is src:
        return None
    lines = list(_PINNED[code.co_filename][1])
    want = _definition("".join(_getblock(lines[code.co_firstlineno - 1:])))
    got = _definition(src)
    if want is None or got != want:
        return (f"{getattr(fn, '__name__', '?')}'s source is not the definition at line {code.co_firstlineno} of "
                "the candidate's file")
    _CHECKED[id(kernel)] = (kernel, src)
    return None
