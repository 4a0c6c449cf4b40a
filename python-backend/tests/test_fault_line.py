"""Where a wrong result is pinned: the kernel's one store, or the last assignment of the stored name."""
import textwrap

from tritonize.judge.fault_line import fault_line

SRC = textwrap.dedent('''\
    import triton
    import triton.language as tl


    @triton.jit
    def k(x, y, n, B: tl.constexpr):
        o = tl.program_id(0) * B + tl.arange(0, B)
        h = tl.load(x + o)
        v = h + 2.0
        v = v * 3
        tl.store(y + o, v)


    @triton.jit
    def inline(x, y):
        tl.store(y, tl.load(x) - 1)


    @triton.jit
    def two(x, y):
        tl.store(x, 1)
        tl.store(y, 2)
    ''')


def test_fault_line(tmp_path):
    p = tmp_path / "cand.py"
    p.write_text(SRC)
    assert fault_line(p, "k") == 10  # the last line that computed the stored value
    assert fault_line(p, "inline") == 16  # the store computes it itself
    assert fault_line(p, "two") == 20  # two stores: which one was wrong is unknown, the def line
    assert fault_line(p, "missing") == 0
    (tmp_path / "bad.py").write_text("def (")
    assert fault_line(tmp_path / "bad.py", "k") == 0
