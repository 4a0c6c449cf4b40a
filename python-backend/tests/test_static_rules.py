"""Fast unit tests of the static rules (no torch, no workers)."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tritonize.judge.static_rules import RULES, check_source, problem_facts

HERE = Path(__file__).parent
CANDIDATES = HERE / "candidates"

KERNEL = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)
'''


def model(forward_body: str, extra: str = "", init_body: str = "pass") -> str:
    """A candidate: the kernel above, `extra` at module level, and forward(a, b) with `forward_body`."""
    body = textwrap.indent(textwrap.dedent(forward_body).strip("\n"), " " * 8)
    init = textwrap.indent(textwrap.dedent(init_body).strip("\n"), " " * 8)
    return (KERNEL + "\n" + textwrap.dedent(extra) + "\n\nclass ModelNew(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n" + init + "\n\n    def forward(self, a, b):\n" + body + "\n")


LAUNCH = """
out = torch.empty_like(a)
n = a.numel()
add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
"""


def rules(text: str, **kw) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for d in check_source(text, **kw):
        out.setdefault(d["rule"], []).append(d)
    return out


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line and not line.lstrip().startswith("#"):
            return i
    raise AssertionError(f"{needle!r} not in text")


def errors(text: str, **kw) -> list[dict]:
    return [d for d in check_source(text, **kw) if d["severity"] == "error"]


# -- a clean candidate --------------------------------------------------------------------------

def test_clean_candidate_has_no_diagnostics():
    src = model(LAUNCH + "return out")
    assert check_source(src) == []


def test_diagnostic_shape():
    src = model(LAUNCH + "import os\nos._exit(0)\nreturn out")
    (d,) = [d for d in check_source(src) if d["rule"] == "io_escape"]
    assert set(d) >= {"line", "col", "message", "rule", "severity"}
    assert d["line"] == line_of(src, "os._exit(0)")
    assert d["col"] == 8 and d["severity"] == "error" and d["file"] == "candidate"
    assert isinstance(d["message"], str) and len(d["message"]) > 30


def test_syntax_error_gives_no_diagnostics():
    assert check_source("def f(:\n  pass") == []


def test_every_rule_has_a_severity():
    assert set(RULES.values()) <= {"error", "warning"}


# -- no_triton_kernel ---------------------------------------------------------------------------

def test_no_triton_kernel():
    src = "import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, a, b):\n        return a + b\n"
    (d,) = rules(src)["no_triton_kernel"]
    assert d["severity"] == "error" and "@triton.jit" in d["message"]


@pytest.mark.parametrize("decorator", ["@triton.jit", "@jit", "@triton.jit()", "@triton.jit(do_not_specialize=['n'])"])
def test_jit_spellings_count_as_kernels(decorator):
    src = f"import triton\nfrom triton import jit\n{decorator}\ndef k(x):\n    pass\n"
    assert "no_triton_kernel" not in rules(src)


def test_autotuned_kernel_counts():
    src = ("import triton\nimport triton.language as tl\n@triton.autotune(configs=[], key=['n'])\n@triton.jit\n"
           "def k(x, n):\n    pass\n")
    assert "no_triton_kernel" not in rules(src)


# -- try_except_compute -------------------------------------------------------------------------

def test_try_except_in_forward():
    src = model("try:\n    " + LAUNCH.strip().replace("\n", "\n    ") + "\nexcept Exception:\n    out = a + b\nreturn out")
    (d,) = rules(src)["try_except_compute"]
    assert d["line"] == line_of(src, "try:") and d["severity"] == "error"


def test_try_except_in_helper_called_from_forward():
    extra = "def helper(a, b):\n    try:\n        return a + b\n    except RuntimeError:\n        return a\n"
    src = model("return helper(a, b)", extra=extra)
    (d,) = rules(src)["try_except_compute"]
    assert "helper" in d["message"]


def test_try_except_in_method_called_from_forward():
    src = model("return self._run(a, b)").replace(
        "    def forward(self, a, b):",
        "    def _run(self, a, b):\n        try:\n            return a\n        except Exception:\n            return b\n\n"
        "    def forward(self, a, b):")
    assert "try_except_compute" in rules(src)


def test_try_except_around_a_plain_lookup_is_fine_unless_a_class_hooks_lookups():
    body = "try:\n    blk = self.blocks[1]\nexcept KeyError:\n    blk = 4\nreturn a"
    assert "try_except_compute" not in rules(model(body))
    hooked = model(body, extra="class Table(dict):\n    def __missing__(self, k):\n        return 4\n")
    assert "try_except_compute" in rules(hooked)
    assert "try_except_compute" in rules(model(body.replace("self.blocks[1]", "self.blocks[1] * a")))
    prop = model(body, extra="class Fast:\n    @property\n    def blocks(self):\n        return {1: 4}\n")
    assert "try_except_compute" in rules(prop)  # an attribute read runs a property (red team 25 c15)


def test_try_except_outside_forward_is_fine():
    extra = "try:\n    import numpy\nexcept ImportError:\n    numpy = None\n\ndef unused():\n    try:\n        pass\n    except Exception:\n        pass\n"
    assert "try_except_compute" not in rules(model(LAUNCH + "return out", extra=extra))


def test_try_finally_without_handlers_is_fine():
    src = model("try:\n    " + LAUNCH.strip().replace("\n", "\n    ") + "\nfinally:\n    pass\nreturn out")
    assert "try_except_compute" not in rules(src)


def test_contextlib_suppress_in_forward():
    src = model("import contextlib\nwith contextlib.suppress(Exception):\n    x = 1\nreturn a")
    assert "try_except_compute" in rules(src)


# -- threads ------------------------------------------------------------------------------------

@pytest.mark.parametrize("imp", ["from threading import Thread", "from concurrent.futures import ThreadPoolExecutor",
                                 "import multiprocessing as mp", "import torch.multiprocessing", "import asyncio"])
def test_thread_imports(imp):
    src = model(LAUNCH + "return out", extra=imp)
    (d,) = rules(src)["threads"]
    assert d["line"] == line_of(src, imp) and d["severity"] == "error"


@pytest.mark.parametrize("extra,flagged", [
    ("import threading\n_LOCK = threading.Lock()", False),  # red team 31 f03: a lock runs no thread
    ("from threading import RLock, local\n_L, _T = RLock(), local()", False),
    ("import threading\n_W = threading.Thread(target=print)", True),
    ("import threading as th\n_L = th.Lock()\n_M = getattr(th, 'Ti' + 'mer')", True),
    ("import threading\n_M = threading", True),
])
def test_threading_locks_only(extra, flagged):
    assert ("threads" in rules(model(LAUNCH + "return out", extra=extra))) is flagged


def test_os_fork():
    assert "threads" in rules(model("import os\nos.fork()\nreturn a"))


# -- side_stream --------------------------------------------------------------------------------

def test_side_stream_without_sync_is_error():
    src = model("s = torch.cuda.Stream()\nwith torch.cuda.stream(s):\n" + textwrap.indent(LAUNCH, "    ") + "return out")
    found = rules(src)["side_stream"]
    assert {d["severity"] for d in found} == {"error"}
    assert line_of(src, "torch.cuda.Stream()") in {d["line"] for d in found}


def test_side_stream_with_wait_stream_is_warning():
    src = model("s = torch.cuda.Stream()\nwith torch.cuda.stream(s):\n" + textwrap.indent(LAUNCH, "    ")
                + "torch.cuda.current_stream().wait_stream(s)\nreturn out")
    found = rules(src)["side_stream"]
    assert found and {d["severity"] for d in found} == {"warning"}


def test_side_stream_created_in_init_synced_in_forward():
    src = model("with torch.cuda.stream(self.s):\n" + textwrap.indent(LAUNCH, "    ") + "torch.cuda.synchronize()\nreturn out",
                init_body="self.s = torch.cuda.Stream()")
    assert {d["severity"] for d in rules(src)["side_stream"]} == {"warning"}


# -- reads_reference ----------------------------------------------------------------------------

@pytest.mark.parametrize("snippet,needle", [
    ("from problem import Model", "from problem"),
    ("from reference import Model", "from reference"),
    ("import __main__", "import __main__"),
    ("from .problem import get_inputs", "from .problem"),
])
def test_reference_imports(snippet, needle):
    src = model(LAUNCH + "return out", extra=snippet)
    assert any(d["line"] == line_of(src, needle) for d in rules(src)["reads_reference"])


@pytest.mark.parametrize("expr", ["Model()(a, b)", "get_inputs()", "sys.modules['problem']", "sys._getframe(1)",
                                  "inspect.currentframe().f_back", "gc.get_objects()", "nn.Module.__subclasses__()",
                                  "inspect.stack()", "globals()"])
def test_reference_reaching_expressions(expr):
    src = model(LAUNCH + f"import sys, gc, inspect\nx = {expr}\nreturn out")
    found = [d for d in rules(src).get("reads_reference", []) if d["severity"] == "error"]
    assert found and found[0]["line"] == line_of(src, expr)


def test_own_helper_named_model_is_fine():
    src = model(LAUNCH + "return out", extra="class Model:\n    pass\n\nm = Model()\n")
    assert "reads_reference" not in rules(src)


# -- monkeypatch --------------------------------------------------------------------------------

@pytest.mark.parametrize("stmt,name", [
    ("torch.allclose = lambda *a, **k: True", "torch.allclose"),
    ("torch.testing.assert_close = lambda *a, **k: None", "torch.testing.assert_close"),
    ("torch.cuda.Event.elapsed_time = lambda self, end: 0.001", "torch.cuda.Event.elapsed_time"),
    ("torch.Tensor.__eq__ = lambda self, other: True", "torch.Tensor.__eq__"),
    ("time.perf_counter = lambda: 0.0", "time.perf_counter"),
    ("torch.cuda.synchronize = lambda *a: None", "torch.cuda.synchronize"),
    ("np.allclose = lambda *a, **k: True", "numpy.allclose"),
    ("builtins.print = lambda *a: None", "builtins.print"),
    ("triton.testing.do_bench = lambda *a, **k: 0.001", "triton.testing.do_bench"),
    ("nn.Module.__call__ = lambda self, *a: a[0]", "torch.nn.Module.__call__"),
    ("Tensor.__eq__ = lambda self, other: True", "torch.Tensor.__eq__"),
    ("del torch.allclose", "torch.allclose"),
])
def test_monkeypatch_assignments(stmt, name):
    extra = "import time\nimport builtins\nimport numpy as np\nimport triton.testing\nfrom torch import Tensor\n" + stmt
    src = model(LAUNCH + "return out", extra=extra)
    (d,) = rules(src)["monkeypatch"]
    assert d["line"] == line_of(src, stmt) and name in d["message"] and d["severity"] == "error"


def test_monkeypatch_inside_forward_and_setattr():
    src = model("setattr(torch, 'allclose', lambda *a, **k: True)\ntorch.Tensor.__eq__ = None\n" + LAUNCH + "return out")
    found = rules(src)["monkeypatch"]
    assert {d["line"] for d in found} == {line_of(src, "setattr("), line_of(src, "torch.Tensor.__eq__")}


def test_monkeypatch_via_module_alias_and_dict():
    src = model(LAUNCH + "return out", extra="T = torch\nT.allclose = None\nvars(torch)['equal'] = None\ntorch.__dict__['isclose'] = None")
    assert len(rules(src)["monkeypatch"]) == 3


def test_backend_settings_are_not_monkeypatching():
    src = model(LAUNCH + "return out", extra="torch.backends.cudnn.benchmark = True\ntorch._inductor.config.coordinate_descent_tuning = True")
    assert "monkeypatch" not in rules(src)


def test_own_attributes_are_fine():
    src = model("self.calls = 1\n" + LAUNCH + "return out")
    assert "monkeypatch" not in rules(src)


# -- io_escape / dynamic_code -------------------------------------------------------------------

@pytest.mark.parametrize("stmt,severity", [
    ("print('hello')", "warning"),
    ("sys.stdout.write('{\"verdict\": \"correct\"}')", "warning"),
    ("os.write(1, b'x')", "warning"),
    ("os.write(7, b'x')", "error"),
    ("sys.exit(0)", "error"),
    ("os._exit(0)", "error"),
    ("exit(0)", "error"),
    ("raise SystemExit(0)", "error"),
    ("os.kill(os.getpid(), 9)", "error"),
    ("os.system('true')", "error"),
    ("open('/tmp/report.json', 'w').write('{}')", "error"),
    ("open('/tmp/report.json', mode='a')", "error"),
    ("open('/tmp/data.txt')", "error"),  # a warning until red team 17 (io.FileIO on /proc/self/status)
    ("io.FileIO('/proc/self/status').read()", "error"),
    ("np.fromfile('/tmp/x.bin')", "error"),
    ("pathlib.Path('/tmp/x').write_text('x')", "error"),
    ("os.dup2(5, 1)", "error"),
])
def test_io_escape(stmt, severity):
    src = model(LAUNCH + "import os, sys, pathlib, io\nimport numpy as np\n" + stmt + "\nreturn out")
    found = rules(src)["io_escape"]
    assert [d["severity"] for d in found if d["line"] == line_of(src, stmt)] == [severity]


@pytest.mark.parametrize("imp", ["import subprocess", "import socket", "from subprocess import run", "import shutil",
                                 "import _posixsubprocess", "from _posixsubprocess import fork_exec"])
def test_process_and_socket_imports(imp):
    assert any(d["severity"] == "error" for d in rules(model(LAUNCH + "return out", extra=imp))["io_escape"])


def test_ctypes_is_a_warning():
    (d,) = rules(model(LAUNCH + "return out", extra="import ctypes"))["io_escape"]
    assert d["severity"] == "warning"


@pytest.mark.parametrize("stmt", ["exec('x = 1')", "eval('1')", "__import__('os')", "importlib.import_module('os')",
                                  "compile('1', 'f', 'eval')"])
def test_dynamic_code(stmt):
    src = model(LAUNCH + "import importlib\n" + stmt + "\nreturn out")
    (d,) = rules(src)["dynamic_code"]
    assert d["line"] == line_of(src, stmt)


# -- precision_downgrade ------------------------------------------------------------------------

@pytest.mark.parametrize("stmt", [
    "x = a.half()", "x = a.to(torch.float16)", "x = a.to(dtype=torch.bfloat16)", "x = a.bfloat16()",
    "torch.backends.cuda.matmul.allow_tf32 = True", "torch.backends.cudnn.allow_tf32 = True",
    "torch.set_float32_matmul_precision('high')", "x = torch.empty(4, dtype=torch.float16)",
])
def test_precision_downgrade_host(stmt):
    src = model(stmt + "\n" + LAUNCH + "return out")
    found = rules(src)["precision_downgrade"]
    assert found and all(d["severity"] == "warning" for d in found)
    assert found[0]["line"] == line_of(src, stmt)


@pytest.mark.parametrize("expr", ['tl.dot(x, y, input_precision="tf32")', "tl.dot(x, y, allow_tf32=True)",
                                  "tl.dot(x.to(tl.float16), y)", "tl.dot(x.to(tl.bfloat16), y)"])
def test_precision_downgrade_in_kernel(expr):
    src = KERNEL + f"\n@triton.jit\ndef mm(x, y):\n    z = {expr}\n"
    found = rules(src)["precision_downgrade"]
    assert found and found[0]["line"] == line_of(src, expr) and found[0]["severity"] == "warning"


def test_precision_not_flagged_for_fp16_problem():
    src = model("x = a.half()\n" + LAUNCH + "return out")
    assert "precision_downgrade" not in rules(src, problem_dtype="float16")


def test_default_tl_dot_on_fp32_problem_is_info():
    src = KERNEL + "\n@triton.jit\ndef mm(x, y):\n    z = tl.dot(x, y)\n    w = tl.dot(x, y, input_precision='ieee')\n"
    found = rules(src, problem_dtype="float32")["precision_downgrade"]
    assert [(d["line"], d["severity"]) for d in found] == [(line_of(src, "z = tl.dot"), "warning")]
    assert "precision_downgrade" not in rules(src)


# -- shape_hardcoding ---------------------------------------------------------------------------

def test_shape_hardcoding_in_grid_alloc_and_kernel():
    src = model("out = torch.empty(3000, device=a.device)\nadd_kernel[(triton.cdiv(3000, 1024),)](a, b, out, 3000, BLOCK=1024)\nreturn out")
    src = src.replace("mask = offs < n_elements", "mask = offs < 3000")
    found = rules(src, problem_dims={3000})["shape_hardcoding"]
    assert {d["line"] for d in found} == {line_of(src, "torch.empty(3000"), line_of(src, "add_kernel[("),
                                           line_of(src, "mask = offs < 3000")}
    assert all(d["severity"] == "warning" and "3000" in d["message"] for d in found)


def test_shape_hardcoding_needs_dims_and_ignores_block_sizes():
    src = model("out = torch.empty_like(a)\nadd_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, out, a.numel(), BLOCK=1024)\nreturn out")
    assert "shape_hardcoding" not in rules(src, problem_dims={1024})
    src2 = model("out = torch.empty(3000)\n" + LAUNCH + "return out")
    assert "shape_hardcoding" not in rules(src2)


def test_shape_hardcoding_via_module_constant():
    src = model("out = torch.empty(SIZE)\n" + LAUNCH + "return out", extra="SIZE = 4096")
    (d,) = rules(src, problem_dims={4096})["shape_hardcoding"]
    assert "SIZE" in d["message"]


# -- caching ------------------------------------------------------------------------------------

def test_caching_on_self_and_lru_cache():
    src = model("if self._cache is not None:\n    return self._cache\n" + LAUNCH + "self._cache = out\nreturn out",
                init_body="self._cache = None")
    found = rules(src)["caching"]
    assert [d["line"] for d in found] == [line_of(src, "self._cache = out")]
    src2 = model(LAUNCH + "return out").replace("    def forward", "    @functools.lru_cache\n    def forward")
    assert "caching" in rules(src2)


def test_caching_module_dict():
    src = model(LAUNCH + "_CACHE[a.shape] = out\nreturn out", extra="_CACHE = {}")
    assert "caching" in rules(src)


def test_caching_class_attribute_call_counter():
    # red team 13 c15: a class-level counter switched to a wrong kernel after the 32nd call
    for write in ("ModelNew.calls[0] += 1", "type(self).calls += 1", "self.__class__.calls += 1"):
        src = model(LAUNCH + write + "\nreturn out")
        assert [d["line"] for d in rules(src)["caching"]] == [line_of(src, write)], write
    assert "caching" not in rules(model(LAUNCH + "calls = ModelNew.__name__\nreturn out"))


def test_init_assignments_and_no_grad_are_fine():
    src = model("with torch.no_grad():\n" + textwrap.indent(LAUNCH, "    ") + "return out", init_body="self.block = 1024")
    assert "caching" not in rules(src)


# -- unmasked_access ----------------------------------------------------------------------------

def test_unmasked_access():
    src = KERNEL.replace("a = tl.load(a_ptr + offs, mask=mask, other=0.0)", "a = tl.load(a_ptr + offs)").replace(
        "tl.store(out_ptr + offs, a + b, mask=mask)", "tl.store(out_ptr + offs, a + b)")
    found = rules(src)["unmasked_access"]
    assert [d["line"] for d in found] == [line_of(src, "a = tl.load(a_ptr + offs)"), line_of(src, "tl.store(out_ptr + offs, a + b)")]
    assert all(d["severity"] == "warning" and "mask=" in d["message"] for d in found)


def test_positional_mask_block_ptr_and_scalar_access_are_fine():
    src = KERNEL + '''
@triton.jit
def k2(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    v = tl.load(x_ptr + offs, offs < n, 0.0)
    s = tl.load(x_ptr + row)
    tl.store(y_ptr + row, s)
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    w = tl.load(p, boundary_check=(0,))
'''
    assert "unmasked_access" not in rules(src)


# -- the library's own headers agree with the static rules --------------------------------------

STATIC_LIBRARY = {
    "cheat_device_print_capture.py": ("kernel_host_code", "tl.device_print"),
    "cheat_pure_torch.py": ("no_triton_kernel", None),
    "cheat_torch_compile.py": ("torch_compile", "torch.compile(_add"),
    "cheat_monkeypatch_allclose.py": ("monkeypatch", "torch.allclose ="),
    "cheat_monkeypatch_elapsed_time.py": ("monkeypatch", "elapsed_time ="),
    "cheat_clock_process_times.py": ("environment_probe", "_born = os.times()"),
    "cheat_monkeypatch_perf_counter.py": ("monkeypatch", "time.perf_counter ="),
    "cheat_os_exit.py": ("io_escape", "os._exit(0)"),
    "cheat_try_except_fallback.py": ("try_except_compute", "try:"),
    "cheat_side_stream.py": ("side_stream", "torch.cuda.Stream()"),
    "cheat_threads.py": ("threads", "from concurrent.futures"),
    "cheat_reads_reference.py": ("reads_reference", "gc.get_objects()"),
    "cheat_forged_result_file.py": ("io_escape", 'open("/tmp/'),
    "cheat_kernel_numpy_call.py": ("kernel_host_code", "y = _host(x)"),
    "cheat_host_tensorbase_numpy.py": ("tensor_base_bypass", "torch._C.TensorBase.numpy"),
    "cheat_numpy_bypass_forged_launch.py": ("tensor_base_bypass", "to_np = torch._C.TensorBase.numpy"),
    "cheat_nested_kernel_hostcode.py": ("kernel_host_code", "np.matmul"),
    "cheat_tensorbase_pieces.py": ("tensor_base_bypass", 'base = getattr(torch._C, "Tensor" + "Base")'),
    "cheat_numpy_through_super.py": ("tensor_base_bypass", "host = super(torch.Tensor"),
    "cheat_global_numerics_switch.py": ("global_state", "torch.set_flush_denormal(True)"),
    "cheat_namespace_update_patch.py": ("monkeypatch", "vars(F).update"),
    "cheat_numpy_through_mro_call.py": ("tensor_base_bypass", "host = torch.Tensor.mro()[1].numpy"),
}


@pytest.mark.parametrize("name", sorted(STATIC_LIBRARY))
def test_library_static_rejections(name):
    rule, needle = STATIC_LIBRARY[name]
    src = (CANDIDATES / name).read_text()
    errs = errors(src)
    assert errs and errs[0]["rule"] == rule, errs
    if needle:
        assert errs[0]["line"] == line_of(src, needle)


@pytest.mark.parametrize("path", sorted(p.name for p in CANDIDATES.glob("*.py")), ids=str)
def test_library_candidates_that_must_run_have_no_static_errors(path):
    if path in STATIC_LIBRARY or path.startswith(("compile_syntax", "escape_")):
        pytest.skip("rejected statically by design (escape_* attempt what the rules forbid)")
    assert errors((CANDIDATES / path).read_text()) == []


def test_problem_facts():
    facts = problem_facts((HERE / "problems" / "matmul.py").read_text())
    assert facts == {"dims": {64, 48, 80}, "dtype": "float32"}
    assert problem_facts((HERE / "problems" / "fma_fp16.py").read_text())["dtype"] == "float16"
    literal = "import torch\ndef get_inputs():\n    return [torch.randn(128, 256).half()]\ndef get_init_inputs():\n    return []\n"
    assert problem_facts(literal) == {"dims": {128, 256}, "dtype": "float16"}


def test_fast_on_all_candidates():
    texts = [p.read_text() for p in CANDIDATES.rglob("*.py")]
    t0 = time.perf_counter()
    for t in texts:
        check_source(t, problem_dims={3000, 4096, 64})
    assert (time.perf_counter() - t0) / max(1, len(texts)) < 0.05


def test_output_cast_in_store_is_not_a_downgrade():
    src = KERNEL + "\n@triton.jit\ndef k(x_ptr, y_ptr):\n    x = tl.load(x_ptr).to(tl.float32)\n    tl.store(y_ptr, (x * 2).to(tl.float16))\n"
    assert "precision_downgrade" not in rules(src)
    src2 = KERNEL + "\n@triton.jit\ndef k(x_ptr, y_ptr):\n    x = tl.load(x_ptr).to(tl.float16)\n    tl.store(y_ptr, x * 2)\n"
    assert "precision_downgrade" in rules(src2)


@pytest.mark.parametrize("snippet", ["f = torch.compile(lambda a, b: a + b)", "@torch.compile\ndef f(a, b):\n    return a + b",
                                     "f = torch.jit.script(lambda a: a)", "import torch._dynamo\nf = torch._dynamo.optimize('inductor')(len)"])
def test_torch_compile(snippet):
    src = model(LAUNCH + "return out", extra=snippet)
    found = rules(src)["torch_compile"]
    assert found and found[0]["severity"] == "error"


def test_candidate_copy_of_the_harness_is_never_grounds_for_rejection():
    """LLM candidates often carry their own copy of get_inputs / get_init_inputs / Model with the
    problem's literal sizes and dtypes. Those copies are never called by the verifier: no
    shape_hardcoding or precision hint, and certainly no error, comes from them."""
    src = model("""
        out = torch.empty_like(a)
        add_kernel[(triton.cdiv(out.numel(), 1024),)](a, b, out, out.numel(), BLOCK=1024)
        return out
    """, extra="""
        N = 3000


        class Model(nn.Module):
            def forward(self, a, b):
                return (a.half() + b.half()).float()


        def get_inputs():
            torch.manual_seed(0)
            return [torch.randn(N, dtype=torch.float16).float(), torch.randn(3000).to(torch.bfloat16)]


        def get_init_inputs():
            return [3000]
    """)
    found = check_source(src, problem_dims={3000}, problem_dtype="float32")
    assert not [d for d in found if d["severity"] == "error"], found
    assert not [d for d in found if d["rule"] in ("shape_hardcoding", "precision_downgrade")], found
    # The same literal in forward is still a hint.
    hard = src.replace("out = torch.empty_like(a)", "out = torch.empty(3000)")
    assert any(d["rule"] == "shape_hardcoding" for d in check_source(hard, problem_dims={3000}))


INDUCTOR_HELPERS = '''
import torch, triton
import triton.language as tl
from torch._inductor.runtime import triton_helpers
from torch._inductor.runtime.triton_helpers import libdevice

@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    y = triton_helpers.maximum(x, 0.0) + libdevice.erf(x)
    tl.store(y_ptr + offs, HOST, mask=offs < n)

class ModelNew(torch.nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        k[(1,)](x, y, x.numel(), BLOCK=1024)
        return y
'''


@pytest.mark.parametrize("store, rule", [("y", None), ("torch.relu(y)", "kernel_host_code"),
                                          ("triton_helpers.torch.relu(y)", "kernel_host_code")])
def test_inductor_triton_helpers_are_triton_code_not_host_code(store, rule):
    """Inductor's own kernels call triton_helpers.maximum (@triton.jit) and libdevice stubs; found on
    the H200 suite run, where every Inductor-derived candidate was rejected as host code."""
    errs = errors(INDUCTOR_HELPERS.replace("HOST", store))
    assert [e["rule"] for e in errs] == ([rule] if rule else []), errs


# red team 11
@pytest.mark.parametrize("probe", ["os.environ.get('TRITON_INTERPRET')", "os.getenv('HOME')", "sys.argv[0]",
                                   "time.time()", "datetime.datetime.now()", "socket.gethostname()"])
def test_environment_probe(probe):
    src = KERNEL + f"import os, sys, time, datetime, socket\n\nclass ModelNew(nn.Module):\n    def forward(self, a):\n        flag = {probe}\n        return a\n"
    (d,) = rules(src)["environment_probe"]
    assert d["severity"] == "error" and "must not depend on where" in d["message"]


# red team 17: a call counter (a time bomb), the seed, and the caller's stack as data
@pytest.mark.parametrize("probe", ["next(itertools.count())", "torch.initial_seed()", "torch.get_rng_state()"])
def test_environment_probe_when(probe):
    src = KERNEL + f"import itertools\n\nclass ModelNew(nn.Module):\n    def forward(self, a):\n        flag = {probe}\n        return a\n"
    (d,) = rules(src)["environment_probe"]
    assert d["severity"] == "error"


@pytest.mark.parametrize("probe", ["traceback.extract_stack()", "traceback.format_stack()", "e.__traceback__"])
def test_stack_as_data(probe):
    src = model(LAUNCH + f"e = ValueError()\nflag = {probe}\nreturn out", extra="import traceback")
    assert any(d["severity"] == "error" for d in rules(src)["reads_reference"])


@pytest.mark.parametrize("code", ["weakref.finalize(a, print, 1)", "weakref.ref(a, print)", "atexit.register(print)",
                                  "signal.signal(signal.SIGALRM, print)"])
def test_deferred_code(code):
    src = model(LAUNCH + f"{code}\nreturn out", extra="import weakref, atexit, signal")
    (d,) = rules(src)["deferred_code"]
    assert d["severity"] == "error" and d["line"] == line_of(src, code)


def test_deferred_code_del_and_plain_weakref():
    src = model(LAUNCH + "self.r = weakref.ref(a)\nreturn out", extra="import weakref")
    assert "deferred_code" not in rules(src)  # a weak reference without a callback runs nothing
    src = model(LAUNCH + "return out", extra="class Buf:\n    def __del__(self):\n        pass\n")
    assert [d["rule"] for d in check_source(src) if d["rule"] == "deferred_code"] == ["deferred_code"]


def test_kernels_inside_functions_and_classes_are_kernels():
    src = ("import numpy as np\nimport triton\n\n\ndef make():\n    @triton.jit\n    def k(x):\n"
           "        np.matmul(x.handle.data, x.handle.data)\n    return k\n\n\nclass ModelNew:\n"
           "    @staticmethod\n    @triton.jit\n    def k2(x):\n        pass\n")
    found = rules(src)
    assert "no_triton_kernel" not in found
    assert {d["line"] for d in found["kernel_host_code"]} == {8}


# red team 43 c07: honest for five minutes, the time read through os.times(); every clock is a probe,
# on the host, through a CUDA event, or the GPU's own timers inside a kernel.
@pytest.mark.parametrize("probe", ["os.times().elapsed", "time.monotonic()", "time.perf_counter_ns()",
                                   "time.process_time()", "resource.getrusage(0).ru_utime", "uuid.uuid1().time",
                                   "ev.elapsed_time(ev)", "triton.testing.do_bench(print)", "timeit.default_timer()",
                                   "tl.extra.cuda.globaltimer()",
                                   "tl.inline_asm_elementwise('mov.u64 $0, %globaltimer;', '=l', [], dtype=tl.int64, is_pure=False, pack=1)"])
def test_environment_probe_every_clock(probe):
    src = KERNEL + ("import os, time, resource, uuid, timeit\nimport triton.testing\n\nclass ModelNew(nn.Module):\n"
                    f"    def forward(self, a):\n        ev = None\n        flag = {probe}\n        return a\n")
    found = rules(src)["environment_probe"]
    assert found and found[0]["severity"] == "error" and "when" in found[0]["message"], found
    assert {d["line"] for d in found} == {line_of(src, "flag = ")}


def test_clock_free_code_is_no_probe():
    src = KERNEL + "\nclass ModelNew(nn.Module):\n    def forward(self, a):\n        ev = torch.cuda.Event()\n        return a\n"
    assert not rules(src).get("environment_probe")


# red team 45: counters that grow with age (c13), unseeded chance (c04), inference mode (c06).
@pytest.mark.parametrize("probe", ["gc.get_stats()[0]['collections']", "gc.get_count()[0]", "torch.cuda.memory_allocated()",
                                   "os.urandom(2)[0]", "random.SystemRandom().random()", "secrets.randbelow(1024)",
                                   "uuid.uuid4().int", "a.is_inference()", "torch.is_inference_mode_enabled()",
                                   # red team 47: a Random() of its own (c06), a clock through logging (c07)
                                   "random.Random().random()", "random.random()", "np.random.default_rng().random()",
                                   "logging.makeLogRecord({}).created", "os.stat('.').st_mtime", "torch.seed()"])
def test_environment_probe_age_chance_and_mode(probe):
    src = KERNEL + ("import gc, logging, os, random, secrets, uuid\nimport numpy as np\n\nclass ModelNew(nn.Module):\n"
                    f"    def forward(self, a):\n        flag = {probe}\n        return a\n")
    found = rules(src)["environment_probe"]
    assert found and found[0]["severity"] == "error" and found[0]["line"] == line_of(src, "flag = "), found

