"""Static (AST) checks on a candidate's source, before anything runs.

`check_source(text)` returns diagnostics `{"line", "col", "end_line", "end_col", "message", "rule",
"severity", "file"}`; `line` is 1-based, `col` 0-based (as in `ast` and LSP). Severity "error" is
grounds for a `rejected` verdict; "warning" and "info" are only shown.

These rules are hints and a first line of defence: the dynamic checks in the worker (launch
counting, the aten-op recorder, the integrity snapshot, fresh-trial comparison against float64)
are what actually decide. The rules therefore aim at patterns with no legitimate use in a kernel
candidate (errors) and at patterns worth a look (warnings), and every message says what to change.

Pure and fast: stdlib only (no torch import), one parse, a handful of walks.

Rule families:
  no_triton_kernel      error    no @triton.jit function at all
  try_except_compute    error    try/except (or contextlib.suppress) in ModelNew.forward or code it calls
  threads               error    threading / multiprocessing / concurrent.futures / asyncio / os.fork
  side_stream           error    CUDA side stream with no synchronize/wait_stream (warning with one)
  reads_reference       error    reaching for the problem's Model / inputs / caller frames / sys.modules / gc
  monkeypatch           error    assigning to / setattr on torch, triton, time, numpy, builtins, ... members
  dynamic_code          error    exec / eval / compile / __import__ / importlib: hides everything above
  torch_compile         error    torch.compile / dynamo / Inductor / TorchScript: the answer comes from generated code
  io_escape             error    sys.exit / os._exit / kill / subprocess / socket / writing files or raw fds
                        warning  print / sys.stdout.write / reading files / ctypes / os.environ writes
  precision_downgrade   warning  .half(), .to(float16/bfloat16), TF32 switches, tl.dot(input_precision="tf32")
  shape_hardcoding      warning  literal equal to a problem dimension in a grid, allocation, launch or kernel
  caching               warning  state kept on self / globals / lru_cache inside forward
  unmasked_access       warning  tl.load / tl.store without mask= (or boundary_check=) in a kernel
  kernel_host_code      error    a @triton.jit body calling plain Python (a non-jit function of the file,
                                 NumPy, torch) or touching `.handle`: runs only in the CPU interpreter
  tensor_base_bypass    error    torch._C.TensorBase (or torch.Tensor's __base__/__bases__/__mro__): the C
                                 methods under torch.Tensor, around the verifier's host-read checks
  environment_probe     error    reading the environment, argv, the clock or the process's identity: what
                                 a kernel computes must not depend on where or when it runs
  deferred_code         error    finalizers (weakref.finalize, a weakref callback, __del__), atexit and
                                 signal handlers: code that runs when the harness frees or waits, not
                                 inside forward's call
  global_state          error    process-wide switches (flush denormals, TF32/reduced-precision matmuls,
                                 torch.backends settings, the default dtype or device, grad mode, RNG
                                 seeds, thread counts): applied, they change the rest of the user's program
"""

from __future__ import annotations

import ast
import functools
import importlib
from typing import Any, Iterable

__all__ = ["check_source", "problem_facts", "RULES"]

RULES = {
    "no_triton_kernel": "error",
    "try_except_compute": "error",
    "threads": "error",
    "side_stream": "error",
    "reads_reference": "error",
    "monkeypatch": "error",
    "dynamic_code": "error",
    "torch_compile": "error",
    "io_escape": "error",
    "precision_downgrade": "warning",
    "shape_hardcoding": "warning",
    "caching": "warning",
    "unmasked_access": "warning",
    "kernel_host_code": "error",
    "tensor_base_bypass": "error",
    "environment_probe": "error",
    "deferred_code": "error",
    "global_state": "error",
}

# Roots whose attributes a candidate must never rebind: the verifier, timer and comparison use them.
_PROTECTED_ROOTS = {
    "torch", "triton", "time", "numpy", "builtins", "math", "random", "sys", "os", "gc", "importlib",
    "tritonize", "timeit", "operator", "functools", "inspect", "io", "json", "pickle", "copy", "ctypes",
    "traceback", "threading", "signal", "atexit", "__main__",
}
# Settings a candidate may legitimately assign (their precision effects are reported separately).
_SETTINGS_PREFIXES = ("torch.backends.", "torch._inductor.config.", "torch._dynamo.config.",
                      "torch._functorch.config.")
_TF32_SETTINGS = {"allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
                  "fp32_precision"}

_THREAD_MODULES = {"threading", "_thread", "multiprocessing", "concurrent", "concurrent.futures", "asyncio",
                   "torch.multiprocessing", "queue", "sched"}
_THREAD_CALLS = {"os.fork", "os.forkpty", "os.register_at_fork", "torch.jit.fork", "torch.jit._fork",
                 "torch.futures.Future"}

_EXIT_CALLS = {"sys.exit", "os._exit", "os.abort", "os.kill", "os.killpg", "os.raise_signal", "signal.raise_signal",
               "signal.signal", "signal.alarm", "signal.setitimer", "builtins.exit", "builtins.quit",
               "atexit.register", "faulthandler.enable", "os.setsid"}
_PROCESS_CALLS = {"os.system", "os.popen", "os.spawnl", "os.spawnle", "os.spawnlp", "os.spawnlpe", "os.spawnv",
                  "os.spawnve", "os.spawnvp", "os.spawnvpe", "os.execl", "os.execle", "os.execlp", "os.execlpe",
                  "os.execv", "os.execve", "os.execvp", "os.execvpe", "os.posix_spawn", "os.posix_spawnp",
                  "pty.spawn"}
_PROCESS_MODULES = {"subprocess", "socket", "http", "urllib", "requests", "ssl", "pty", "multiprocessing.connection",
                    "xmlrpc", "ftplib", "smtplib", "telnetlib", "shutil", "_posixsubprocess"}
_FD_CALLS = {"os.dup", "os.dup2", "os.fdopen", "os.pipe", "os.open", "os.close", "os.closerange", "os.replace",
             "os.remove", "os.unlink", "os.rename", "os.truncate", "os.ftruncate", "os.mkfifo", "os.symlink", "os.link",
             "os.chmod", "os.makedirs", "os.mkdir", "os.rmdir", "tempfile.mkstemp", "tempfile.NamedTemporaryFile"}
_DYNAMIC_CALLS = {"builtins.exec", "builtins.eval", "builtins.compile", "builtins.__import__",
                  "importlib.import_module", "importlib.__import__", "importlib.reload", "importlib.util.spec_from_file_location",
                  "importlib.util.module_from_spec", "importlib.machinery.SourceFileLoader", "runpy.run_path",
                  "runpy.run_module", "marshal.loads", "pickle.loads", "types.FunctionType", "types.CodeType",
                  "builtins.breakpoint"}
_FRAME_CALLS = {"sys._getframe", "sys._current_frames", "sys.exc_info", "sys.settrace", "sys.setprofile",
                "sys.gettrace", "inspect.currentframe", "inspect.stack", "inspect.trace", "inspect.getouterframes",
                "inspect.getframeinfo", "inspect.getmembers", "inspect.getmodule", "inspect.getsource",
                "inspect.getsourcefile", "inspect.getfile", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                "threading.settrace", "threading.setprofile", "builtins.globals",
                # The caller's stack as data (red team 17 told timed calls from trials by a file name in it)
                "traceback.extract_stack", "traceback.format_stack", "traceback.print_stack", "traceback.walk_stack",
                "traceback.walk_tb", "traceback.extract_tb", "traceback.format_tb", "traceback.print_tb",
                "traceback.StackSummary.extract", "traceback.StackSummary.from_list", "sys._getframemodulename"}
_FRAME_ATTRS = {"f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
                "__subclasses__", "__globals__", "__closure__", "__code__", "__builtins__", "co_consts", "__traceback__"}
_REFERENCE_NAMES = {"Model", "get_inputs", "get_init_inputs", "reference", "ref_model", "problem"}
_REFERENCE_MODULES = {"problem", "reference", "ref", "model", "__main__", "tritonize"}
_STREAM_CREATE = {"torch.cuda.Stream", "torch.cuda.ExternalStream", "torch.Stream", "torch.cuda.stream",
                  "torch.cuda.set_stream", "torch.cuda.streams.Stream", "torch.cuda.StreamContext",
                  "torch.cuda.graphs.CUDAGraph", "torch.cuda.CUDAGraph", "torch.cuda.graph"}
