"""Module-level definitions the extracted code needs: imports, functions, classes and constants,
found through `symtable` (which names each scope reads as globals), copied in file order."""

from __future__ import annotations

import ast
import os
from typing import Any
import builtins
import symtable

from .errors import ExtractError
from .source import SourceFile


def module_bindings(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """Top-level statement(s) binding each module-level name (compound statements bind as a whole)."""
    out: dict[str, list[ast.stmt]] = {}

    def bind(name: str, stmt: ast.stmt) -> None:
        out.setdefault(name, [])
        if stmt not in out[name]:
            out[name].append(stmt)

    for stmt in tree.body:
        if _is_main_block(stmt):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(stmt.name, stmt)
            continue
        for node in ast.walk(stmt):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node is stmt or _direct_child_of_compound(stmt, node):
                    bind(node.name, stmt)
            elif isinstance(node, ast.alias) and isinstance(stmt, (ast.Import, ast.ImportFrom, ast.If, ast.Try)):
                if node.name != "*":
                    bind((node.asname or node.name).split(".")[0], stmt)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                if _in_nested_scope(stmt, node):
                    continue
                bind(node.id, stmt)
    return out


def _direct_child_of_compound(stmt: ast.stmt, node: ast.AST) -> bool:
    return isinstance(stmt, (ast.If, ast.Try)) and any(node is s for s in ast.walk(stmt))


def _in_nested_scope(stmt: ast.stmt, target: ast.AST) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                             ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and node is not stmt:
            if any(target is n for n in ast.walk(node)):
                return True
    return False


def _is_main_block(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If):
        return False
    t = stmt.test
    return (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__")


def is_constant_expr(node: ast.AST, constants: set[str]) -> bool:
    """Literals and arithmetic on them (and on other constant names): safe to copy."""
    for n in ast.walk(node):
        # No lists: a copied list is a different object, so in-place changes would be lost.
        if isinstance(n, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Tuple, ast.operator, ast.unaryop,
                          ast.Load, ast.expr_context)):
            continue
        if isinstance(n, ast.Name) and n.id in constants:
            continue
        return False
    return True


def scope_globals(table: symtable.SymbolTable) -> set[str]:
    """Names a scope and everything nested in it read as globals."""
    out: set[str] = set()
    stack = [table]
    while stack:
        t = stack.pop()
        for s in t.get_symbols():
            if s.is_global() and (s.is_referenced() or s.is_assigned()):
                out.add(s.get_name())
        stack.extend(t.get_children())
    # Class bodies list names they read as plain 'local'-less symbols: add class-level reads too.
    return out


def find_table(src: SourceFile, node: ast.AST) -> symtable.SymbolTable:
    want_lines = {node.lineno}  # type: ignore[attr-defined]
    for d in getattr(node, "decorator_list", []) or []:
        want_lines.add(d.lineno)
    stack = [src.symbols]
    while stack:
        t = stack.pop()
        if t.get_name() == getattr(node, "name", None) and t.get_lineno() in want_lines:
            return t
        stack.extend(t.get_children())
    raise ExtractError(f"internal: no symbol table for {getattr(node, 'name', '?')}", getattr(node, "lineno", None))


class Dependencies:
    """Collects the top-level statements a set of global names needs, transitively."""

    def __init__(self, src: SourceFile, *, copy_computed: bool):
        self.src = src
        self.bindings = module_bindings(src.tree)
        self.copy_computed = copy_computed  # whole function/class: computed globals are copied too
        self.stmts: list[ast.stmt] = []
        self.inputs: list[str] = []  # computed module globals a snippet takes as inputs
        self.constants: set[str] = set()
        self._seen: set[str] = set()
        self.star_imports = [s for s in src.tree.body if isinstance(s, ast.ImportFrom)
                             and any(a.name == "*" for a in s.names)]
        self.rebound = rebound_globals(src.tree)
        self.mutated = mutated_globals(src)
        self._copied_mutable: dict[str, int | None] = {}  # copied names the program changes in place
        self.rebound_imports = rebound_imports(src.tree)
        self._siblings: dict[str, Dependencies] = {}  # helpers copied from the user's sibling modules, by path
        self.depth = 0

    def need(self, name: str, line: int | None, exclude: tuple[ast.AST, ...] = (), direct: bool = False) -> None:
        """`direct`: the extracted code itself reads `name` (a computed global then becomes an input
        of a snippet); names its dependencies read are always copied."""
        if name in self._seen:
            if (name in self.inputs) != direct and not self.copy_computed:
                self._read_both_ways(name, line, direct)
            return
        self._seen.add(name)
        stmts = [s for s in self.bindings.get(name, []) if s not in exclude]
        if not stmts:
            if hasattr(builtins, name) or name in ("__name__", "__file__"):
                return
            if self.star_imports:
                for s in self.star_imports:
                    self._add(s)
                return
            raise ExtractError(f"'{name}' is not defined anywhere in the file", line)
        if name in self.rebound_imports:
            imp, again = self.rebound_imports[name]
            raise ExtractError(f"'{name}' is imported (line {imp}) and the program binds it again (line {again}); "
                               "the kernel's copy of the import would keep the imported object. Use another name "
                               "for one of them", line)
        if name in self.mutated and not direct:
            self._copied_mutable.setdefault(name, line)
        for stmt in stmts:
            if isinstance(stmt, ast.ImportFrom) and self._from_sibling(stmt, name, line, direct):
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._add(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._add(stmt)
                for g in sorted(scope_globals(find_table(self.src, stmt))):
                    if g != name:
                        self.need(g, stmt.lineno)
                if isinstance(stmt, ast.ClassDef):
                    for b in stmt.bases + [k.value for k in stmt.keywords] + stmt.decorator_list:
                        for n in ast.walk(b):
                            if isinstance(n, ast.Name):
                                self.need(n.id, stmt.lineno)
                for d in _evaluated_outside(stmt):  # decorators, defaults, annotations: module scope
                    for n in ast.walk(d):
                        if isinstance(n, ast.Name):
                            self.need(n.id, stmt.lineno)
            elif name in self.rebound and not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                # Its value changes while the program runs: a copy would freeze it. The extracted code
                # reads it at the call site; a helper that reads it cannot be copied.
                if not direct or self.copy_computed:
                    raise ExtractError(f"'{name}' is a module global that the program reassigns "
                                       f"(line {self.rebound[name]}); a copy of the code that reads it would "
                                       "keep a stale value. Pass it as an argument instead", line)
                if name not in self.inputs:
                    self.inputs.append(name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                value = stmt.value
                const = is_constant_expr(value, self.constants)
                alias = isinstance(value, (ast.Name, ast.Attribute))
                if const and direct and not self.copy_computed:
                    # Read at the call site, not copied by value: another module (or code this analysis
                    # does not see) may set it (`mod.EPS = ...`), and every call sees the current value.
                    if name not in self.inputs:
                        self.inputs.append(name)
                elif const or alias or self.copy_computed or not direct:
                    if const:
                        self.constants.add(name)
                    self._add(stmt)
                    for n in ast.walk(value):
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                            self.need(n.id, stmt.lineno)
                else:
                    self.inputs.append(name)
            elif isinstance(stmt, (ast.If, ast.Try)):
                self._add(stmt)
                for n in ast.walk(stmt):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                        self.need(n.id, stmt.lineno)
            else:
                if self.copy_computed or not direct:
                    raise ExtractError(f"'{name}' is set by a statement that cannot be copied", stmt.lineno)
                self.inputs.append(name)

    def _read_both_ways(self, name: str, line: int | None, direct: bool) -> None:
        """The selection reads module global `name` (an input, passed at each call) and so does code it
        copies (a helper, which reads the kernel module's own `name`), or the other way round. A
        constant is copied for the helper too; another value would be two objects, and an update of
        the input would not reach the helper's (red team 46 c17b: the problem failed on a NameError)."""
        stmts = self.bindings.get(name, [])
        if not direct and stmts and name not in self.rebound and all(
                isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None
                and is_constant_expr(st.value, self.constants) for st in stmts):
            for st in stmts:
                self._add(st)
            return
        if direct and not any(st in self.stmts and isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None
                              and not is_constant_expr(st.value, self.constants)
                              and not isinstance(st.value, (ast.Name, ast.Attribute)) for st in stmts):
            return  # read by the selection from the copy, as before: a constant, an alias, a def
        at = f" (line {stmts[0].lineno})" if stmts else ""
        fn = "a function it calls" + ("" if direct or line is None else f" (line {line})")
        raise ExtractError(f"the selection reads the module global '{name}'{at} and so does {fn}; the selection would get the program's '{name}' at each call while "
                           f"the copied function reads the kernel module's own copy, two different tensors. Pass "
                           f"'{name}' to that function as an argument, or select code where only one of them reads it",
                           line)

    def expectations(self) -> list[dict[str, Any]]:
        """What the copied definitions are in the file, for the recording run to compare with the
        live module where the selection runs: a copy is the file's text, so a helper another module
        replaced (`user.rotate_half = patched`), a constant it set (`user.SCALE = 2.0`,
        `globals()["EPS"] = v`), a config dict it changed, or a class attribute it set would be frozen
        at the file's value in the kernel (red team 8: b18, b19, b30, b36, b77)."""
        out: list[dict[str, Any]] = []
        for stmt in self.stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append({"name": stmt.name, "kind": "def",
                            "lines": sorted({stmt.lineno, *(d.lineno for d in stmt.decorator_list)}),
                            "decorated": bool(stmt.decorator_list)})
            elif isinstance(stmt, ast.ClassDef):
                attrs = {}
                for b in stmt.body:
                    if isinstance(b, ast.Assign) and len(b.targets) == 1 and isinstance(b.targets[0], ast.Name):
                        lit = _literal(b.value)
                        if lit is not None:
                            attrs[b.targets[0].id] = lit
                out.append({"name": stmt.name, "kind": "class", "attrs": attrs})
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                lit = _literal(stmt.value)
                if len(targets) == 1 and isinstance(targets[0], ast.Name):
                    if lit is not None:
                        out.append({"name": targets[0].id, "kind": "value", "repr": lit, "line": stmt.lineno})
                    elif not isinstance(stmt.value, (ast.Name, ast.Attribute)):
                        # MEAN = torch.tensor([...]), POS = torch.randn(16, 8) * 0.02: watched in later
                        # calls, and a tensor is held to its recorded value (record._tables).
                        out.append({"name": targets[0].id, "kind": "computed", "line": stmt.lineno})
        return out

    def _add(self, stmt: ast.stmt) -> None:
        if stmt not in self.stmts:
            self.stmts.append(stmt)

    def _from_sibling(self, stmt: ast.ImportFrom, name: str, line: int | None, direct: bool = False) -> bool:
        """`from helpers import act` (or `from .layers import act`) where helpers.py is the user's own
        file next to this one: the problem must run on its own (in the sandbox, without the user's
        folder), so the definition is copied from there like a helper of this file, with what it
        needs (red teams 8 and 9: such selections were refused at the behaviour check). One
        Dependencies per sibling file, so two names from it share what they need."""
        alias = next((a for a in stmt.names if (a.asname or a.name).split(".")[0] == name), None)
        if alias is None or alias.name == "*" or (alias.asname and alias.asname != alias.name) or not stmt.module:
            return False
        path = sibling_module(self.src.filename, stmt.module, stmt.level)
        if path is None:
            return False
        sub = self._siblings.get(path)
        if sub is None:
            if self.depth >= 4:  # modules importing each other: keep the import
                return False
            try:
                with open(path, encoding="utf-8") as f:
                    sub = Dependencies(SourceFile(f.read(), path), copy_computed=True)
            except (OSError, UnicodeDecodeError, ExtractError):
                return False
            sub.depth = self.depth + 1
            sub.mutated = {k: list(v) for k, v in sub.mutated.items()}
            for attr, hits in self._sets_on_module(path).items():
                sub.mutated.setdefault(attr, []).extend(hits)
        bound = sub.bindings.get(alias.name) or []
        if not bound or any(isinstance(st, (ast.Import, ast.ImportFrom)) for st in bound):
            return False  # not defined there, or a re-export: the import stays (and must resolve on its own)
        if direct and not self.copy_computed and all(isinstance(st, (ast.Assign, ast.AnnAssign)) for st in bound):
            if name not in self.inputs:  # `from .config import EPS` read by the selection: at the call site
                self.inputs.append(name)
            return True
        sub.need(alias.name, None)
        from .effects import check_copied

        check_copied([st for st in sub.stmts if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))],
                     sub.bindings, importer=path)
        mine = {n: [ast.dump(st) for st in sts] for n, sts in self.bindings.items()}
        for st in sub.stmts:
            for b in module_bindings(ast.Module(body=[st], type_ignores=[])):
                if b in mine and ast.dump(st) not in mine[b] and b != alias.name:
                    raise ExtractError(f"'{alias.name}' comes from {os.path.basename(path)}, where it needs "
                                       f"'{b}', which this file binds differently; the problem holds both "
                                       "files' definitions in one module. Rename one of them", line)
        self._siblings[path] = sub
        return True

    def _refuse_stale_copies(self) -> None:
        """A copied name that code outside the copy changes in place would be frozen at the file's
        value in the kernel (red team 11: `Cfg.shift = 0.0` after warm-up, `MEAN.mul_(0)`)."""
        for name, line in self._copied_mutable.items():
            for line_m, code, top in self.mutated[name]:
                if top not in self.stmts:
                    raise ExtractError(f"'{name}' is changed while the program runs (line {line_m}: {code}); the "
                                       "kernel's copy of the code that reads it would keep the file's value. Pass "
                                       "the value as an argument instead", line)

    def _sets_on_module(self, path: str) -> dict[str, list[tuple[int, str, ast.stmt]]]:
        """`helpers.ACT_SCALE = 1.702` in this file, where `import helpers` is the sibling file at
        `path`: its ACT_SCALE changes under a copy of helpers' code (red team 11)."""
        names = {(a.asname or a.name) for st in ast.walk(self.src.tree) if isinstance(st, ast.Import)
                 for a in st.names if (a.asname or "." not in a.name) and sibling_module(self.src.filename, a.name, 0) == path}
        out: dict[str, list[tuple[int, str, ast.stmt]]] = {}
        for stmt in self.src.tree.body:
            for node in ast.walk(stmt):
                for t in _store_targets(node):
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in names:
                        out.setdefault(t.attr, []).append((node.lineno, ast.unparse(node)[:60], stmt))
        return out

    def text(self) -> str:
        self._refuse_stale_copies()
        parts = [sub.text() for sub in self._siblings.values()]
        for stmt in sorted(self.stmts, key=lambda s: s.lineno):
            sp = self.src.span(stmt)
            parts.append(self.src.text[self.src.line_start(sp.start):sp.end])
        return "\n\n".join(_dedent_top(p) for p in parts)


def sibling_module(importer: str, module: str, level: int) -> str | None:
    """The user's own file that `from <level dots><module> import …` in `importer` names: next to it
    (a script's folder is sys.path[0]) or, for a relative import, in its package. None for anything
    installed (site-packages) or not found."""
    base = os.path.dirname(os.path.realpath(importer))
    for _ in range(max(0, level - 1)):
        base = os.path.dirname(base)
    stem = os.path.join(base, *module.split("."))
    for cand in (stem + ".py", os.path.join(stem, "__init__.py")):
        if os.path.isfile(cand):
            real = os.path.realpath(cand)
            if "site-packages" in real or "dist-packages" in real or real == os.path.realpath(importer):
                return None
            return real
    return None


def _literal(node: ast.AST) -> str | None:
    """repr of a literal value (numbers, strings, tuples, lists, dicts, sets of them), else None."""
    try:
        return repr(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def rebound_globals(tree: ast.Module) -> dict[str, int]:
    """Module names whose value changes while the program runs → the line that changes it: a function
    rebinds them (`global NAME`), or the module binds them more than once (reassigned, augmented, a
    for/with target, again in the `__main__` block; both branches of a top-level if/try count once).
    A copy of such a value would be stale. (Another module setting `mod.NAME = ...` cannot be seen
    here: that is why names the selection reads directly are read at the call site.)"""
    out: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            for n in node.names:
                out.setdefault(n, node.lineno)
    count: dict[str, int] = {}
    for stmt in tree.body:
        here: dict[str, list[ast.Name]] = {}
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and not _in_nested_scope(stmt, node):
                here.setdefault(node.id, []).append(node)
        for name, nodes in here.items():
            if _is_main_block(stmt):
                k = len(nodes)
            elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)) or any(
                    isinstance(n, (ast.For, ast.AsyncFor, ast.While, ast.AugAssign)) for n in ast.walk(stmt)
                    if n is not stmt and any(m is nodes[0] for m in ast.walk(n))):
                k = 2  # rebound by a loop or an augmented assignment inside the statement
            else:
                k = 1
            before = count.get(name, 0)
            count[name] = before + k
            if count[name] >= 2:
                out.setdefault(name, nodes[min(len(nodes) - 1, max(0, 1 - before))].lineno)
    return out


