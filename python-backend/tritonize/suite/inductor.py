"""`tritonize inductor-candidate PROBLEM.py [--out CANDIDATE.py]` (GPU only): a standalone ModelNew
built from the Triton kernels TorchInductor generates for the problem.

How: the Model is compiled with Inductor (dynamic shapes, so the kernels take their sizes as
arguments and pass the shape-variation trial; max-autotune with Triton-only GEMM/conv backends,
so matmuls and convolutions are Triton templates rather than cuBLAS/cuDNN calls) and run once, so
every kernel is autotuned. From Inductor's output code (torch._inductor.utils.run_and_get_code) the
candidate keeps, verbatim: the kernels' `@triton.jit` functions (Inductor's autotuning decorators
removed), the `call(args)` function that allocates buffers and launches them, and the helpers it
imports. Each kernel's launch goes through a plain `kernel[grid](...)` with the config Inductor's
autotuner picked and the grid expression Inductor would compute (GridExpr), so the verifier sees
ordinary Triton launches. `call`'s arguments are mapped to the module's parameters, the forward's
inputs and their sizes through the sources Dynamo records for the graph's placeholders.

The file is generated code: it is a baseline for the LLM to beat and a corpus of real-world Triton
for the verifier's false-reject rate, not something to edit by hand.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import operator
import os
import sys
import textwrap
from pathlib import Path
from typing import Any


class InductorCandidateError(Exception):
    pass


def add_parser(sub: Any) -> None:
    p = sub.add_parser("inductor-candidate", help="write a standalone ModelNew from TorchInductor's Triton kernels (GPU)")
    p.add_argument("problem", type=Path)
    p.add_argument("--out", type=Path, default=None, help="candidate file (default: print to stdout)")
    p.add_argument("--no-max-autotune", action="store_true", help="Inductor's default GEMM choice (may be cuBLAS, not Triton)")


def run(args: argparse.Namespace) -> int:
    def fail(msg: str) -> int:
        sys.stderr.write(f"tritonize inductor-candidate: {msg}\n")
        return 2

    if not args.problem.is_file():
        return fail(f"cannot read {args.problem}: no such file")
    if args.out is not None and not args.out.parent.exists():
        return fail(f"cannot write {args.out}: {args.out.parent} does not exist")
    try:
        import torch
    except ImportError:
        return fail(f"torch is not installed in {sys.executable}")
    if not torch.cuda.is_available():
        return fail("needs a CUDA GPU: Inductor generates Triton kernels only for GPUs (on the CPU it writes C++)")
    try:
        code = generate(args.problem, max_autotune=not args.no_max_autotune)
    except InductorCandidateError as exc:
        return fail(str(exc))
    if args.out is None:
        sys.stdout.write(code)
    else:
        args.out.write_text(code)
        sys.stderr.write(f"wrote {args.out}\n")
    return 0


# --- mapping Dynamo placeholder sources to the module's parameters and the forward's inputs -------

def _source_name(node: Any) -> str:
    ga = node.meta.get("grapharg")
    if ga is None or getattr(ga, "source", None) is None:
        raise InductorCandidateError(f"graph input {node.name} has no recorded source")
    name = ga.source.name
    return name() if callable(name) else name


def _param_path(expr: ast.AST) -> str | None:
    """L['self']._modules['linear']._parameters['weight'] (or .linear.weight) -> 'linear.weight'."""
    parts: list[str] = []
    while True:
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
            if isinstance(expr.value, ast.Name) and expr.value.id == "L":
                return ".".join(reversed(parts)) if expr.slice.value == "self" and parts else None
            parts.append(expr.slice.value)
            expr = expr.value
            if isinstance(expr, ast.Attribute) and expr.attr in ("_modules", "_parameters", "_buffers"):
                expr = expr.value
        elif isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        else:
            return None


def _arg_spec(source: str, forward_args: list[str]) -> tuple:
    """One entry of _ARGS: ("input", i) | ("param", path) | ("size"/"stride", i, dim); _trace() turns
    a "param" that is no parameter or buffer into ("attr_tensor", path, dtype, device) (a float attribute
    Dynamo lifted to a 0-d tensor) or ("attr", path) (a number)."""
    try:
        expr = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise InductorCandidateError(f"cannot read the graph input source {source!r}") from exc

    def local(e: ast.AST) -> int | None:
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) and e.value.id == "L" \
                and isinstance(e.slice, ast.Constant) and e.slice.value in forward_args:
            return forward_args.index(e.slice.value)
        return None

    if local(expr) is not None:
        return ("input", local(expr))
    # L['x'].size()[0] / L['x'].stride()[1]
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Call) and isinstance(expr.value.func, ast.Attribute) \
            and expr.value.func.attr in ("size", "stride") and isinstance(expr.slice, ast.Constant):
        i = local(expr.value.func.value)
        if i is not None:
            return (expr.value.func.attr, i, int(expr.slice.value))
        path = _param_path(expr.value.func.value)  # a parameter's size (parameters are dynamic too)
        if path:
            return ("param_" + expr.value.func.attr, path, int(expr.slice.value))
    path = _param_path(expr)
    if path:
        return ("param", path)
    raise InductorCandidateError(f"unsupported graph input {source!r} (only the forward's tensors, their sizes and "
                                 f"the module's parameters/buffers are supported)")


# --- output code -> standalone module -------------------------------------------------------------

def _dotted(e: ast.AST) -> str:
    if isinstance(e, ast.Attribute):
        return _dotted(e.value) + "." + e.attr
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Call):
        return _dotted(e.func)
    return ""


def _kernel_parts(src: str, name: str) -> tuple[list[str], list[str], str]:
    """(import lines, helper functions, the @triton.jit def renamed to <name>_kernel, Inductor's
    decorators removed). Helpers are the source's other functions as written (a scan's combine
    function, `@triton.jit def _triton_helper_fn_add0`)."""
    tree = ast.parse(src)
    imports, helpers, fn = [], [], None
    lines = src.splitlines()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(src, node))
        elif isinstance(node, ast.FunctionDef) and node.name == name:
            fn = node
        elif isinstance(node, ast.FunctionDef):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            helpers.append("\n".join(lines[start - 1:node.end_lineno]))
    if fn is None:
        raise InductorCandidateError(f"kernel {name}: no function in its source")
    body = "\n".join(lines[fn.lineno - 1:fn.end_lineno])  # from `def`: decorators dropped
    body = body.replace(f"def {name}(", f"def {name}_kernel(", 1)
    return imports, helpers, "@triton.jit\n" + body


def _launch_meta(kernel: Any, name: str, positional: int) -> dict[str, Any]:
    from torch._inductor.runtime.triton_heuristics import GridExpr

    launchers = getattr(kernel, "launchers", None) or []
    if len(launchers) != 1:
        raise InductorCandidateError(f"kernel {name}: {len(launchers)} launchers after a run (autotuning not finished?)")
    cfg = launchers[0].config
    fn = kernel.fn
    constants = dict((getattr(kernel, "triton_meta", None) or {}).get("constants") or {})
    arg_names = list(fn.arg_names)
    constexpr = {arg_names[i] for i in getattr(fn, "constexprs", [])}
    # Templates (GEMM, conv) get their grid as extra trailing launch arguments (FixedGrid).
    extra = list(kernel.inductor_meta.get("extra_launcher_args") or [])
    names = [n for n in arg_names if n not in cfg.kwargs and n not in constexpr]
    if len(names) + len(extra) != positional:
        names = [n for n in names if n not in constants]
    if len(names) + len(extra) != positional:
        raise InductorCandidateError(f"kernel {name}: launched with {positional} arguments, expected "
                                     f"{len(names) + len(extra)} ({names + extra})")
    grid = GridExpr.from_meta(kernel.inductor_meta, cfg)
    consts = {k: v for k, v in constants.items() if isinstance(k, str) and k in arg_names and k not in names
              and k not in cfg.kwargs and isinstance(v, (int, float, bool))}
    return {"names": names, "extra": extra, "kwargs": {**consts, **dict(cfg.kwargs)}, "num_warps": cfg.num_warps,
            "num_stages": cfg.num_stages, "prefix": list(grid.prefix), "grid": [str(grid.x_grid), str(grid.y_grid), str(grid.z_grid)]}


def build_source(problem_src: str, output_code: str, arg_specs: list[tuple], single: bool, kernels: dict[str, dict[str, Any]],
                 header: str) -> str:
    tree = ast.parse(output_code)
    prelude: list[str] = []
    kernel_imports: list[str] = []
    helper_src: dict[str, str] = {}
    kernel_defs: list[str] = []
    funcs: list[str] = []
    for node in tree.body:
        seg = ast.get_source_segment(output_code, node) or ""
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _dotted(node.value.func).endswith("async_compile.triton"):
            name = node.value.args[0].value
            imps, helpers, jit = _kernel_parts(node.value.args[1].value, name)
            kernel_imports += imps
            for h in helpers:  # each kernel's source defines its own; the same text once
                hname = ast.parse(textwrap.dedent(h)).body[0].name
                if helper_src.setdefault(hname, h) != h:
                    raise InductorCandidateError(f"two kernels define different helpers named {hname}")
            m = kernels[name]
            params = ", ".join(m["names"] + m.get("extra", []))
            prefix = "".join(f"    {line}\n" for line in m["prefix"])
            kernel_defs.append(
                f"{jit}\n\n\ndef {name}_grid({params}):\n{prefix}    return ({m['grid'][0]}, {m['grid'][1]}, {m['grid'][2]})\n\n\n"
                f"{name} = _Launch({name}_kernel, {name}_grid, {len(m['names'])}, {m['kwargs']!r}, "
                f"num_warps={m['num_warps']}, num_stages={m['num_stages']})\n")
        elif isinstance(node, ast.Assign) and _dotted(getattr(node.value, "func", node.value)).startswith("AsyncCompile"):
            continue
        elif isinstance(node, ast.Expr) and _dotted(node.value).startswith("async_compile"):
            continue
        elif isinstance(node, ast.Delete):
            continue
        elif isinstance(node, ast.FunctionDef):
            if node.name not in ("benchmark_compiled_module", "get_args"):
                funcs.append(seg)
        elif isinstance(node, ast.If):
            continue  # if __name__ == "__main__": benchmark harness
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            # ctypes: imported by every output code, unused by call(); the verifier flags raw memory access
            if "AsyncCompile" in seg or "async_compile" in seg or "ctypes" in seg:
                continue
            prelude.append(seg)
        else:
            prelude.append(seg)
    # The Model's imports and __init__ (so the parameters have the Model's names and shapes).
    ptree = ast.parse(problem_src)
    pimports = [ast.get_source_segment(problem_src, n) for n in ptree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    model = next((n for n in ptree.body if isinstance(n, ast.ClassDef) and n.name == "Model"), None)
    init = next((n for n in (model.body if model else []) if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    init_src = textwrap.dedent("\n".join(problem_src.splitlines()[init.lineno - 1:init.end_lineno])) if init else \
        "def __init__(self):\n    super().__init__()"
    seen: set[str] = set()
    imports = [i for i in ["import operator", "import torch", "import torch.nn as nn", "import triton", "import triton.language as tl",
                           *pimports, *kernel_imports] if not (i in seen or seen.add(i))]
    launch = '''

class _Launch:
    """Launches one Inductor kernel as a plain Triton JIT call with the config Inductor's autotuner chose."""

    def __init__(self, fn, grid, n_args, kwargs, num_warps, num_stages):
        self.fn, self.grid, self.n_args, self.kwargs = fn, grid, n_args, kwargs
        self.num_warps, self.num_stages = num_warps, num_stages

    def run(self, *args, stream=None, **_):
        # args = the kernel's arguments, then (templates) the grid Inductor computed
        self.fn[self.grid(*args)](*args[:self.n_args], **self.kwargs, num_warps=self.num_warps, num_stages=self.num_stages)