_SYNC_ATTRS = {"synchronize", "wait_stream", "wait_event", "record_stream"}
_ALLOC_CALLS = {"empty", "zeros", "ones", "full", "randn", "rand", "randint", "arange", "empty_strided", "tensor",
                "new_empty", "new_zeros", "new_ones", "new_full", "view", "reshape", "expand", "resize_",
                "empty_like", "zeros_like", "ones_like", "full_like", "narrow", "as_strided", "split", "repeat",
                "broadcast_to"}
_LOW_DTYPES = {"float16", "half", "bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
               "fp16", "bf16", "fp8e4nv", "fp8e5", "int8"}
_HARNESS_COPIES = {"get_inputs", "get_init_inputs", "Model"}
_CACHE_DECORATORS = {"functools.lru_cache", "functools.cache", "functools.cached_property", "lru_cache", "cache",
                     "cached_property"}


def _diag(node: ast.AST | None, rule: str, message: str, severity: str | None = None) -> dict[str, Any]:
    line = getattr(node, "lineno", 0) or 0
    col = getattr(node, "col_offset", 0) or 0
    return {"file": "candidate", "line": line, "col": col,
            "end_line": getattr(node, "end_lineno", None) or line,
            "end_col": getattr(node, "end_col_offset", None) or col,
            "message": message, "rule": rule, "severity": severity or RULES[rule]}


