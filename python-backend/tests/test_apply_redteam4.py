"""Apply cases from the fourth red-team pass (/work/rt8/apply/cases/b*): each either gives the same
program output after Apply, or is refused (at Apply, or by the applied wrapper at call time) with one
line naming the cause."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import apply_and_run, faithful, lines_of, run


def run_original(tmp_path, text: str) -> str:
    orig = tmp_path / "orig.py"
    orig.write_text(text)
    return run(orig)


# b80: `h` is assigned in the selection and only deleted after it (`del h` to free memory early);
# `del` reads the name, so the call must bind it, or the edited program dies with UnboundLocalError.
DEL_AFTER = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def mlp(x, w1, w2):
        h = F.gelu(x @ w1)
        out = (h * 2.0) @ w2
        del h                      # free the activation early
        return out


    if __name__ == "__main__":
        torch.manual_seed(0)
        x, w1, w2 = torch.randn(4, 8), torch.randn(8, 16), torch.randn(16, 8)
        print(round(mlp(x, w1, w2).sum().item(), 4))
    ''')


def test_a_name_only_deleted_after_the_selection_is_an_output(tmp_path):
    e, _ = extract(DEL_AFTER, str(tmp_path / "p.py"), *lines_of(DEL_AFTER, "h = F.gelu", 2), record_inputs=False)
    assert [o["target"] for o in e.outputs] == ["h", "out"]
    before, after, res = apply_and_run(tmp_path, DEL_AFTER, "h = F.gelu", 2, "same-file")
    assert after == before
    assert "h, out = tritonize_" in res["text"]

