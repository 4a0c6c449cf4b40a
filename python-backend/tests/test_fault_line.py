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


SOFTMAX = """import triton
import triton.language as tl


@triton.jit
def softmax(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + row * n + offs, mask=m, other=0.0)
    z = x - tl.max(x, axis=0)
    e = tl.exp(z)
    y = e / tl.sum(e, axis=0)
    tl.store(y_ptr + row * n + offs, y, mask=m)
"""


def test_a_masked_load_padded_with_zero_into_a_max_is_the_fault(tmp_path):
    """Try-out 10: a softmax whose masked lanes load 0.0 was wrong everywhere and the diagnostic sat
    on the line that computed the stored value; the cause is the load's `other=0.0`."""
    p = tmp_path / "c.py"
    p.write_text(SOFTMAX)
    assert fault_line(p, "softmax") == 10
    p.write_text(SOFTMAX.replace("other=0.0", "other=-float('inf')"))
    assert fault_line(p, "softmax") == 13  # the right filler: the line that computed y


def test_an_interpreter_error_reads_as_the_kernels_own_error():
    """Try-out 10: `InterpreterError: InterpreterError('ValueError("axis 1 out of bounds ...")')`."""
    from tritonize.worker.errors import _plain_message

    class InterpreterError(Exception):
        pass

    inner = ValueError("axis 1 out of bounds for shape ['constexpr[64]']")
    assert _plain_message(InterpreterError(repr(InterpreterError(repr(inner))))) == \
        "ValueError: axis 1 out of bounds for shape ['constexpr[64]']"
    assert _plain_message(RuntimeError("x")) == "RuntimeError: x"


def test_a_cuda_only_candidate_without_a_gpu_is_told_so():
    """Red team 14b: `device="cuda"` in a candidate checked on a CPU-only machine ended with torch's
    bare "Torch not compiled with CUDA enabled"; the message now says what to change."""
    from tritonize.worker.errors import describe

    try:
        raise AssertionError("Torch not compiled with CUDA enabled")
    except AssertionError as exc:
        d = describe(exc, "candidate.py")
    assert "x.device" in d["message"] and "--device cuda" in d["message"], d["message"]