'''
    model_new = f'''

_ARGS = {arg_specs!r}


class ModelNew(nn.Module):
{textwrap.indent(init_src, "    ")}

    def forward(self, *inputs):
        args = []
        for spec in _ARGS:
            if spec[0] == "input":
                args.append(inputs[spec[1]])
            elif spec[0] == "size":
                args.append(inputs[spec[1]].size(spec[2]))
            elif spec[0] == "stride":
                args.append(inputs[spec[1]].stride(spec[2]))
            elif spec[0] == "attr":
                args.append(operator.attrgetter(spec[1])(self))
            elif spec[0] == "attr_tensor":  # a float attribute Dynamo lifted to a 0-d tensor input
                args.append(torch.tensor(operator.attrgetter(spec[1])(self), dtype=getattr(torch, spec[2]), device=spec[3]))
            elif spec[0] in ("param_size", "param_stride"):
                t = self.get_parameter(spec[1]) if spec[1] in dict(self.named_parameters()) else self.get_buffer(spec[1])
                args.append(t.size(spec[2]) if spec[0] == "param_size" else t.stride(spec[2]))
            else:
                args.append(self.get_parameter(spec[1]) if spec[1] in dict(self.named_parameters()) else self.get_buffer(spec[1]))
        out = call(args)
        return {"out[0]" if single else "tuple(out)"}