def _src(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        return "?"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Names:
    """Resolves `tl.load` to `triton.language.load`, `F` to `torch.nn.functional`, etc."""

    def __init__(self, tree: ast.Module):
        self.alias: dict[str, str] = {}
        self.imports: list[tuple[ast.AST, str, str | None]] = []  # (node, module, imported name or None)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.alias[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.alias[top] = top
                    self.imports.append((node, a.name, None))
            elif isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                for a in node.names:
                    full = f"{mod}.{a.name}" if mod and not mod.endswith(".") else f"{mod}{a.name}"
                    self.alias[a.asname or a.name] = full
                    self.imports.append((node, mod, a.name))
        # Module-level `t = torch` / `F = torch.nn.functional` style aliases (one pass is enough in practice).
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                full = self.dotted(node.value)
                if full and full.split(".")[0] in _PROTECTED_ROOTS:
                    self.alias[node.targets[0].id] = full

    def dotted(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.alias.get(node.id)
        if base is None:
            import builtins as _b

            base = f"builtins.{node.id}" if hasattr(_b, node.id) else node.id
        return ".".join([base, *reversed(parts)])


def _is_jit_decorator(names: _Names, dec: ast.AST) -> bool:
    target = dec.func if isinstance(dec, ast.Call) else dec
    full = names.dotted(target) or ""
    return full in ("triton.jit", "triton.runtime.jit.jit", "triton.runtime.jit", "jit") or full.endswith("triton.jit")


def _is_triton_wrapper(names: _Names, dec: ast.AST) -> bool:
    target = dec.func if isinstance(dec, ast.Call) else dec
    full = names.dotted(target) or ""
    return full.startswith("triton.") and full.rsplit(".", 1)[-1] in ("autotune", "heuristics", "jit")


class _Module:
    """Facts about the candidate module shared by the rules."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.names = _Names(tree)
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.kernels: dict[str, ast.FunctionDef] = {}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
                if any(_is_jit_decorator(self.names, d) for d in node.decorator_list):
                    self.kernels[node.name] = node  # type: ignore[assignment]
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.Assign):
                # kernel = triton.jit(fn)
                if isinstance(node.value, ast.Call) and _is_jit_decorator(self.names, node.value.func):
                    for arg in node.value.args:
                        if isinstance(arg, ast.Name) and arg.id in self.functions:
                            self.kernels[arg.id] = self.functions[arg.id]  # type: ignore[assignment]
        # Kernels made inside a factory function or a class body (a @staticmethod) are kernels too:
        # red team 11 hid host NumPy in one behind a never-launched top-level decoy, and honest ones
        # were `no_triton_kernel`. Keyed name@line: they may share a name.
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(node) not in top \
                    and any(_is_jit_decorator(self.names, d) for d in node.decorator_list):
                self.kernels[f"{node.name}@{node.lineno}"] = node  # type: ignore[assignment]
        self.kernel_nodes = {id(n) for k in self.kernels.values() for n in ast.walk(k)}
        # A candidate's own copy of the problem harness (get_inputs / get_init_inputs / Model) is
        # never called by the verifier: its literal sizes and dtypes are not the kernel's, so the
        # constant- and dtype-based hints skip it (error rules still apply everywhere).
        self.harness_nodes = {id(n) for node in tree.body
                              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                              and node.name in _HARNESS_COPIES for n in ast.walk(node)}
        self.model_new = self.classes.get("ModelNew")
        self.reachable = self._reachable()

    def _methods(self, cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
        out: dict[str, ast.FunctionDef] = {}
        for base in cls.bases:  # helper base classes defined in the same file
            if isinstance(base, ast.Name) and base.id in self.classes and base.id != cls.name:
                out.update(self._methods(self.classes[base.id]))
        for node in cls.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[node.name] = node  # type: ignore[assignment]
        return out

    def _reachable(self) -> list[ast.FunctionDef]:
        """forward (or every non-kernel function when there is no ModelNew) and what it reaches."""
        if self.model_new is None:
            return [f for n, f in self.functions.items() if n not in self.kernels]  # type: ignore[misc]
        methods = self._methods(self.model_new)
        start = [methods[n] for n in ("forward", "__call__", "_forward") if n in methods]
        seen: dict[int, ast.FunctionDef] = {}
        todo = list(start)
        while todo:
            fn = todo.pop()
            if id(fn) in seen or fn.name in self.kernels and self.functions.get(fn.name) is fn:
                continue
            seen[id(fn)] = fn
            for node in ast.walk(fn):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    if node.id in self.functions and node.id not in self.kernels:
                        todo.append(self.functions[node.id])  # type: ignore[arg-type]
                    elif node.id in self.classes and node.id != "ModelNew":
                        todo.extend(self._methods(self.classes[node.id]).values())
                elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                      and node.value.id in ("self", "cls", "ModelNew") and node.attr in methods):
                    todo.append(methods[node.attr])
        return list(seen.values())

    def in_harness_copy(self, node: ast.AST) -> bool:
        return id(node) in self.harness_nodes

    def in_kernel(self, node: ast.AST) -> bool:
        return id(node) in self.kernel_nodes


def _calls(tree: ast.AST) -> Iterable[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


# ---------------------------------------------------------------------------------------------
# Rule families


def _rule_no_kernel(m: _Module) -> list[dict]:
    if m.kernels:
        return []
    # Any triton decorator at all (e.g. only @triton.autotune without jit) still means no kernel.
    return [_diag(None, "no_triton_kernel",
                  "no @triton.jit kernel in this file: ModelNew must compute its result with at least one "
                  "Triton kernel (define `@triton.jit def my_kernel(...)` and launch it as `my_kernel[grid](...)` "
                  "from forward)")]


def _rule_try_except(m: _Module) -> list[dict]:
    out = []
    for fn in m.reachable:
        where = f"`{fn.name}`" + (" (called from ModelNew.forward)" if fn.name != "forward" else "")
        for node in ast.walk(fn):
            if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                if not getattr(node, "handlers", None):
                    continue  # try/finally only: cleanup, nothing swallowed
                if _lookup_only(node, m):
                    continue  # `try: cfg = d[n] except KeyError:` runs no kernel that could fail (red team 23 c14)
                out.append(_diag(node, "try_except_compute",
                                 f"try/except in {where}: a failing kernel can hide behind a fallback or a "
                                 f"swallowed error, so the verifier would check the fallback instead of your "
                                 f"kernel; remove the try/except and let errors propagate"))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    expr = item.context_expr
                    target = expr.func if isinstance(expr, ast.Call) else expr
                    if (m.names.dotted(target) or "").endswith("contextlib.suppress"):
                        out.append(_diag(node, "try_except_compute",
                                         f"contextlib.suppress in {where} swallows kernel failures; remove it "
                                         f"and let errors propagate"))
    return out


_LOOKUP_HOOKS = {"__getitem__", "__missing__", "__getattr__", "__getattribute__", "__hash__", "__eq__", "__index__",
                 "__contains__", "__get__", "__set__", "__setitem__", "__setattr__", "__iter__", "__next__", "__len__",
                 "__bool__", "__int__", "__float__", "__enter__", "__exit__"}


def _lookup_only(node: ast.AST, m: _Module) -> bool:
    """A try body of plain lookups and assignments (no call, await or yield), in a file whose classes
    define none of the methods a lookup could run: no kernel runs inside, so nothing can fail there
    and be replaced by the handler."""
    if any(isinstance(n, ast.FunctionDef) and (n.name in _LOOKUP_HOOKS or any(
            "property" in ast.unparse(d) or ast.unparse(d).endswith((".getter", ".setter")) for d in n.decorator_list))
           for n in ast.walk(m.tree)):
        return False  # an attribute read runs a property's code (red team 25 c15)
    # Assignments of names, attributes, subscripts and constants only: `a + b` is a tensor op too.
    plain = (ast.Assign, ast.AnnAssign, ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Tuple,
             ast.Load, ast.Store, ast.Slice)
    return all(isinstance(stmt, (ast.Assign, ast.AnnAssign)) and all(isinstance(n, plain) for n in ast.walk(stmt))
               for stmt in node.body)  # type: ignore[attr-defined]


# What `threading` offers that runs nothing on another thread: a lock around a shared cache is
# good practice (red team 31 f03 was a false `threads`). Thread.start is refused at run time too.
_THREADING_SAFE = {"Lock", "RLock", "local", "get_ident", "get_native_id", "current_thread", "main_thread"}


def _threading_safe(m: _Module, node: ast.AST, mod: str, name: str | None) -> bool:
    """`from threading import Lock` / `import threading` used only as `threading.Lock` and the like."""
    if mod != "threading":
        return False
    if name is not None:
        return name in _THREADING_SAFE
    if not isinstance(node, ast.Import):
        return False
    bound = {a.asname or a.name for a in node.names if a.name == "threading"}
    safe_uses = {id(n.value) for n in ast.walk(m.tree) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id in bound and n.attr in _THREADING_SAFE}
    return all(id(n) in safe_uses for n in ast.walk(m.tree) if isinstance(n, ast.Name) and n.id in bound)


def _rule_threads(m: _Module) -> list[dict]:
    out = []
    for node, mod, name in m.names.imports:
        full = f"{mod}.{name}" if name else mod
        if _threading_safe(m, node, mod, name):
            continue
        if any(full == t or full.startswith(t + ".") for t in _THREAD_MODULES) or mod in _THREAD_MODULES:
            out.append(_diag(node, "threads",
                             f"imports `{full}`: work on other threads or processes can run outside the "
                             f"verifier's launch accounting and the benchmark's timed region, and races make "
                             f"results irreproducible; compute everything in forward on the calling thread"))
    for call in _calls(m.tree):
        full = m.names.dotted(call.func) or ""
        if full in _THREAD_CALLS:
            out.append(_diag(call, "threads",
                             f"`{full}` starts concurrent work outside the verifier's view; compute in forward "
                             f"on the calling thread"))
    return out


def _rule_side_stream(m: _Module) -> list[dict]:
    uses: list[tuple[ast.AST, str]] = []
    synced_fns: set[int] = set()
    fn_of: dict[int, ast.AST] = {}
    scopes = [n for n in ast.walk(m.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for fn in scopes:
        for node in ast.walk(fn):
            fn_of.setdefault(id(node), fn)
    any_sync = False
    for call in _calls(m.tree):
        full = m.names.dotted(call.func) or ""
        attr = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if full in _STREAM_CREATE or (attr in ("Stream", "stream", "set_stream") and "cuda" in full):
            uses.append((call, full or attr))
        if full in ("torch.cuda.synchronize", "torch.accelerator.synchronize") or attr in _SYNC_ATTRS:
            any_sync = True
            fn = fn_of.get(id(call))
            if fn is not None:
                synced_fns.add(id(fn))
    # `with stream_var:` where the variable came from a Stream(...) call is covered by the Stream(...) use.
    out = []
    for node, what in uses:
        fn = fn_of.get(id(node))
        synced = (fn is not None and id(fn) in synced_fns) or any(id(f) in synced_fns for f in m.reachable)
        if synced:
            out.append(_diag(node, "side_stream",
                             f"`{what}`: work on a side stream is synchronized here, but make sure the "
                             f"current stream waits for it (torch.cuda.current_stream().wait_stream(s)) before "
                             f"forward returns, or the benchmark times only part of the work",
                             severity="warning"))
        else:
            out.append(_diag(node, "side_stream",
                             f"`{what}` without any synchronize()/wait_stream(): kernels launched on a side "
                             f"stream escape the benchmark's timer and the result may be read before it is "
                             f"written; launch on the current stream (drop the stream) or make the current "
                             f"stream wait_stream() on it before returning"
                             + ("" if not any_sync else " in the same function")))
    return out


def _rule_reads_reference(m: _Module) -> list[dict]:
    out = []
    defined = set(m.functions) | set(m.classes)
    for node, mod, name in m.names.imports:
        top = mod.lstrip(".").split(".")[0]
        if mod.startswith(".") or top in _REFERENCE_MODULES or (name in _REFERENCE_NAMES and name not in defined):
            what = f"from {mod} import {name}" if name else f"import {mod}"
            out.append(_diag(node, "reads_reference",
                             f"`{what}` reaches for the problem's reference code or the verifier; a candidate "
                             f"must compute the result itself from forward's arguments"))
        elif top == "inspect" and name is None:
            out.append(_diag(node, "reads_reference",
                             "imports `inspect`: a kernel candidate has no need for introspection; frame and "
                             "module inspection can find the reference model or its outputs", severity="warning"))
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in ("Model", "get_inputs", "get_init_inputs") \
                and node.id not in defined and node.id not in m.names.alias:
            out.append(_diag(node, "reads_reference",
                             f"uses `{node.id}`, which this file does not define: that is the problem's "
                             f"reference; compute the result in your own kernels instead"))
        elif isinstance(node, ast.Attribute):
            full = m.names.dotted(node) or ""
            if node.attr in _FRAME_ATTRS:
                out.append(_diag(node, "reads_reference",
                                 f"`{_src(node)}` inspects frames, globals or class registries, which can reach "
                                 f"the reference model, its inputs or its outputs; remove it"))
            elif full in ("sys.modules", "sys.meta_path", "sys.path_hooks", "builtins.__dict__"):
                out.append(_diag(node, "reads_reference",
                                 f"`{full}` gives access to every loaded module, including the problem's "
                                 f"reference and the verifier; remove it"))
        elif isinstance(node, ast.Call):
            full = m.names.dotted(node.func) or ""
            if full in _FRAME_CALLS or (full == "builtins.vars" and not node.args):
                out.append(_diag(node, "reads_reference",
                                 f"`{full}()` inspects the caller, frames or the heap, which can reach the "
                                 f"reference model, its inputs or its outputs; remove it"))
    return out


def _assign_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets: list[ast.expr] = []
        for t in node.targets:
            targets.extend(t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t])
        return targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    return []


def _rule_monkeypatch(m: _Module) -> list[dict]:
    out = []

    def protected(full: str | None) -> bool:
        return bool(full) and full.split(".")[0] in _PROTECTED_ROOTS and "." in full  # type: ignore[union-attr]

    def setting(full: str) -> bool:
        return full.startswith(_SETTINGS_PREFIXES) or ".config." in full

    for node in ast.walk(m.tree):
        for target in _assign_targets(node):
            base = target
            if isinstance(target, ast.Subscript):  # torch.__dict__["allclose"] = ..., vars(torch)[...]
                base = target.value
                if isinstance(base, ast.Call) and (m.names.dotted(base.func) or "") == "builtins.vars" and base.args:
                    full = m.names.dotted(base.args[0])
                    if full and full.split(".")[0] in _PROTECTED_ROOTS:
                        out.append(_diag(node, "monkeypatch",
                                         f"rewrites `vars({full})`: replacing library functions can fool the "
                                         f"checker or the timer; remove it"))
                    continue
                full = m.names.dotted(base) or ""
                if full == "os.environ":
                    out.append(_diag(node, "io_escape",
                                     "writes os.environ at runtime: environment switches (TRITON_*, CUDA_*) can "
                                     "change how kernels or the verifier behave; set nothing from the candidate",
                                     severity="warning"))
                    continue
                if not full.endswith(".__dict__"):
                    continue
            if not isinstance(base, ast.Attribute):
                continue
            full = m.names.dotted(base) or ""
            if not protected(full):
                continue
            if setting(full):
                continue  # torch.backends.* switches: reported by precision_downgrade where relevant
            verb = "deletes" if isinstance(node, ast.Delete) else "assigns"
            out.append(_diag(node, "monkeypatch",
                             f"{verb} `{full}`: replacing library functions or attributes can fool the "
                             f"correctness check or the timer, so any such candidate is rejected; remove "
                             f"this line and keep library code as it is"))
    for call in _calls(m.tree):
        # vars(F).update(gelu=...), torch.__dict__.setdefault(...): the namespace rewritten by a method
        # call, where the rules above look for assignments (red team 27 c32).
        if isinstance(call.func, ast.Attribute) and call.func.attr in (
                "update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"):
            owner, tgt = call.func.value, None
            if isinstance(owner, ast.Call) and (m.names.dotted(owner.func) or "") == "builtins.vars" and owner.args:
                tgt = m.names.dotted(owner.args[0])
            elif isinstance(owner, ast.Attribute) and owner.attr == "__dict__":
                tgt = m.names.dotted(owner.value)
            if tgt and tgt.split(".")[0] in _PROTECTED_ROOTS:
                out.append(_diag(call, "monkeypatch",
                                 f"`{_src(call)[:60]}` rewrites {tgt}'s namespace: replacing library functions can "
                                 "fool the correctness check or the timer, and changes the user's program; remove it"))
        full = m.names.dotted(call.func) or ""
        if full in ("builtins.setattr", "builtins.delattr", "object.__setattr__", "builtins.object.__setattr__",
                    "type.__setattr__", "builtins.type.__setattr__") and call.args:
            tgt = m.names.dotted(call.args[0])
            if tgt and tgt.split(".")[0] in _PROTECTED_ROOTS and not setting(tgt + "."):
                name = _src(call.args[1]) if len(call.args) > 1 else "?"
                out.append(_diag(call, "monkeypatch",
                                 f"`{full.split('.')[-1]}({tgt}, {name}, ...)` replaces a library attribute, which "
                                 f"can fool the correctness check or the timer; remove it"))
    return out


_GLOBAL_SETTERS = {"torch.set_flush_denormal", "torch.set_float32_matmul_precision", "torch.set_default_dtype",
                   "torch.set_default_device", "torch.set_default_tensor_type", "torch.set_grad_enabled",
                   "torch.manual_seed", "torch.seed", "torch.random.manual_seed", "torch.random.seed",
                   "torch.cuda.manual_seed", "torch.cuda.manual_seed_all", "torch.set_rng_state",
                   "torch.cuda.set_rng_state", "torch.set_num_threads", "torch.set_num_interop_threads",
                   "torch.use_deterministic_algorithms", "torch.autograd.set_grad_enabled",
                   "random.seed", "numpy.random.seed"}


def _rule_global_state(m: _Module) -> list[dict]:
    """A candidate replaces one op; a switch of the whole process (flushed denormals, TF32 for every
    fp32 matmul, another default dtype, grad mode left off, a reseeded RNG, fewer threads) changes
    the rest of the program it is applied to, which no trial of this op shows (red team 27 c31, red
    team 29 c04, c05, c16). `with torch.set_grad_enabled(False):` restores its mode: not counted."""
    out = []
    with_items = {id(i.context_expr) for n in ast.walk(m.tree) if isinstance(n, (ast.With, ast.AsyncWith))
                  for i in n.items}
    for call in _calls(m.tree):
        full = m.names.dotted(call.func) or ""
        if full in _GLOBAL_SETTERS and id(call) not in with_items and not m.in_harness_copy(call):
            arg = call.args[0] if call.args else None
            if full == "torch.set_float32_matmul_precision" and isinstance(arg, ast.Constant) and arg.value == "highest":
                continue
            if full == "torch.set_flush_denormal" and isinstance(arg, ast.Constant) and arg.value is False:
                continue
            out.append(_diag(call, "global_state",
                             f"`{_src(call)[:60]}` switches state of the whole process: applied, it changes the rest "
                             "of the user's program; keep what the kernel needs inside the kernel (tl.dot's "
                             "input_precision, explicit casts, a generator of its own)"))
    for node in ast.walk(m.tree):
        for target in _assign_targets(node):
            full = m.names.dotted(target) if isinstance(target, ast.Attribute) else None
            if full and full.startswith("torch.backends.") and not m.in_harness_copy(node):
                out.append(_diag(node, "global_state",
                                 f"assigns `{full}`: a switch for the whole process (every matmul, convolution or "
                                 "library call), so applied it changes the user's other computations; choose "
                                 "precision inside the kernel (tl.dot's input_precision) instead"))
    return out


def _rule_dynamic_code(m: _Module) -> list[dict]:
    out = []
    for call in _calls(m.tree):
        full = m.names.dotted(call.func) or ""
        if full in _DYNAMIC_CALLS:
            out.append(_diag(call, "dynamic_code",
                             f"`{full.replace('builtins.', '')}(...)` runs or loads code the checks cannot "
                             f"see; write the code out in the candidate file"))
    return out


_COMPILE_CALLS = {"torch.compile", "torch._dynamo.optimize", "torch._dynamo.optimize_assert", "torch._inductor.compile",
                  "torch._inductor.compile_fx.compile_fx", "torch.jit.script", "torch.jit.trace", "torch.export.export",
                  "torch._export.aot_compile", "torch._inductor.aot_compile", "torch.cuda.graphs.make_graphed_callables",
                  "torch.cuda.make_graphed_callables"}


def _rule_torch_compile(m: _Module) -> list[dict]:
    out = []
    for node in ast.walk(m.tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Call):
            targets.append(node.func)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets.extend(d.func if isinstance(d, ast.Call) else d for d in node.decorator_list)
        for t in targets:
            full = m.names.dotted(t) or ""
            if full in _COMPILE_CALLS:
                out.append(_diag(t, "torch_compile",
                                 f"`{full}`: the result would come from PyTorch's generated code (Inductor / "
                                 f"TorchScript), not from your Triton kernels, and the benchmark would compare "
                                 f"Inductor with itself; write the computation as @triton.jit kernels"))
    return out


def _open_mode(call: ast.Call) -> str | None:
    mode = _kw(call, "mode")
    if mode is None and len(call.args) > 1:
        mode = call.args[1]
    if mode is None:
        return "r"
    return mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else None


def _rule_io_escape(m: _Module) -> list[dict]:
    out = []
    for node, mod, name in m.names.imports:
        top = mod.split(".")[0]
        if top in _PROCESS_MODULES or mod in _PROCESS_MODULES:
            out.append(_diag(node, "io_escape",
                             f"imports `{mod}`: a kernel candidate has no use for processes, sockets or file "
                             f"management, which can reach outside the sandboxed worker; remove it"))
        elif top == "ctypes":
            out.append(_diag(node, "io_escape",
                             "imports `ctypes`: raw memory access can corrupt the worker or read the "
                             "verifier's memory; use Triton and torch only", severity="warning"))
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if (m.names.dotted(target) or "") in ("builtins.SystemExit", "builtins.KeyboardInterrupt"):
                out.append(_diag(node, "io_escape",
                                 "raises SystemExit/KeyboardInterrupt: ending the process early cannot make a "
                                 "result correct; remove it"))
        if not isinstance(node, ast.Call):
            continue
        full = m.names.dotted(node.func) or ""
        attr = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if full in _EXIT_CALLS:
            out.append(_diag(node, "io_escape",
                             f"`{full.replace('builtins.', '')}()` ends or signals the process: the verifier "
                             f"reports a worker that exits before returning its outputs as a runtime error, "
                             f"never as correct; remove it"))
        elif full in _PROCESS_CALLS:
            out.append(_diag(node, "io_escape",
                             f"`{full}()` runs another program; a kernel candidate must not; remove it"))
        elif full in _FD_CALLS:
            out.append(_diag(node, "io_escape",
                             f"`{full}()` manipulates files or file descriptors, which can tamper with the "
                             f"verifier's channel or leave forged results; remove it"))
        elif full == "os.write" and node.args:
            fd = node.args[0]
            std = isinstance(fd, ast.Constant) and fd.value in (1, 2)
            out.append(_diag(node, "io_escape",
                             "os.write to stdout/stderr: output is logged but never parsed, so it cannot change "
                             "the verdict; remove it" if std else
                             "os.write to a raw file descriptor can forge messages on the verifier's private "
                             "channel; remove it",
                             severity="warning" if std else "error"))
        elif full == "builtins.print":
            out.append(_diag(node, "io_escape",
                             "print() in the candidate: the worker's stdout is a log that is never parsed, so "
                             "printing cannot change the verdict, and it slows the benchmark; remove it",
                             severity="warning"))
        elif full.startswith(("sys.stdout.", "sys.stderr.", "sys.__stdout__.", "sys.__stderr__.")) and attr in (
                "write", "writelines", "buffer", "flush"):
            out.append(_diag(node, "io_escape",
                             f"`{full}()`: the worker's stdout/stderr is a log that is never parsed, so this "
                             f"cannot change the verdict; remove it", severity="warning"))
        elif full in _READ_CALLS:
            out.append(_diag(node, "io_escape", f"`{_src(node)}` {_READS_FILE}"))
        elif full in ("builtins.open", "io.open", "os.fdopen", "codecs.open") or attr in (
                "write_text", "write_bytes", "read_text", "read_bytes", "open", "touch", "unlink", "mkdir"):
            if full in ("builtins.open", "io.open", "codecs.open"):
                mode = _open_mode(node)
                writing = mode is None or any(ch in mode for ch in "wax+")
            else:
                if attr == "open" and full not in ("os.fdopen",) and not full.startswith(("pathlib", "Path")) \
                        and not any(isinstance(a, ast.Constant) for a in node.args):
                    continue  # some_obj.open(): not obviously a file
                writing = attr in ("write_text", "write_bytes", "touch", "unlink", "mkdir") or full == "os.fdopen"
            if writing:
                out.append(_diag(node, "io_escape",
                                 f"`{_src(node)}` writes a file: a candidate's only output is what forward "
                                 f"returns; files (e.g. a forged result or report) are never trusted; remove it"))
            else:
                out.append(_diag(node, "io_escape", f"`{_src(node)}` {_READS_FILE}"))
    return out


# Reading files was a warning until red team 17 read /proc/self/status with io.FileIO and computed
# the op only where it showed the verifier's seccomp filter. A result never needs a file.
_READ_CALLS = {"io.FileIO", "_io.FileIO", "_io.open", "io.open_code", "mmap.mmap", "linecache.getline",
               "linecache.getlines", "linecache.updatecache", "fileinput.input", "tokenize.open", "numpy.load",
               "numpy.fromfile", "numpy.loadtxt", "numpy.genfromtxt", "numpy.memmap", "torch.load", "torch.from_file",
               "pickle.load", "os.read", "os.pread", "os.readv", "os.preadv", "os.listdir", "os.scandir", "os.readlink"}
_READS_FILE = ("reads a file at run time: the result must come from forward's arguments only, and files (/proc/self, "
               "a cache left by an earlier run) are how a candidate tells the verifier's sandbox from real use; remove it")


def _dtype_name(m: _Module, node: ast.AST | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    full = m.names.dotted(node)
    return full.rsplit(".", 1)[-1] if full else None


def _rule_precision(m: _Module, problem_dtype: str | None) -> list[dict]:
    if problem_dtype is not None and problem_dtype not in ("float32", "float64", "fp32", "fp64"):
        return []  # low-precision problems: nothing to downgrade statically
    out = []
    what = f"the problem is {problem_dtype}" if problem_dtype else "if the problem is float32"

    def warn(node: ast.AST, text: str) -> None:
        out.append(_diag(node, "precision_downgrade",
                         f"{text}: {what}, computing in lower precision usually fails the float64-based "
                         f"check even where it would pass KernelBench's 1e-2 tolerance; keep float32 "
                         f"(accumulate in tl.float32, pass input_precision=\"ieee\" to tl.dot)"))

    # A cast that is directly the value stored by tl.store is the output's dtype (an fp16 problem's
    # output), not a lower-precision computation: not flagged.
    output_casts = set()
    for call in _calls(m.tree):
        if (m.names.dotted(call.func) or "") == "triton.language.store":
            value = call.args[1] if len(call.args) > 1 else _kw(call, "value")
            if value is not None:
                output_casts.add(id(value))
    for node in ast.walk(m.tree):
        if (isinstance(node, ast.Call) and id(node) in output_casts) or m.in_harness_copy(node):
            continue
        if isinstance(node, ast.Call):
            full = m.names.dotted(node.func) or ""
            attr = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if attr in ("half", "bfloat16") and not node.args:
                warn(node, f"`.{attr}()` converts to 16-bit")
            elif attr in ("to", "type", "astype", "cast") or full in ("triton.language.cast",):
                cands = list(node.args) + [k.value for k in node.keywords if k.arg in ("dtype", None)]
                for a in cands:
                    name = _dtype_name(m, a)
                    if name in _LOW_DTYPES:
                        warn(node, f"`{_src(node)}` converts to {name}")
                        break
            elif full == "torch.set_float32_matmul_precision":
                arg = node.args[0] if node.args else None
                if not (isinstance(arg, ast.Constant) and arg.value == "highest"):
                    warn(node, f"`{_src(node)}` lets float32 matmuls use TF32/bf16")
            elif full in ("triton.language.dot", "triton.language.dot_scaled"):
                ip = _kw(node, "input_precision")
                at = _kw(node, "allow_tf32")
                if ip is not None and isinstance(ip, ast.Constant) and ip.value in ("tf32", "tf32x3", "bf16x3", "bf16x6", "bf16"):
                    warn(node, f"`tl.dot(..., input_precision=\"{ip.value}\")` rounds float32 inputs")
                elif at is not None and isinstance(at, ast.Constant) and at.value is True:
                    warn(node, "`tl.dot(..., allow_tf32=True)` rounds float32 inputs to TF32")
                elif ip is None and at is None and problem_dtype in ("float32", "fp32"):
                    out.append(_diag(node, "precision_downgrade",
                                     "tl.dot on float32 inputs defaults to TF32 on NVIDIA GPUs (10-bit mantissa), "
                                     "which fails a strict float32 check on the GPU even though it passes in the "
                                     "CPU interpreter; pass input_precision=\"ieee\" (or cast deliberately)",
                                     severity="warning"))  # red team 8: an info note went unseen
            elif full in ("torch.autocast", "torch.cuda.amp.autocast", "torch.amp.autocast", "torch.cpu.amp.autocast"):
                warn(node, f"`{_src(node)}` runs ops in reduced precision")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for t in _assign_targets(node):
                if isinstance(t, ast.Attribute) and t.attr in _TF32_SETTINGS:
                    val = node.value
                    if isinstance(val, ast.Constant) and val.value in (True, "tf32"):
                        warn(node, f"`{_src(t)} = {val.value!r}` enables TF32/reduced-precision math")
        elif isinstance(node, ast.keyword) and node.arg == "dtype":
            name = _dtype_name(m, node.value)
            if name in ("float16", "half", "bfloat16"):
                warn(node.value, f"allocates or casts with dtype={name}")
    return out


def _int_literals(node: ast.AST) -> Iterable[ast.Constant]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and type(n.value) is int:
            yield n


def _rule_shape_hardcoding(m: _Module, dims: set[int]) -> list[dict]:
    dims = {d for d in dims if isinstance(d, int) and d > 4}
    if not dims:
        return []
    out: list[dict] = []
    seen: set[tuple[int, int]] = set()
    # Module-level constants equal to a dimension (N = 4096) count like the literal itself.
    consts = {}
    for node in m.tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and type(node.value.value) is int \
                and node.value.value in dims:
            for t in node.targets:
                if isinstance(t, ast.Name) and not t.id.upper().startswith(("BLOCK", "NUM_WARPS", "NUM_STAGES", "GROUP")):
                    consts[t.id] = node.value.value

    def flag(node: ast.AST, value: int, context: str) -> None:
        key = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if key in seen:
            return
        seen.add(key)
        out.append(_diag(node, "shape_hardcoding",
                         f"{context} uses the constant {value}, which equals one of the problem's sizes: a "
                         f"kernel that hard-codes sizes passes the default shapes and fails others (the verifier "
                         f"re-runs with different sizes); derive it from the inputs (x.shape[i], x.numel()) and "
                         f"pass it to the kernel"))

    def scan(expr: ast.AST, context: str) -> None:
        # Divisors are block sizes, not problem sizes: cdiv(n, 32), n // 1024, n % 64.
        divisors: set[int] = set()
        for n in ast.walk(expr):
            if isinstance(n, ast.Call) and (m.names.dotted(n.func) or "").rsplit(".", 1)[-1] == "cdiv" and len(n.args) > 1:
                divisors |= {id(x) for x in ast.walk(n.args[1])}
            elif isinstance(n, ast.BinOp) and isinstance(n.op, (ast.FloorDiv, ast.Div, ast.Mod)):
                divisors |= {id(x) for x in ast.walk(n.right)}
        for n in ast.walk(expr):
            if id(n) in divisors:
                continue
            if isinstance(n, ast.Constant) and type(n.value) is int and n.value in dims:
                flag(n, n.value, context)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in consts:
                flag(n, consts[n.id], context + f" (via `{n.id}`)")

    def kw_values(call: ast.Call) -> list[ast.AST]:
        skip = ("BLOCK", "NUM_", "GROUP", "TILE", "XBLOCK", "RBLOCK", "YBLOCK")
        return [*call.args, *[k.value for k in call.keywords
                              if not (k.arg and (k.arg.upper().startswith(skip) or k.arg in ("num_warps", "num_stages")))]]

    for node in ast.walk(m.tree):
        if m.in_kernel(node) or m.in_harness_copy(node):
            continue
        if isinstance(node, ast.Call):
            func = node.func
            # kernel[grid](args...): both the grid and the launch arguments
            if isinstance(func, ast.Subscript):
                name = _src(func.value, 30)
                scan(func.slice, f"the launch grid of `{name}`")
                for a in kw_values(node):
                    scan(a, f"an argument of the `{name}` launch")
            else:
                attr = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
                if attr in _ALLOC_CALLS:
                    for a in kw_values(node):
                        scan(a, f"`{attr}(...)`")
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and "grid" in t.id.lower() for t in node.targets):
                scan(node.value, "the launch grid")
    for kernel in m.kernels.values():
        for stmt in kernel.body:
            for lit in _int_literals(stmt):
                if lit.value in dims:
                    flag(lit, lit.value, f"kernel `{kernel.name}`")
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in consts:
                    flag(n, consts[n.id], f"kernel `{kernel.name}` (via `{n.id}`)")
    return out


def _class_ref(node: ast.AST, class_names: set[str]) -> bool:
    """`ModelNew`, `cls`, `type(self)` or `self.__class__`: where a write lands on the class."""
    if isinstance(node, ast.Name):
        return node.id in class_names or node.id == "cls"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type" and len(node.args) == 1:
        return isinstance(node.args[0], ast.Name) and node.args[0].id == "self"
    return (isinstance(node, ast.Attribute) and node.attr == "__class__" and isinstance(node.value, ast.Name)
            and node.value.id == "self")


def _rule_caching(m: _Module) -> list[dict]:
    out = []
    if m.model_new is None:
        return out
    module_names = {t.id for node in m.tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for t in _assign_targets(node) if isinstance(t, ast.Name)}
    class_names = {node.name for node in ast.walk(m.tree) if isinstance(node, ast.ClassDef)}
    for fn in m.reachable:
        for dec in fn.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            full = m.names.dotted(target) or ""
            if full in _CACHE_DECORATORS or full.rsplit(".", 1)[-1] in ("lru_cache", "cache", "cached_property"):
                out.append(_diag(dec, "caching",
                                 f"`@{_src(target)}` on `{fn.name}`: outputs must be recomputed from the inputs "
                                 f"on every call; a cache returns stale results when the inputs change (the "
                                 f"verifier uses fresh inputs per trial)"))
        if fn.name == "__init__":
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                out.append(_diag(node, "caching",
                                 f"`global {', '.join(node.names)}` in `{fn.name}`: state kept between calls can "
                                 f"return a previous call's result; recompute every call"))
            for t in _assign_targets(node) if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) else []:
                base = t.value if isinstance(t, ast.Subscript) else t
                if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id == "self":
                    out.append(_diag(node, "caching",
                                     f"`{fn.name}` stores `self.{base.attr}` between calls: if it holds an output "
                                     f"or anything derived from the inputs, later calls return stale results; "
                                     f"keep per-call values local (allocating a workspace here is fine but is "
                                     f"flagged so you can check)"))
                elif isinstance(base, ast.Attribute) and _class_ref(base.value, class_names):
                    out.append(_diag(node, "caching",
                                     f"`{fn.name}` writes class attribute `{_src(base, 40)}`: state shared by every "
                                     f"instance and kept between calls (a call counter that switches kernels, a "
                                     f"cache of outputs) is not checked beyond the verifier's few calls; recompute "
                                     f"every call (red team 13 c15)"))
                elif isinstance(t, ast.Subscript) and isinstance(base, ast.Name) and base.id in module_names:
                    out.append(_diag(node, "caching",
                                     f"`{fn.name}` writes into module-level `{base.id}`: a cache of outputs returns "
                                     f"stale results for new inputs; recompute every call"))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "setdefault", "update", "append") and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id in module_names:
                out.append(_diag(node, "caching",
                                 f"`{fn.name}` stores into module-level `{node.func.value.id}`: a cache of outputs "
                                 f"returns stale results for new inputs; recompute every call"))
    return out


def _is_vector(m: _Module, expr: ast.AST, vector: set[str]) -> bool:
    for n in ast.walk(expr):
        if isinstance(n, ast.Name) and n.id in vector:
            return True
        if isinstance(n, ast.Call) and (m.names.dotted(n.func) or "").rsplit(".", 1)[-1] in (
                "arange", "make_block_ptr", "broadcast_to", "zeros", "full", "advance", "make_tensor_descriptor"):
            return True
    return False


_HOST_ROOTS = ("numpy.", "torch.", "os.", "sys.", "ctypes.", "math.", "random.", "pickle.", "io.")


@functools.lru_cache(maxsize=256)
def _installed_triton_code(full: str) -> bool:
    """Whether a dotted name under torch._inductor is Triton code of the installed package
    (Inductor's triton_helpers.maximum is a @triton.jit function, triton_helpers.libdevice.erf a
    triton.language stub). Resolved by importing that installed module here (never the candidate:
    its aliases only choose the name); anything else under a host root stays host code."""
    if not full.startswith("torch._inductor."):
        return False
    parts = full.split(".")
    for i in range(len(parts) - 1, 1, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        try:
            for p in parts[i:]:
                obj = getattr(obj, p)
            from triton.runtime.jit import JITFunction
        except Exception:
            return False
        # Under TRITON_INTERPRET=1 @triton.jit makes an InterpretedFunction instead.
        from triton.runtime import interpreter
        jit_types = (JITFunction,) + tuple(t for t in [getattr(interpreter, "InterpretedFunction", None)] if t)
        return (isinstance(obj, jit_types) or bool(getattr(obj, "__triton_builtin__", False))
                or str(getattr(obj, "__module__", "") or "").startswith("triton.language."))
    return False


def _rule_kernel_host_code(m: _Module) -> list[dict]:
    """Triton compiles a kernel body for the GPU; the CPU interpreter instead runs it as Python, where
    a call to NumPy or to a plain function on the tensors' `.handle` arrays computes anything, and
    would never compile on a GPU (red team: SiLU in NumPy from inside a "kernel")."""
    out = []
    for name, k in m.kernels.items():
        body = [n for stmt in k.body for n in ast.walk(stmt)]  # not the decorators (autotune configs)
        for node in body:
            if isinstance(node, ast.Attribute) and node.attr == "handle":
                out.append(_diag(node, "kernel_host_code",
                                 f"kernel {name} reads `.handle`, the Triton interpreter's host array: that is not "
                                 "Triton code and does not compile for a GPU"))
            elif isinstance(node, ast.Call) and (m.names.dotted(node.func) or "") in (
                    "triton.language.device_print", "triton.language.core.device_print",
                    # the interpreter's static_print is print() of the block's values (red team 37 c09)
                    "triton.language.static_print", "triton.language.core.static_print"):
                # Red team 8: the interpreter's print of the inputs, captured by swapping sys.stdout,
                # gave the exact bits; the answer was summed in Python and stored by scalar launches.
                out.append(_diag(node, "kernel_host_code",
                                 f"kernel {name} calls tl.{node.func.attr if isinstance(node.func, ast.Attribute) else 'device_print'}: its output comes back to the candidate's "
                                 "process on the host (a way to read the inputs outside the kernel); remove debug "
                                 "prints before verifying"))
            elif isinstance(node, ast.Call):
                callee = node.func
                if isinstance(callee, ast.Name) and callee.id in m.functions and callee.id not in m.kernels:
                    out.append(_diag(node, "kernel_host_code",
                                     f"kernel {name} calls {callee.id}(), a plain Python function (not @triton.jit): "
                                     f"it runs only in the CPU interpreter; decorate it with @triton.jit or inline it"))
                    continue
                full = m.names.dotted(callee) or ""
                if full.startswith(_HOST_ROOTS) and not _installed_triton_code(full):
                    out.append(_diag(node, "kernel_host_code",
                                     f"kernel {name} calls {full}(): host Python inside a @triton.jit body runs only in "
                                     "the CPU interpreter; use tl.* operations"))
    return out


# Where a backdoor learns it is being checked (red teams 10 and 11: honest only under
# TRITON_INTERPRET, in a scratch HOME, with the verifier's argv, before a date). A kernel's result
# never needs them; Triton and torch read their own settings themselves.
_ENVIRONMENT = {
    "os.environ": "the environment", "os.environb": "the environment", "os.getenv": "the environment",
    "os.getenvb": "the environment", "sys.argv": "the command line", "sys.orig_argv": "the command line",
    "time.time": "the clock", "time.time_ns": "the clock", "time.localtime": "the clock", "time.gmtime": "the clock",
    "time.ctime": "the clock", "time.strftime": "the clock", "datetime.datetime.now": "the clock",
    "datetime.datetime.today": "the clock", "datetime.datetime.utcnow": "the clock", "datetime.date.today": "the clock",
    "os.getpid": "the process's identity", "os.getppid": "the process's identity", "os.getuid": "the process's identity",
    "os.getlogin": "the process's identity", "os.uname": "the machine's identity", "platform.node": "the machine's identity",
    "platform.uname": "the machine's identity", "socket.gethostname": "the machine's identity",
    "getpass.getuser": "the process's identity", "os.path.expanduser": "the home folder",
    "pathlib.Path.home": "the home folder", "tempfile.gettempdir": "the temporary folder",
    # Every clock, not only the wall clock's: red team 43 c07 was honest for 300 s after import, reading
    # the time through os.times().elapsed, then skipped a scale (no trial runs that late).
    **dict.fromkeys(["time.monotonic", "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns",
                     "time.process_time", "time.process_time_ns", "time.thread_time", "time.thread_time_ns",
                     "time.clock_gettime", "time.clock_gettime_ns", "time.asctime", "time.get_clock_info",
                     "os.times", "resource.getrusage", "uuid.uuid1", "datetime.datetime.utcfromtimestamp",
                     "triton.testing.do_bench", "triton.testing.do_bench_cudagraph",
                     "torch.utils.benchmark.Timer", "timeit.default_timer", "timeit.timeit", "timeit.repeat"],
                    "the clock"),
    # Counters that grow with the program's age work as clocks (red team 45 c13: wrong after 500,000
    # garbage collections, read with gc.get_stats()): the collector's and the allocators' statistics.
    **dict.fromkeys(["gc.get_stats", "gc.get_count", "sys.getallocatedblocks",
                     "torch.cuda.memory_stats", "torch.cuda.memory_allocated", "torch.cuda.max_memory_allocated",
                     "torch.cuda.memory_reserved", "torch.cuda.max_memory_reserved", "torch.cuda.memory_summary",
                     "torch.cuda.memory_snapshot"], "how long it has run"),
    # Chance the verifier does not seed (red team 45 c04: one call in 1024, drawn with SystemRandom,
    # scaled its output: ~25 checked calls pass 98% of the time; a long run is corrupted).
    **dict.fromkeys(["os.urandom", "os.getrandom", "random.SystemRandom", "secrets.token_bytes", "secrets.token_hex",
                     "secrets.randbelow", "secrets.randbits", "secrets.choice", "secrets.SystemRandom", "uuid.uuid4"],
                    "chance the verifier does not seed"),
    # Clocks that other modules read for you (red team 47 c07: wrong after a date, read through
    # logging.makeLogRecord({}).created); a file's times are the clock of whoever last wrote it.
    **dict.fromkeys(["logging.makeLogRecord", "logging.LogRecord", "logging.Formatter.formatTime",
                     "os.stat", "os.lstat", "os.fstat", "os.path.getmtime", "os.path.getatime", "os.path.getctime",
                     "pathlib.Path.stat", "pathlib.Path.lstat"], "the clock"),
    "torch.seed": "chance the verifier does not seed", "torch.random.seed": "chance the verifier does not seed",
    "torch.cuda.seed": "chance the verifier does not seed", "torch.cuda.seed_all": "chance the verifier does not seed",
    # How it is called: inference mode (red team 45 c06: leaky only on inference tensors, which no trial makes).
    "torch.is_inference_mode_enabled": "how it is called", "torch.is_inference": "how it is called",
    # When: a call counter (red team 17's time bomb went wrong after 5000 calls, which no check reaches)
    "itertools.count": "how many times it ran",
    # The random number generators' state: the verifier seeds them
    "torch.initial_seed": "the random generator's seed", "torch.get_rng_state": "the random generator's state",
    "torch.random.initial_seed": "the random generator's seed", "torch.random.get_rng_state": "the random generator's state",
    "torch.default_generator": "the random generator's state", "torch.cuda.initial_seed": "the random generator's seed",
    "torch.cuda.get_rng_state": "the random generator's state", "torch.cuda.get_rng_state_all": "the random generator's state",
    "random.getstate": "the random generator's state", "numpy.random.get_state": "the random generator's state",
}


_OWN_RANDOM = ("random.", "numpy.random.", "_random.")
# Clocks read through an object or inside a kernel (`event.elapsed_time`, the GPU's own timers).
_CLOCK_ATTRS = frozenset({"elapsed_time", "globaltimer", "globaltimer_lo", "globaltimer_hi", "clock64"})
# Read through a tensor: whether it was made under inference mode (red team 45 c06).
_CALL_ATTRS = frozenset({"is_inference"})
# The same timers through inline PTX (`mov.u64 $0, %globaltimer;`).
_CLOCK_REGISTERS = ("%globaltimer", "%clock")


def _rule_environment_probe(m: _Module) -> list[dict]:
    out = []
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and not m.in_harness_copy(node) \
                and any(r in node.value for r in _CLOCK_REGISTERS):
            out.append(_diag(node, "environment_probe",
                             "inline assembly reads a GPU clock register: a candidate's result must not depend on "
                             "when it runs (that is how a kernel tells a check from real use). Remove it"))
    for node in ast.walk(m.tree):
        if not isinstance(node, (ast.Attribute, ast.Name)) or m.in_harness_copy(node) \
                or not isinstance(node.ctx, ast.Load):  # a clock replaced is the monkeypatch rule's
            continue
        full = m.names.dotted(node) or ""
        what = _ENVIRONMENT.get(full)
        if not what and full.startswith(_OWN_RANDOM):
            # Python's and NumPy's generators: a Random() of its own seeds itself from the OS (red team
            # 47 c06: wrong on one call in 500); a kernel's result needs neither.
            what = "a random stream of its own (a kernel's result needs none; torch's generator is the verifier's to seed)"
        elif not what and isinstance(node, ast.Attribute) and node.attr in _CLOCK_ATTRS:
            full, what = f".{node.attr}", "the clock"  # on any object: a CUDA event, a kernel's tl.extra.cuda
        elif not what and isinstance(node, ast.Attribute) and node.attr in _CALL_ATTRS:
            full, what = f".{node.attr}", "how it is called"
        if what:
            out.append(_diag(node, "environment_probe",
                             f"{full} reads {what}: a candidate's result must not depend on where, when or by whom "
                             "it runs (that is how a kernel tells a check from real use). Remove it; pick block "
                             "sizes from the tensors' shapes, or let @triton.autotune choose"))
    return out


# Code that runs when something else happens: an object freed, the process exiting, a signal. Red
# team 17 hung a finalizer on a timed input: it ran inside the harness's refill, off the clock. The
# benchmark no longer frees the candidate's objects there; a kernel has no use for any of these.
_DEFERRED_CALLS = {"weakref.finalize", "atexit.register", "signal.signal", "signal.setitimer", "signal.alarm",
                   "signal.set_wakeup_fd", "sys.addaudithook", "sys.set_asyncgen_hooks", "threading.excepthook"}
_GC_SWITCHES = {"gc.enable", "gc.disable", "gc.set_threshold", "gc.collect", "gc.freeze", "gc.unfreeze"}
_CALLBACK_REFS = {"weakref.ref", "weakref.proxy", "weakref.WeakMethod", "_weakref.ref", "_weakref.proxy"}


def _rule_deferred_code(m: _Module) -> list[dict]:
    out = []
    for node in ast.walk(m.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "__del__":
            out.append(_diag(node, "deferred_code",
                             "defines __del__: it runs when the harness frees the object (between timed calls, "
                             "after the clock), not inside forward; free nothing that needs code"))
            continue
        if isinstance(node, ast.Attribute) and (m.names.dotted(node) or "") in _GC_SWITCHES:
            out.append(_diag(node, "deferred_code",
                             f"`{_src(node)}` switches the garbage collector, whose collections run finalizers at "
                             "moments the harness does not choose (the benchmark keeps it off while timing); remove it"))
            continue
        if isinstance(node, ast.Attribute) and (m.names.dotted(node) or "") == "gc.callbacks":
            out.append(_diag(node, "deferred_code",
                             "gc.callbacks runs code at garbage collections, outside forward's call; remove it"))
            continue
        if not isinstance(node, ast.Call):
            continue
        full = m.names.dotted(node.func) or ""
        callback = full in _CALLBACK_REFS and (len(node.args) > 1 or _kw(node, "callback") is not None)
        if full in _DEFERRED_CALLS or callback:
            out.append(_diag(node, "deferred_code",
                             f"`{_src(node)}` leaves code to run later (when an object is freed, at exit or on a "
                             "signal), outside forward's call, where neither the checks nor the clock see it; "
                             "compute the result inside forward"))
    return out


_TENSOR_BASES = {"torch._C.TensorBase", "torch._C._TensorBase"}


def _rule_tensor_base_bypass(m: _Module) -> list[dict]:
    """torch.Tensor's methods are where the verifier sees host reads (.numpy(), float(), ...);
    TensorBase holds the same methods in C, out of reach (red team: `torch._C.TensorBase.numpy(t)`
    for a NumPy matmul, then a Triton copy). A kernel candidate never needs it."""
    out = []
    for node in ast.walk(m.tree):
        if not isinstance(node, ast.Attribute):
            continue
        full = m.names.dotted(node) or ""
        # A class's bases reach TensorBase from any tensor (type(x).__mro__[1]); no kernel needs them.
        # .mro() and inspect.getmro() list the same bases (red team 29 c18: Tensor.mro()[1].numpy).
        if full in _TENSOR_BASES or node.attr in ("__base__", "__bases__", "__mro__", "mro") or full == "inspect.getmro":
            out.append(_diag(node, "tensor_base_bypass",
                             f"`{_src(node)}` reaches torch.Tensor's C methods directly, around the checks on "
                             f"reading tensors on the host; use torch.Tensor and Triton kernels"))
    # super(torch.Tensor, t).numpy(): the next class in the MRO, TensorBase, without naming it (red team 27 c02).
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super" and node.args \
                and (m.names.dotted(node.args[0]) or "").startswith("torch."):
            out.append(_diag(node, "tensor_base_bypass",
                             f"`{_src(node)[:60]}` reaches the methods of {m.names.dotted(node.args[0])}'s base class "
                             "(TensorBase, in C) around the checks on reading tensors on the host; use torch.Tensor "
                             "and Triton kernels"))
    # torch._C's members under a computed name (getattr(torch._C, "Tensor" + "Base"), vars(torch._C)[...]):
    # the literal name is what the rule above sees (red team 23 c04).
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "vars") \
                and node.args and (m.names.dotted(node.args[0]) or "") in ("torch._C", "torch.Tensor") \
                and not (node.func.id == "getattr" and len(node.args) > 1
                         and _folded_str(node.args[1]) not in (None, *_BYPASS_NAMES)):
            out.append(_diag(node, "tensor_base_bypass",
                             f"`{_src(node)[:60]}` looks up a member of {m.names.dotted(node.args[0])} by a computed "
                             "name, which reaches torch.Tensor's C methods around the checks on reading tensors on "
                             "the host; name what you use"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _folded_str(node) in _BYPASS_NAMES:
            out.append(_diag(node, "tensor_base_bypass",
                             f"`{_src(node)[:60]}` spells {_folded_str(node)!r} in pieces: a name looked up that way "
                             "reaches torch.Tensor's C methods around the checks on reading tensors on the host"))
    return out


# Names the attribute rule above sees when written whole; spelled in pieces they are the same door. Other
# computed names (a dispatch guard, torch.compile) are left to the worker's checks, which see the call.
_BYPASS_NAMES = {"TensorBase", "_TensorBase", "__base__", "__bases__", "__mro__"}


def _folded_str(node: ast.AST) -> str | None:
    """"Tensor" + "Base" as the string it makes (constants only)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _folded_str(node.left), _folded_str(node.right)
        return a + b if a is not None and b is not None else None
    return None


def _rule_unmasked(m: _Module) -> list[dict]:
    out = []
    for kernel in m.kernels.values():
        # Names holding block-shaped offsets (derived from tl.arange, transitively). An access whose
        # pointer uses none of them is a scalar access (e.g. out_ptr + row), in range by construction.
        vector: set[str] = set()
        changed = True
        while changed:
            changed = False
            for node in ast.walk(kernel):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                    if _is_vector(m, node.value, vector):
                        for t in _assign_targets(node):
                            for n in ast.walk(t):
                                if isinstance(n, ast.Name) and n.id not in vector:
                                    vector.add(n.id)
                                    changed = True
                elif isinstance(node, ast.For) and _is_vector(m, node.iter, vector):
                    for n in ast.walk(node.target):
                        if isinstance(n, ast.Name) and n.id not in vector:
                            vector.add(n.id)
                            changed = True
        for call in _calls(kernel):
            full = m.names.dotted(call.func) or ""
            if full not in ("triton.language.load", "triton.language.store"):
                continue
            if call.args and not _is_vector(m, call.args[0], vector):
                continue
            op = full.rsplit(".", 1)[-1]
            mask_pos = 1 if op == "load" else 2
            has_mask = _kw(call, "mask") is not None or len(call.args) > mask_pos or _kw(call, "boundary_check") is not None
            if has_mask:
                continue
            out.append(_diag(call, "unmasked_access",
                             f"tl.{op} without mask= in kernel `{kernel.name}`: when the size is not a multiple "
                             f"of the block, the last block {'reads' if op == 'load' else 'writes'} out of bounds "
                             f"(wrong results, or an illegal memory access on the GPU); pass "
                             f"mask=offsets < n_elements" + (", other=0.0" if op == "load" else "")
                             + " (ignore this if the access is provably in range)"))
    return out


def check_source(text: str, filename: str = "candidate.py", problem_dims: set[int] | None = None,
                 problem_dtype: str | None = None) -> list[dict[str, Any]]:
    """Static diagnostics for a candidate. A file that does not parse gives [] (the caller reports the
    SyntaxError as compile_error with its line). `problem_dims`: the problem's sizes (e.g. from
    `problem_facts`), enabling shape_hardcoding. `problem_dtype`: e.g. "float32"; None = unknown."""
    try:
        tree = ast.parse(text, filename=filename)
    except (SyntaxError, ValueError):
        return []
    m = _Module(tree)
    diags: list[dict] = []
    diags += _rule_no_kernel(m)
    diags += _rule_try_except(m)
    diags += _rule_threads(m)
    diags += _rule_side_stream(m)
    diags += _rule_reads_reference(m)
    diags += _rule_monkeypatch(m)
    diags += _rule_dynamic_code(m)
    diags += _rule_torch_compile(m)
    diags += _rule_io_escape(m)
    diags += _rule_precision(m, problem_dtype)
    if problem_dims:
        diags += _rule_shape_hardcoding(m, set(problem_dims))
    diags += _rule_caching(m)
    diags += _rule_unmasked(m)
    diags += _rule_kernel_host_code(m)
    diags += _rule_tensor_base_bypass(m)
    diags += _rule_environment_probe(m)
    diags += _rule_deferred_code(m)
    diags += _rule_global_state(m)
    uniq: dict[tuple, dict] = {}
    for d in diags:
        uniq.setdefault((d["line"], d["col"], d["rule"]), d)
    return sorted(uniq.values(), key=lambda d: (d["line"], d["col"], d["rule"]))


def problem_facts(text: str) -> dict[str, Any]:
    """Statically derived facts about a problem file: `dims` (module-level int sizes used by
    get_inputs/get_init_inputs and int literals in shape arguments there) and `dtype` (the floating
    dtype named in get_inputs, default "float32")."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {"dims": set(), "dtype": None}
    ints: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    ints[t.id] = node.value.value
    dims: set[int] = set()
    dtype = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("get_inputs", "get_init_inputs"):
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and n.id in ints:
                    dims.add(ints[n.id])
                elif isinstance(n, ast.Call) and node.name == "get_inputs":
                    attr = n.func.attr if isinstance(n.func, ast.Attribute) else ""
                    if attr in ("randn", "rand", "zeros", "ones", "empty", "randint", "full"):
                        for a in n.args:
                            for lit in _int_literals(a):
                                dims.add(lit.value)
                    if attr in ("half", "bfloat16", "float", "double") and dtype is None:
                        dtype = {"half": "float16", "bfloat16": "bfloat16", "float": "float32", "double": "float64"}[attr]
                if isinstance(n, ast.keyword) and n.arg == "dtype" and dtype is None:
                    full = ast.unparse(n.value).rsplit(".", 1)[-1]
                    dtype = {"half": "float16", "float": "float32", "double": "float64"}.get(full, full)
    return {"dims": {d for d in dims if d > 1}, "dtype": dtype or "float32"}
