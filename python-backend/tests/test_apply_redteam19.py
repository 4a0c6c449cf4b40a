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
    assert "int(k) or float(k)" in msg, msg
    out, last = apply_then_fail(tmp_path, COUNTS, "return counts * k")
    assert out.startswith("torch.int64 6048"), out
    assert "k is of type float in this call" in last and "verified with type int" in last and "Pass int(k)" in last, last