'''
    return (header + "\n".join(imports) + "\n\n" + "\n".join(prelude) + launch + "\n\n"
            + "".join(h + "\n\n\n" for h in helper_src.values()) + "\n\n".join(kernel_defs)
            + "\n\n" + "\n\n\n".join(funcs) + "\n" + model_new)


@contextlib.contextmanager
def _norm_shapes_from_input():
    """LayerNorm/RMSNorm pass their `normalized_shape` (ints set in __init__) to the op, and Dynamo
    bakes module ints in: the kernels were built for the problem's hidden size only, with Inductor
    asserting the weight's size, so the candidate failed the shape-variation trial (H200, session 6:
    11_layernorm `shape_specialization`). Traced here with the same sizes read off the input, which
    are symbolic; the math is the module's own (same function, same arguments)."""
    import torch.nn as nn
    import torch.nn.functional as F

    def layer_norm(self: Any, x: Any) -> Any:
        return F.layer_norm(x, x.shape[-len(self.normalized_shape):], self.weight, self.bias, self.eps)

    def rms_norm(self: Any, x: Any) -> Any:
        return F.rms_norm(x, x.shape[-len(self.normalized_shape):], self.weight, self.eps)

    saved = [(cls, cls.forward) for cls in (nn.LayerNorm, getattr(nn, "RMSNorm", None)) if cls is not None]
    nn.LayerNorm.forward = layer_norm
    if hasattr(nn, "RMSNorm"):
        nn.RMSNorm.forward = rms_norm
    try:
        yield
    finally:
        for cls, fwd in saved:
            cls.forward = fwd


def _call_args(specs: list[tuple], model: Any, inputs: list[Any], params: dict[str, Any]) -> list[Any]:
    """The output code's call() arguments, as ModelNew's forward builds them (same specs)."""
    import torch

    args: list[Any] = []
    for sp in specs:
        kind = sp[0]
        args.append(inputs[sp[1]] if kind == "input" else inputs[sp[1]].size(sp[2]) if kind == "size"
                    else inputs[sp[1]].stride(sp[2]) if kind == "stride"
                    else operator.attrgetter(sp[1])(model) if kind == "attr"
                    else torch.tensor(operator.attrgetter(sp[1])(model), dtype=getattr(torch, sp[2]), device=sp[3])
                    if kind == "attr_tensor"
                    else params[sp[1]].size(sp[2]) if kind == "param_size"
                    else params[sp[1]].stride(sp[2]) if kind == "param_stride" else params[sp[1]])
    return args


def _trace(model: Any, inputs: list[Any], params: dict[str, Any], *, max_autotune: bool,
           specialize_float: bool) -> tuple[Any, str, list[tuple]]:
    """(eager-compiled output, Inductor's output code, the call() argument specs) for one graph;
    `params`: the module's parameters and buffers by name (any other module input is an attribute).

    specialize_float=False keeps float attributes (self.scale) out of the kernels: Dynamo lifts each
    to a 0-d float64 tensor input of call() (spec "attr_tensor"), so a ModelNew built with another
    `scale` computes with it; specialized, `tl.full([1], 0.5, ...)` is baked into the kernel and the
    perturbed-init trial rightly rejects the candidate (H100, session 14: 04, 19, 22). A float that
    an op needs as a Python number (LayerNorm's eps) makes Dynamo restart with it specialized; only
    the graph whose compile finished is recorded, so that restart is not a second graph."""
    import inspect

    import torch
    import torch._dynamo.config as dconfig
    import torch._inductor.config as iconfig
    import torch.fx.experimental._config as fxconfig
    from torch._inductor.compile_fx import compile_fx
    from torch._inductor.utils import run_and_get_code

    forward_args = [p for p in inspect.signature(model.forward).parameters]
    graphs: list[list[tuple[str, Any]]] = []

    def backend(gm: torch.fx.GraphModule, example_inputs: list[Any]):
        compiled = compile_fx(gm, example_inputs)
        placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
        graphs.append([(_source_name(n), e) for n, e in zip(placeholders, example_inputs)])
        return compiled

    # GEMM/conv autotuning only (max_autotune_gemm): Triton templates instead of cuBLAS/cuDNN, without
    # the minutes that autotuning every pointwise kernel would add.
    patches = {"max_autotune_gemm": True, "max_autotune_gemm_backends": "TRITON", "max_autotune_conv_backends": "TRITON",
               "triton.cudagraphs": False} if max_autotune else {"triton.cudagraphs": False}
    torch._dynamo.reset()
    # Every size symbolic, parameters' too (the shape-variation trial builds the model at other sizes),
    # and one symbol per size (duck sizing would tie equal sizes together in the kernels).
    dyn = {"force_parameter_static_shapes": False, "force_nn_module_property_static_shapes": False,
           "specialize_float": specialize_float}
    dyn = {k: v for k, v in dyn.items() if hasattr(dconfig, k)}
    with iconfig.patch(patches), dconfig.patch(dyn), fxconfig.patch(use_duck_shape=False), torch.no_grad(), \
            _norm_shapes_from_input():
        compiled = torch.compile(model, backend=backend, dynamic=True, fullgraph=True)
        try:
            out, codes = run_and_get_code(compiled, *inputs)
        except Exception as exc:
            raise InductorCandidateError(f"Inductor failed on the problem: {type(exc).__name__}: {str(exc)[:400]}") from exc
    if len(graphs) != 1 or len(codes) != 1:
        raise InductorCandidateError(f"Inductor produced {len(graphs)} graphs / {len(codes)} output codes; only one is supported")
    specs = []
    for source, example in graphs[0]:
        sp = _arg_spec(source, forward_args)
        if sp[0] == "param" and sp[1] not in params:  # an attribute of the module, not a parameter
            sp = ("attr_tensor", sp[1], str(example.dtype).removeprefix("torch."), example.device.type) \
                if isinstance(example, torch.Tensor) else ("attr", sp[1])
        specs.append(sp)
    return out, codes[0], specs


def _traced_and_checked(model: Any, inputs: list[Any], params: dict[str, Any], problem: Path, *, max_autotune: bool,
                        specialize_float: bool) -> tuple[Any, str, Any, list[tuple]]:
    """_trace, then the output code loaded and called once through the argument mapping the candidate
    will use: that autotunes every kernel of THIS module (the configs live in it) and checks the
    mapping against eager before anything is written. Returns (output, code, loaded module, specs)."""
    import torch
    from torch._inductor.codecache import PyCodeCache

    out, code, specs = _trace(model, inputs, params, max_autotune=max_autotune, specialize_float=specialize_float)
    dump = os.environ.get("TRITONIZE_INDUCTOR_DUMP")  # a folder: keep Inductor's raw output code (debugging)
    if dump:
        Path(dump).mkdir(parents=True, exist_ok=True)
        Path(dump, problem.stem + ".output_code.py").write_text(code)
    module = PyCodeCache.load(code)
    with torch.no_grad():
        mine = module.call(_call_args(specs, model, inputs, params))
        eager = model(*inputs)
    eager = [eager] if isinstance(eager, torch.Tensor) else list(eager)
    for a, b in zip(mine, eager):
        if a.shape != b.shape or not torch.allclose(a.float(), b.float(), rtol=1e-2, atol=1e-2 * (b.float().abs().max().item() + 1)):
            raise InductorCandidateError("the output code, called through the argument mapping, disagrees with eager "
                                         f"(shape {tuple(a.shape)} vs {tuple(b.shape)}): unsupported graph")
    return out, code, module, specs


def generate(problem: Path, *, max_autotune: bool = True) -> str:
    import importlib.util

    import torch

    src = problem.read_text()
    spec = importlib.util.spec_from_file_location("_tritonize_inductor_problem", problem)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
        torch.manual_seed(0)
        model = mod.Model(*mod.get_init_inputs()).cuda().eval()
        inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in mod.get_inputs()]
    except Exception as exc:
        raise InductorCandidateError(f"the problem does not run: {type(exc).__name__}: {exc}") from exc
    params = dict(model.named_parameters())
    params.update(dict(model.named_buffers()))
    failures: list[InductorCandidateError] = []
    # Unspecialized floats first (the kernels take float attributes as inputs); the specialized trace
    # is the fallback, and then the candidate's header says its float attributes are constants.
    for baked in (False, True):
        try:
            out, code, module, specs = _traced_and_checked(model, inputs, params, problem,
                                                           max_autotune=max_autotune, specialize_float=baked)
            break
        except InductorCandidateError as exc:
            failures.append(exc)
    else:
        raise failures[0]
    tree = ast.parse(code)
    positional: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run" \
                and isinstance(node.func.value, ast.Name):
            positional[node.func.value.id] = len(node.args)
    kernels = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _dotted(node.value.func).endswith("async_compile.triton"):
            name = node.value.args[0].value
            if name not in positional:
                raise InductorCandidateError(f"kernel {name} is never launched through .run() in the output code")
            kernels[name] = _launch_meta(getattr(module, name), name, positional[name])
    if not kernels:
        raise InductorCandidateError("Inductor generated no Triton kernel for this problem (everything went to library calls)")
    single = isinstance(out, torch.Tensor)
    header = (f'"""ModelNew for {problem.name} built from the Triton kernels TorchInductor generated '
              f'(`tritonize inductor-candidate`, torch {torch.__version__}, {torch.cuda.get_device_name()}).\n\n'
              f'Generated code: the baseline to beat, not a file to edit.\n'
              + ('Float attributes of the Model are constants in these kernels (Dynamo could not keep them as inputs).\n'
                 if baked else '') + '"""\n')
    return build_source(src, code, specs, single, kernels, header)
