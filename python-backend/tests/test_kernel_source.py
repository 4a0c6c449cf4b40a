"""kernel_source: the source a GPU build's @triton.jit compiles from is the candidate file's text.

A GPU launch cannot run here, so these check the launch-time check itself on JITFunction objects
built in a child without the interpreter (decoration needs no GPU)."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent('''
    import json, linecache, os, sys
    os.environ.pop("TRITON_INTERPRET", None)
    from tritonize.worker import kernel_source
    path = sys.argv[1]
    kernel_source.pin(path)
    import importlib.util
    spec = importlib.util.spec_from_file_location("cand", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cand"] = mod
    spec.loader.exec_module(mod)
    out = {"type": type(mod.k).__name__, "before": kernel_source.source_changed(mod.k),
           "pin": kernel_source.pin_changed()}
    if hasattr(mod, "after"):
        mod.after()
        out["after"] = kernel_source.source_changed(mod.k)
        out["pin_after"] = kernel_source.pin_changed()
        out["pin_again"] = kernel_source.pin_changed()
    print(json.dumps(out))
''')

KERNEL = '''
import linecache
import triton
import triton.language as tl


@triton.jit
def k(x_ptr, BLOCK: tl.constexpr):
    v = tl.load(x_ptr + tl.arange(0, BLOCK))
    tl.store(x_ptr + tl.arange(0, BLOCK), v)
'''


def run(tmp_path: Path, text: str) -> dict:
    f = tmp_path / "cand.py"
    f.write_text(text)
    env = {"PYTHONPATH": str(BACKEND), "PATH": "/usr/bin:/bin"}
    p = subprocess.run([sys.executable, "-c", CHILD, str(f)], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_honest_kernel_matches(tmp_path):
    out = run(tmp_path, KERNEL)
    assert out["type"] == "JITFunction"
    assert out["before"] is None and out["pin"] is None


def test_src_updated_after_decoration(tmp_path):
    text = KERNEL + '''

def after():
    k._unsafe_update_src(k.src.replace("tl.store(x_ptr + tl.arange(0, BLOCK), v)", "tl.store(x_ptr + tl.arange(0, BLOCK), v * 2)"))
'''
    out = run(tmp_path, text)
    assert out["before"] is None
    assert "is not the definition at line" in out["after"]


def test_linecache_text_before_decorator(tmp_path):
    # Other text at the kernel's lines while @triton.jit reads it, the file's entry put back after.
    body = KERNEL.replace("tl.store(x_ptr + tl.arange(0, BLOCK), v)", "tl.store(x_ptr + tl.arange(0, BLOCK), v + 1)")
    text = ('import linecache\n_kept = linecache.cache.get(__file__)\n'
            f'_fake = {body.splitlines(True)!r}\n'
            'linecache.cache[__file__] = (1, None, ["\\n"] * 5 + _fake + ["\\n"] * 40, __file__)\n')
    text += KERNEL.replace("import linecache\n", "")
    text += '\nlinecache.cache[__file__] = _kept\n'
    # The kernel's lines in `text` sit 5 lines below the fake's start, as written above.
    lines = text.splitlines()
    at = lines.index("@triton.jit")
    fake_at = 5 + body.splitlines().index("@triton.jit")
    text = '\n'.join(lines[:4]).replace('["\\n"] * 5', f'["\\n"] * {5 + at - fake_at}') + '\n' + '\n'.join(lines[4:]) + '\n'
    out = run(tmp_path, text)
    assert out["pin"] is None  # the pinned entry was put back by the candidate itself
    assert out["before"] and "is not the definition" in out["before"], out


def test_linecache_entry_replaced_and_cleared(tmp_path):
    text = KERNEL + '''

def after():
    lines = ["\\n"] * 60
    linecache.cache[__file__] = (60, None, lines, __file__)
'''
    out = run(tmp_path, text)
    assert "linecache holds for cand.py replaced" in out["pin_after"]
    assert out["pin_again"] is None  # put back
    text = KERNEL + '''

def after():
    linecache.clearcache()
'''
    out = run(tmp_path, text)
    assert out["pin_after"] is None and out["pin_again"] is None  # dropped is no attack: put back quietly


SWAPPED = '''
import triton
import triton.language as tl


def body(x_ptr, BLOCK: tl.constexpr):
    tl.store(x_ptr + tl.arange(0, BLOCK), 0.0)


def pick(fn):
    return body


@triton.jit
@pick
def k(x_ptr, BLOCK: tl.constexpr):
    v = tl.load(x_ptr + tl.arange(0, BLOCK))
    tl.store(x_ptr + tl.arange(0, BLOCK), v)
'''


def test_a_kernel_must_run_from_a_jit_definition_of_the_file(tmp_path):
    """Red team 47 c05: @triton.jit over a decorator that returned another, undecorated function."""
    assert "body (line 6) runs as a kernel but is not a @triton.jit definition" in run(tmp_path, SWAPPED)["before"]


def test_jit_by_call_and_by_alias_are_kernels(tmp_path):
    text = ("import triton\nimport triton.language as tl\nfrom triton import jit as J\n\n\n"
            "def body(x_ptr, BLOCK: tl.constexpr):\n    tl.store(x_ptr + tl.arange(0, BLOCK), 0.0)\n\n\n"
            "k = triton.jit(body)\n\n\n@J\ndef other(x_ptr):\n    pass\n")
    assert run(tmp_path, text)["before"] is None
