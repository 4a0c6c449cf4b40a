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


# b02: module-level statements; `feats` is read by report(), defined earlier in the file (at call
# time), and imported by another module: it must stay bound although nothing after the selection in
# the file's text reads it.
MODULE_LEVEL = textwrap.dedent('''\
    import torch


    def report():
        # reads the module global `feats` assigned further down (at call time)
        return round(feats.sum().item(), 4)


    torch.manual_seed(0)
    x = torch.randn(4, 8)
    feats = torch.relu(x) * 2.0
    total = feats.mean()

    if __name__ == "__main__":
        print(report(), round(total.item(), 4))
    ''')


def test_module_level_names_the_selection_assigns_stay_bound(tmp_path):
    (tmp_path / "run.py").write_text("from prog import feats, report\nprint(report(), feats.shape)\n")
    (tmp_path / "prog.py").write_text(MODULE_LEVEL)
    before_run = run(tmp_path / "run.py")
    before, after, res = apply_and_run(tmp_path, MODULE_LEVEL, "feats = torch.relu", 2, "same-file")
    assert after == before
    assert "feats, total = tritonize_" in res["text"]
    assert run(tmp_path / "run.py") == before_run
    # Also when nothing in the file reads it: another module may import it.
    text = MODULE_LEVEL.replace("feats.sum()", "x.sum()")
    e, _ = extract(text, str(tmp_path / "q.py"), *lines_of(text, "feats = torch.relu", 2), record_inputs=False)
    assert [o["target"] for o in e.outputs] == ["feats", "total"]


def test_module_level_loop_target_read_elsewhere_is_refused(tmp_path):
    # Assigned on some paths only (the loop may not run) and read by a function: refused, not unbound.
    text = ("import torch\n\n\ndef last():\n    return i\n\n\nx = torch.ones(3)\nfor i in range(3):\n"
            "    x = x * 2\nprint(last(), x)\n")
    with pytest.raises(ExtractError) as info:
        extract(text, str(tmp_path / "p.py"), *lines_of(text, "for i in", 2), record_inputs=False)
    assert "'i' is assigned on some paths" in info.value.reason
    # A loop target nothing reads stays inside the kernel.
    text = text.replace("return i", "return 0")
    e, _ = extract(text, str(tmp_path / "p.py"), *lines_of(text, "for i in", 2), record_inputs=False)
    assert [o["target"] for o in e.outputs] == ["x"]