# Methods that change their object: a container's, and PyTorch's in-place tensor methods (`mul_`).
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault", "add",
                       "discard", "sort", "reverse", "popitem", "__setitem__", "__delitem__", "__setattr__"})


def _root_name(node: ast.AST) -> ast.Name | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _store_targets(node: ast.AST) -> list[ast.expr]:
    """What an assignment, augmented or annotated assignment, or del statement stores to."""
    if isinstance(node, (ast.Assign, ast.Delete)):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    return []


def mutated_globals(src: SourceFile) -> dict[str, list[tuple[int, str, ast.stmt]]]:
    """Module names whose object the program changes in place → (line, the code that does it): an
    attribute or item set or deleted (`Cfg.shift = 0.0`, `CFG["temp"] = 4.0`), an in-place method
    (`MEAN.mul_(0)`, `LOG.append(x)`). A copy of the definition keeps the file's value (red team 11:
    four such programs ran the kernel with a stale constant). Whether a name in a function is the
    module's (not `self` or a parameter) is the symbol table's answer. Each with the top-level
    statement it is in: a copied helper that fills its own memo (`_CACHE[key] = t`) takes that code
    along."""
    out: dict[str, list[tuple[int, str, ast.stmt]]] = {}
    top: list[ast.stmt] = []

    def note(root: ast.Name | None, table: symtable.SymbolTable, node: ast.AST) -> None:
        if root is None:
            return
        try:
            sym = table.lookup(root.id)
        except KeyError:  # read only in a comprehension nested here: resolved outside
            sym = None
        if table.get_type() == "module" or sym is None or sym.is_global():
            out.setdefault(root.id, []).append((node.lineno, ast.unparse(node)[:60], top[0]))

    def visit(node: ast.AST, table: symtable.SymbolTable) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            name = "lambda" if isinstance(node, ast.Lambda) else node.name
            lines = {node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))}
            table = next((t for t in table.get_children() if t.get_name() == name and t.get_lineno() in lines), table)
        for t in _store_targets(node):
            for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(e, ast.Attribute) and e.attr.startswith("__") and e.attr.endswith("__"):
                    continue  # `Cls.__module__ = __name__`: a name for printing and pickling, not a value
                if isinstance(e, (ast.Attribute, ast.Subscript)):
                    note(_root_name(e), table, node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            m = node.func.attr
            if m in _MUTATORS or (m.endswith("_") and not m.startswith("_") and m != "requires_grad_"):
                note(_root_name(node.func.value), table, node)
        for child in ast.iter_child_nodes(node):
            visit(child, table)

    module = src.symbols
    for stmt in src.tree.body:
        top[:] = [stmt]
        visit(stmt, module)
    return out


def rebound_imports(tree: ast.Module) -> dict[str, tuple[int, int]]:
    """Names a top-level import binds that other code binds again (`F = _Fake()`, even in the
    `__main__` block; a `def F`, a `global F` rebinding) → (import line, other line). Two imports of
    one name (`import os`, `import os.path`) and the branches of one top-level if/try do not count."""
    imported: dict[str, tuple[ast.stmt, int]] = {}
    for stmt in tree.body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not _in_nested_scope(stmt, node):
                for a in node.names:
                    if a.name != "*":
                        imported.setdefault((a.asname or a.name).split(".")[0], (stmt, node.lineno))
    out: dict[str, tuple[int, int]] = {}
    for stmt in tree.body:
        for node in ast.walk(stmt):
            name = None
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and not _in_nested_scope(stmt, node):
                name = node.id
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is stmt:
                name = node.name
            elif isinstance(node, ast.Global):
                for n in node.names:
                    if n in imported and imported[n][0] is not stmt:
                        out.setdefault(n, (imported[n][1], node.lineno))
            if name in imported and imported[name][0] is not stmt:
                out.setdefault(name, (imported[name][1], node.lineno))
    return out


def _evaluated_outside(stmt: ast.stmt) -> list[ast.AST]:
    out: list[ast.AST] = list(getattr(stmt, "decorator_list", []))
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        a = stmt.args
        out += a.defaults + [d for d in a.kw_defaults if d is not None]
        out += [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs if x.annotation is not None]
        if stmt.returns is not None:
            out.append(stmt.returns)
    return out


def _dedent_top(text: str) -> str:
    return text
