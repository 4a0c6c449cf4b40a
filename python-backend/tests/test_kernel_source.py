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
