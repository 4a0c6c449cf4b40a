"""Apply, red team 19 (black box, session 18), the findings outside whole classes: an int where a
float was (or the reverse) next to integer tensors. `counts * 3` is int64 and `counts * 0.5` float32
in PyTorch; the applied kernel, verified for an int, returned int64 for 0.5 without a word (c12)."""

from __future__ import annotations

import textwrap

from test_apply_redteam4 import apply_then_fail, refused_at_apply

COUNTS = textwrap.dedent('''\
    import os
    import torch


    def scale_counts(counts, k):
        return counts * k


    if __name__ == "__main__":
        counts = torch.arange(0, 64, dtype=torch.int64).reshape(8, 8)
        with torch.no_grad():
            a = scale_counts(counts, 3)
            print(a.dtype, a.sum().item())
            if os.environ.get("TZ_LATER"):
                b = scale_counts(counts, 0.5)
                print(b.dtype, b.sum().item())
    ''')


def test_an_int_then_a_float_next_to_integer_tensors_is_refused_or_raises(tmp_path):
    msg = refused_at_apply(tmp_path, COUNTS, "return counts * k")
    assert "k is a number (float) in call 2 of the selection in the recorded run, a number (int)" in msg, msg
    assert "float(k) where it can be fractional" in msg, msg  # red team 34 c08: int(0.5) is not 0.5
    out, last = apply_then_fail(tmp_path, COUNTS, "return counts * k")
    assert out.startswith("torch.int64 6048"), out
    assert "k is of type float in this call" in last and "verified with type int" in last and "always gets int" in last, last


# c07, c17: a replaced class's guard checked gradients only. After the recording window a call with
# float64 inputs (m.double()) and a call under autocast came back float32, silently.
AFFINE = textwrap.dedent('''\
    import os
    import sys
    import torch
    import torch.nn as nn


    class Affine(nn.Module):
        """Scale and shift."""

        def __init__(self, n):
            super().__init__()
            self.w = nn.Parameter(torch.randn(n))

        def forward(self, x):
            return x * self.w + 1.0


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Affine(8)
        x = torch.randn(4, 8)
        with torch.no_grad():
            print(round(m(x).sum().item(), 4), Affine.__doc__)
            if os.environ.get("TZ_LATER") and sys.argv[1:] == ["double"]:
                print(m.double()(x.double()).dtype)
            if os.environ.get("TZ_LATER") and sys.argv[1:] == ["autocast"]:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    print(m(x).dtype)
    ''')


def test_a_replaced_class_checks_dtypes_and_autocast_at_every_call(tmp_path):
    import os
    import subprocess
    import sys

    from tritonize.extract.apply import apply_candidate
    from tritonize.extract.problem import extract

    from test_apply_redteam import faithful, lines_of
    from test_apply_redteam8 import run_raw
    from programs import run_program

    path = tmp_path / "prog.py"
    before = run_raw(path, write=AFFINE)
    rng = lines_of(AFFINE, "class Affine(nn.Module):", 9)
    e, src = extract(AFFINE, str(path), *rng)
    res = apply_candidate(AFFINE, str(path), *rng, faithful(e.problem), extracted=(e, src))
    after = run_raw(path, write=res["text"])
    assert after.returncode == 0 and after.stdout == before.stdout, after.stderr[-800:]  # the docstring kept
    for how, says in (("double", "x is torch.float64 in this call"), ("autocast", "autocast is on for cpu")):
        p = run_program(path, how, env=dict(os.environ, PYTHONHASHSEED="0", TRITON_INTERPRET="1", TZ_LATER="1"))
        assert p.returncode != 0, p.stdout
        last = p.stderr.strip().splitlines()[-1]
        assert last.startswith("_TritonizeGuardStop: Affine: ") and says in last, last
