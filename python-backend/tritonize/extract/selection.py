"""Which code a selection denotes: one expression, a run of sibling statements, a whole function or
a whole class, or a file that is a KernelBench problem already."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .errors import ExtractError
from .source import SourceFile, Span

BODY_FIELDS = ("body", "orelse", "finalbody")


@dataclass
class Selection:
    kind: str  # 'expression' | 'statements' | 'function' | 'module' | 'problem'
    span: Span  # trimmed to code
    nodes: list[ast.AST]  # the expression, or the statements
    scope: ast.AST  # enclosing FunctionDef / Module
    cls: ast.ClassDef | None  # enclosing class of a method


def is_problem(tree: ast.Module) -> bool:
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return {"Model", "get_inputs", "get_init_inputs"} <= names


def _enclosing(src: SourceFile, node: ast.AST) -> tuple[ast.AST, ast.ClassDef | None]:
    scope: ast.AST = src.tree
    p = src.parents.get(node)
    while p is not None:
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            break
        p = src.parents.get(p)
    if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = p
        q = src.parents.get(p)
        return scope, q if isinstance(q, ast.ClassDef) else None
    if isinstance(p, (ast.Lambda, ast.ClassDef)):
        raise ExtractError("the selection is inside a lambda or directly in a class body; select code inside a function",
                           node.lineno)  # type: ignore[attr-defined]
    return scope, None


def locate(src: SourceFile, raw: Span) -> Selection:
    span = src.significant(raw)
    if span is None:
        raise ExtractError("nothing is selected: select an expression, whole statements, a function or an nn.Module class",
                           src.line_of(raw.start))
    if is_problem(src.tree):
        return Selection("problem", span, [], src.tree, None)
    line = src.line_of(span.start)

    # A run of sibling statements whose first starts and last ends exactly at the trimmed selection.
    for node in ast.walk(src.tree):
        for field in BODY_FIELDS:
            body = getattr(node, field, None)
            if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
                continue
            spans = [src.span(s) for s in body]
            starts = [i for i, s in enumerate(spans) if s.start == span.start]
            ends = [i for i, s in enumerate(spans) if s.end == span.end]
            if starts and ends and starts[0] <= ends[0]:
                stmts = body[starts[0]:ends[0] + 1]
                return _statements(src, span, stmts)
    handlers = [h for h in ast.walk(src.tree) if isinstance(h, ast.ExceptHandler)]
    for h in handlers:
        spans = [src.span(s) for s in h.body]
        if spans and spans[0].start == span.start and spans[-1].end == span.end:
            return _statements(src, span, h.body)

    # One expression, possibly written in parentheses.
    inner = _strip_parens(src, span)
    best: ast.expr | None = None
    for node in ast.walk(src.tree):
        if isinstance(node, ast.expr) and hasattr(node, "lineno"):
            s = src.span(node)
            if (s.start, s.end) in ((span.start, span.end), (inner.start, inner.end)):
                if best is None or isinstance(src.parents.get(best), ast.expr) and src.parents.get(best) is node:
                    best = node
    if best is None:
        raise ExtractError("the selection is neither whole statements nor one whole expression; "
                           "extend it to complete statements or to one expression", line)
    parent = src.parents.get(best)
    if isinstance(parent, ast.Expr):
        return _statements(src, span, [parent])
    if getattr(best, "ctx", None) is not None and not isinstance(best.ctx, ast.Load):  # type: ignore[attr-defined]
        raise ExtractError("the selection is an assignment target; select the whole statement", line)
    for p in _ancestors(src, best):
        if isinstance(p, ast.arguments) or isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and any(best is d or _inside(src, best, d) for d in getattr(p, "decorator_list", [])):
            # Evaluated once, where the def runs (a default value is one object shared by every call):
            # the recording waited for a call of it that never comes (red team 34 c24).
            what = "a default argument value" if isinstance(p, ast.arguments) else "a decorator"
            raise ExtractError(f"the selection is {what}, evaluated once when the def statement runs, not at each "
                               "call; select code in a function body (compute the default there when it is None)", line)
        if isinstance(p, (ast.comprehension, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)):
            # Its variables exist only per element; the whole comprehension works where it runs over
            # tensors (a list of tensors as input is refused too: red team 9 followed this hint).
            raise ExtractError("the expression is inside a comprehension or lambda, whose variables exist only "
                               "per element; select the whole comprehension (its inputs must then be tensors: "
                               "torch.stack a list of tensors first), or write it as a loop and select the body",
                               line)
        if isinstance(p, ast.stmt):
            break
    scope, cls = _enclosing(src, best)
    return Selection("expression", span, [best], scope, cls)


def _inside(src: SourceFile, node: ast.AST, outer: ast.AST) -> bool:
    return any(p is outer for p in _ancestors(src, node))


def _ancestors(src: SourceFile, node: ast.AST):
    p = src.parents.get(node)
    while p is not None:
        yield p
        p = src.parents.get(p)


def _strip_parens(src: SourceFile, span: Span) -> Span:
    text = src.segment(span)
    if text.startswith("(") and text.endswith(")"):
        inner = src.significant(Span(span.start + 1, span.end - 1))
        if inner is not None:
            return inner
    return span


def _statements(src: SourceFile, span: Span, stmts: list[ast.stmt]) -> Selection:
    line = stmts[0].lineno
    # Statements must own their lines: `a = 1; b = 2` with only `b = 2` selected cannot be replaced.
    first, last = src.span(stmts[0]), src.span(stmts[-1])
    before = src.text[src.line_start(first.start):first.start]
    after = src.text[last.end:src.line_end(last.end)].strip()
    if before.strip() or (after and not after.startswith("#")):
        raise ExtractError("the selected statements share a line with other code; put them on their own lines", line)
    if len(stmts) == 1 and isinstance(stmts[0], ast.ClassDef):
        scope, _ = _enclosing(src, stmts[0])
        if scope is not src.tree:
            raise ExtractError("the class is nested in a function; move it to module level", line)
        return Selection("module", span, stmts, src.tree, None)
    if len(stmts) == 1 and isinstance(stmts[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        parent = src.parents.get(stmts[0])
        if isinstance(parent, ast.ClassDef):
            raise ExtractError(f"{stmts[0].name} is a method; select the whole class, or lines inside the method", line)
        if parent is not src.tree:
            raise ExtractError(f"{stmts[0].name} is a nested function; select lines of it, or move it to module level", line)
        if isinstance(stmts[0], ast.AsyncFunctionDef):
            raise ExtractError("async functions cannot be extracted", line)
        return Selection("function", span, stmts, src.tree, None)
    if any(isinstance(s, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) for s in stmts) and \
            src.parents.get(stmts[0]) is src.tree:
        raise ExtractError("select one function or one class at a time (or statements without definitions)", line)
    scope, cls = _enclosing(src, stmts[0])
    return Selection("statements", span, stmts, scope, cls)
