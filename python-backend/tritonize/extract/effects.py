"""Effects a kernel would drop, found in the selected code and in every function or class copied
into the problem with it (helpers, transitively): output (`print`, logging, warnings), files and
input, random draws (the global generator would advance differently, so every later random number
of the program changes), and changes to module-level state (a module list appended to, a module
attribute set, a global tensor updated in place)."""

from __future__ import annotations

import ast

from .errors import ExtractError

# Calls that draw from a global random generator (torch's, Python's `random`, NumPy's).
RNG_FUNCS = frozenset({
    "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm", "normal", "bernoulli",
    "multinomial", "poisson", "uniform_", "normal_", "bernoulli_", "random_", "exponential_", "geometric_",
    "cauchy_", "log_normal_", "manual_seed", "seed", "set_rng_state", "gumbel_softmax",
    "random", "uniform", "choice", "choices", "shuffle", "sample", "gauss", "randrange", "normalvariate",
    "permutation",
})
# Tensor/functional calls that draw unless `training=False` (F.dropout's default is training=True).
DROPOUT_FUNCS = frozenset({"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                           "feature_alpha_dropout", "feature_dropout"})
_RNG_ROOTS = frozenset({"torch", "random", "np", "numpy", "F", "nn", "functional"})

_INIT_METHODS = frozenset({"__init__", "reset_parameters", "_reset_parameters", "init_weights", "_init_weights"})
_LOGGERS = frozenset({"logger", "log", "LOGGER", "_logger", "_log"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
CONTAINER_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update",
                                "setdefault", "popitem", "discard", "appendleft", "extendleft", "add"})


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _object_root(node: ast.AST) -> ast.AST | None:
    """The name whose object `a.b[0].c` denotes part of; None through a call (`BUF.clone().add_()`
    changes a new tensor)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def output_effect(node: ast.Call) -> str | None:
    """print/open/input, warnings.warn, logging.* and logger.*(…) calls."""
    f = node.func
    if isinstance(f, ast.Name) and f.id in ("print", "open", "input"):
        return f"{f.id}(…)"
    if isinstance(f, ast.Attribute):
        root = _root(f.value)
        rname = root.id if isinstance(root, ast.Name) else ""
        if (rname == "warnings" and f.attr == "warn") or rname == "logging" or (
                rname in _LOGGERS and f.attr in _LOG_METHODS):
            return f"{ast.unparse(f)}(…)"
        # Output a kernel would not make either (red team 9: sys.stdout.write log lines dropped,
        # torch.save'd file never written).
        chain = ast.unparse(f)
        if chain in _IO_CALLS or (rname in ("shutil", "subprocess") and isinstance(f.value, ast.Name)) or (
                rname == "os" and isinstance(f.value, ast.Name) and f.attr in _OS_EFFECTS) or (
                rname == "sys" and isinstance(f.value, ast.Attribute) and f.value.attr in ("stdout", "stderr")):
            return f"{chain}(…)"
    return None


_IO_CALLS = frozenset({"torch.save", "np.save", "np.savez", "np.savez_compressed", "np.savetxt", "numpy.save",
                       "numpy.savez", "numpy.savetxt", "json.dump", "pickle.dump", "torch.distributed.barrier"})
_OS_EFFECTS = frozenset({"remove", "unlink", "rename", "replace", "makedirs", "mkdir", "rmdir", "removedirs", "system",
                         "write", "truncate", "symlink", "link", "chmod", "chown", "utime", "kill", "putenv",
                         "unsetenv", "chdir"})


def rng_effect(node: ast.Call, user_names: set[str] = frozenset()) -> str | None:  # type: ignore[assignment]
    """A call that draws from (or reseeds) a global random generator. `user_names`: module-level
    functions and classes of the file (a user's own `normal(…)` is not torch's)."""
    f = node.func
    if isinstance(f, ast.Name):
        name, rooted = f.id, f.id not in user_names
    elif isinstance(f, ast.Attribute):
        root = _root(f.value)
        name = f.attr
        # torch.rand_like(x), x.uniform_(…), np.random.rand(…), random.random(); not self.normal(…)
        rooted = not (isinstance(root, ast.Name) and root.id in ("self", "cls"))
        # torch.distributions: Normal(0, s).sample(shape), d.rsample() draw from torch's generator (red team
        # 42 c05: refused only at Apply, as the candidate's fault). `.sample` of a distribution made in
        # the call (a capitalised class) or named through torch.distributions; rsample is theirs alone.
        dist = name in ("rsample", "sample_n") or name == "sample" and (
            "distributions" in ast.unparse(f.value) or isinstance(f.value, ast.Call)
            and isinstance(f.value.func, (ast.Name, ast.Attribute))
            and (f.value.func.id if isinstance(f.value.func, ast.Name) else f.value.func.attr)[:1].isupper())
        if dist:
            return f"{ast.unparse(f)}(…), a torch.distributions draw"
        if name in ("random", "uniform", "choice", "choices", "shuffle", "sample", "gauss", "randrange",
                    "normalvariate", "permutation", "seed") and not _mentions_random(f.value):
            rooted = False  # Python's random module / numpy.random only
    else:
        return None
    if not rooted:
        return None
    if name in DROPOUT_FUNCS:
        for k in node.keywords:
            if k.arg in ("training", "train") and isinstance(k.value, ast.Constant) and k.value.value is False:
                return None
        if name == "dropout" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant) \
                and node.args[2].value is False:
            return None
        return f"{ast.unparse(f)}(…)"
    if name in RNG_FUNCS:
        if name in ("random", "seed") and isinstance(f, ast.Name):
            return None  # a bare random()/seed() is too ambiguous without the import; handled as attributes
        return f"{ast.unparse(f)}(…)"
    return None


def _mentions_random(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "random" or isinstance(n, ast.Attribute) and n.attr == "random"
               for n in ast.walk(node))


def _bound_names(defn: ast.AST) -> set[str]:
    """Names bound anywhere inside a def/class (parameters, assignments, imports, nested defs), less
    those declared global: what is not in here and is a module binding is module state."""
    bound: set[str] = set()
    declared: set[str] = set()
    for n in ast.walk(defn):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound.add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not defn:
            bound.add(n.name)
        elif isinstance(n, ast.Global):
            declared |= set(n.names)
    return bound - declared


def state_effect(defn: ast.AST, node: ast.AST, module_names: dict[str, list[ast.stmt]],
                 bound: set[str]) -> str | None:
    """`node` inside the copied `defn` changes module-level state: an in-place change of a module
    global (`CALLS.append(…)`, `STATE["n"] += 1`, `BUF.add_(…)`) or an attribute set on a module
    name (`torch.backends.cudnn.benchmark = True`, `CONFIG.scale = 2`)."""

    def module_global(root: ast.AST, imports_too: bool) -> str | None:
        if not isinstance(root, ast.Name) or root.id in bound or root.id not in module_names:
            return None
        if not imports_too and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in module_names[root.id]):
            return None
        return root.id

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        f = node.func
        if f.attr in CONTAINER_MUTATORS or (f.attr.endswith("_") and not f.attr.startswith("_")):
            name = module_global(_object_root(f.value), False)
            if name:
                return f"{ast.unparse(f)}(…) changes the module-level {name}"
    targets: list[ast.AST] = []
    if isinstance(node, (ast.Assign, ast.Delete)):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    for t in targets:
        for sub in ast.walk(t):
            if isinstance(sub, (ast.Attribute, ast.Subscript)) and not isinstance(sub.ctx, ast.Load):
                name = module_global(_object_root(sub), isinstance(sub, ast.Attribute))
                if name:
                    return f"{ast.unparse(sub)} = … changes the module-level {name}"
    return None


# Module attributes that name the module itself: in the problem or the kernel module they are that
# module's, not the user's file's.
MODULE_DUNDERS = frozenset({"__name__", "__file__", "__package__", "__spec__", "__loader__", "__path__",
                            "__cached__", "__builtins__"})


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def refuse_module_dunder(name: str, line: int, who: str = "the selection") -> None:
    if name in MODULE_DUNDERS:
        raise ExtractError(f"{who} reads {name} (line {line}); in the kernel it would be the kernel module's "
                           f"{name}, not this file's. Read it before the selection into a variable (e.g. "
                           f"`{name.strip('_')} = {name}`) and use that, or select code without it", line)


def run_time_names(nodes: list[ast.AST]) -> set[str]:
    """Names read by `nodes` other than in decorators: a function used only as a decorator (a
    registry's `@register`) runs where the decorated function is defined, which Apply keeps in the
    user's file; only what the selected code calls runs in the kernel's place."""
    out: set[str] = set()
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            out.add(n.id)
        for field, value in ast.iter_fields(n):
            if field == "decorator_list":
                continue
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
    return out


def _returns_its_argument(fdef: ast.AST) -> bool:
    """A decorator `def register(fn): REGISTRY[...] = fn; return fn`: it returns the function it gets,
    unchanged (no nested function, class or lambda, no attribute set on it), so calls of the decorated
    function run that function alone. Its own body runs where the function is defined, which Apply
    keeps in the user's file."""
    if not isinstance(fdef, ast.FunctionDef) or not fdef.args.args or fdef.args.vararg:
        return False
    param = fdef.args.args[0].arg
    returns = 0
    for n in ast.walk(fdef):
        if n is fdef:
            continue
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(n, ast.Return):
            if not (isinstance(n.value, ast.Name) and n.value.id == param):
                return False
            returns += 1
        if isinstance(n, (ast.Attribute, ast.Subscript)) and not isinstance(n.ctx, ast.Load) \
                and isinstance(_object_root(n), ast.Name) and _object_root(n).id == param:  # type: ignore[union-attr]
            return False
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("setattr", "delattr"):
            return False
    return returns > 0 and isinstance(fdef.body[-1], ast.Return)


def _user_decorator(deco: ast.expr, module_names: dict[str, list[ast.stmt]], importer: str | None) -> str | None:
    """The source of a decorator that is the user's own code (a def or class of this file, or a name
    imported from the user's own modules) and may wrap the function in code that runs at every call
    (red team 46 c08: a counting or printing wrapper was dropped with the helper's body); None for
    decorators of installed libraries (torch.no_grad(), functools.lru_cache) and for a registry's
    decorator that returns the function unchanged."""
    root = _root(deco)
    if not isinstance(root, ast.Name):
        return None
    stmts = module_names.get(root.id) or []
    user = False
    for st in stmts:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if isinstance(deco, ast.Name) and _returns_its_argument(st):
                continue
            user = True
        elif isinstance(st, ast.ImportFrom) and any((a.asname or a.name).split(".")[0] == root.id for a in st.names):
            from .deps import sibling_module
            user = user or bool(st.level) or bool(
                importer and st.module and sibling_module(importer, st.module, st.level))
        elif isinstance(st, (ast.Assign, ast.AnnAssign, ast.If, ast.Try)):
            user = True  # `counted = make_counter()`: a value the file computes
    return ast.unparse(deco) if user else None


def check_copied(defs: list[ast.stmt], module_names: dict[str, list[ast.stmt]], what: str | None = None,
                 importer: str | None = None) -> None:
    """Refuse when a function or class copied into the problem (`what` None: a helper the selection
    calls; else the selected function or class itself) has an effect the kernel would drop.
    `importer`: the user's file (to tell the user's own modules from installed ones)."""
    user_names = {n for n, stmts in module_names.items()
                  if any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for s in stmts)}
    for d in sorted(defs, key=lambda s: s.lineno):
        if not isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        bound = _bound_names(d)
        who = what or f"the selection uses {d.name} (line {d.lineno}), which"
        if what is None:  # a selected def keeps its decorators in the user's file; a helper's are not run
            methods = [m for m in (d.body if isinstance(d, ast.ClassDef) else [])
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            for deco in d.decorator_list + [x for m in methods for x in m.decorator_list]:
                shown = _user_decorator(deco, module_names, importer)
                if shown:
                    raise ExtractError(f"{who} is wrapped by this program's own decorator @{_short(shown)} (line "
                                       f"{deco.lineno}): what it wraps {d.name} in runs at every call (a count, a print, "
                                       f"a cache), and the kernel would not run it. Remove the decorator from "
                                       f"{d.name}, or select code that does not call {d.name}", deco.lineno)
        # A class's construction (parameter initialisation) draws random numbers by design; the
        # replacement builds its own parameters. Its other methods run per call.
        init_nodes = {id(n) for m in (d.body if isinstance(d, ast.ClassDef) else [])
                      if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in _INIT_METHODS
                      for n in ast.walk(m)}
        for node in ast.walk(d):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
                refuse_module_dunder(node.id, node.lineno, what or f"the selection uses {d.name} (line {d.lineno}), "
                                                                   "which")
            if isinstance(node, ast.Call):
                out = output_effect(node)
                if out:
                    raise ExtractError(f"{who} has a side effect the kernel would drop ({out}, line {node.lineno}); "
                                       f"move it out of {d.name}, or select code that does not run it", node.lineno)
                rng = rng_effect(node, user_names) if id(node) not in init_nodes else None
                if rng:
                    raise ExtractError(f"{who} draws random numbers ({rng}, line {node.lineno}); a kernel would not "
                                       "advance the global random generator the same way, so every later random "
                                       "number of the program would change. Draw the noise outside and pass it in, "
                                       "or select code that does not run it", node.lineno)
            st = state_effect(d, node, module_names, bound)
            if st:
                raise ExtractError(f"{who} changes module state the kernel would not ({st}, line "
                                   f"{getattr(node, 'lineno', d.lineno)}); move it out of {d.name}, or select code "
                                   "that does not run it", getattr(node, "lineno", d.lineno))
