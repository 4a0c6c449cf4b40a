"""Apply cases from the fourth red-team pass (/work/rt8/apply/cases/b*): each either gives the same
program output after Apply, or is refused (at Apply, or by the applied wrapper at call time) with one
line naming the cause."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from programs import run_program

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import apply_and_run, faithful, lines_of, run


def run_original(tmp_path, text: str) -> str:
    orig = tmp_path / "orig.py"
    orig.write_text(text)
    os.environ["TZ_LATER"] = "1"
    try:
        return run(orig)
    finally:
        del os.environ["TZ_LATER"]


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


# Later calls under other conditions than the recorded one. When the recorded run makes such a call
# (the recording watches a while after the first), Apply refuses naming it; when it comes only later
# (TZ_LATER=1 below: the recording run never makes it), the applied wrapper's call-time guard raises
# one clear line (the wrapper, the condition, the way out) instead of computing something else.

def refused_at_apply(tmp_path, text: str, first: str, count: int = 1, **kw) -> str:
    path = tmp_path / "seen.py"
    path.write_text(text)
    os.environ["TZ_LATER"] = "1"
    try:
        with pytest.raises(ExtractError) as err:
            e, src = extract(text, str(path), *lines_of(text, first, count))
            assert any("Apply will refuse" in w for w in e.warnings), e.warnings  # said before generating
            apply_candidate(text, str(path), *lines_of(text, first, count), faithful(e.problem), extracted=(e, src),
                            **kw)
    finally:
        del os.environ["TZ_LATER"]
    msg = err.value.reason
    assert msg.startswith("the selection runs more than once and the calls differ: "), msg
    assert "keep the PyTorch code" in msg
    return msg


def apply_then_fail(tmp_path, text: str, first: str, count: int = 1, **kw) -> tuple[str, str]:
    """Apply with a faithful candidate (the recorded call passes the check; the recording run does not
    make the later call), run the edited program with the later call: it must stop with one line;
    returns (stdout, that line)."""
    path = tmp_path / "prog.py"
    path.write_text(text)
    e, src = extract(text, str(path), *lines_of(text, first, count))
    assert e.later == [], e.later
    res = apply_candidate(text, str(path), *lines_of(text, first, count), faithful(e.problem), extracted=(e, src), **kw)
    path.write_text(res["text"])
    p = run_program(path, env=dict(os.environ, PYTHONHASHSEED="0", TRITON_INTERPRET="1", TZ_LATER="1"))
    assert p.returncode != 0, p.stdout
    return p.stdout, p.stderr.strip().splitlines()[-1]


# b08: the first (recorded) call runs under no_grad; the training calls after it need autograd
# through the kernel, which has none: training silently stopped updating self.bias.
GRAD_LATER = textwrap.dedent('''\
    import os
    import torch
    import torch.nn as nn


    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.Linear(8, 16)
            self.down = nn.Linear(16, 1)
            self.bias = nn.Parameter(torch.zeros(16))

        def forward(self, x):
            h = self.up(x)
            h = torch.tanh(h + self.bias)
            return self.down(h)


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = MLP()
        x = torch.randn(32, 8)
        yt = torch.randn(32, 1)
        with torch.no_grad():
            print("sanity", round(m(x).sum().item(), 4))
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for step in range(3 if os.environ.get("TZ_LATER") else 0):
            opt.zero_grad()
            loss = (m(x) - yt).pow(2).mean()
            loss.backward()
            opt.step()
            print(step, round(loss.item(), 5), round(m.bias.abs().sum().item(), 5))
    ''')


def test_a_later_call_with_gradients_on_is_refused_or_raises(tmp_path):
    msg = refused_at_apply(tmp_path, GRAD_LATER, "h = torch.tanh")
    assert "gradients are on and h requires grad in call 2 of the selection in the recorded run" in msg, msg
    assert "--inference-only" in msg
    out, last = apply_then_fail(tmp_path, GRAD_LATER, "h = torch.tanh")
    assert out == run_original(tmp_path, GRAD_LATER).split("\n")[0] + "\n"  # the no_grad call as before
    assert last.startswith("_TritonizeGuardStop: tritonize_mlp_forward_lines: gradients are on and h requires grad in this "
                           "call"), last
    assert "torch.no_grad()" in last and "undo the Apply" in last


def test_time_spent_importing_does_not_end_the_watch_for_a_later_call(tmp_path):
    """The first optimizer step imports torch._dynamo (2-5 s of CPU under the recording's trace hook):
    the training loop's call under gradients came after the 5 s window, and Apply's refusal was
    missed (session 19, under `pytest -n 2`). Here the import between the calls takes 6 s of CPU."""
    (tmp_path / "slowmod.py").write_text(
        "import time\nt = time.process_time()\nwhile time.process_time() - t < 6.0:\n    pass\n")
    text = GRAD_LATER.replace("    opt = torch.optim.SGD", "    import slowmod\n    opt = torch.optim.SGD")
    msg = refused_at_apply(tmp_path, text, "h = torch.tanh")
    assert "gradients are on and h requires grad in call 2 of the selection in the recorded run" in msg, msg


def test_inference_only_runs_under_gradients_and_a_backward_through_it_raises(tmp_path):
    """The user's word: inference only. The forward runs with gradients on (no guard at the call), and
    a training step that reaches the kernel stops with one line instead of silently missing the
    kernel's gradients (try-out 10: the step ran and the bias never learned)."""
    text = GRAD_LATER.replace("    with torch.no_grad():\n        print(\"sanity\"", "    if True:\n        print(\"sanity\"")
    path = tmp_path / "prog.py"
    path.write_text(text)
    e, src = extract(text, str(path), *lines_of(text, "h = torch.tanh"))
    # A kernel's outputs are new tensors without a graph (the PyTorch-subclass candidate keeps one).
    kernel = e.problem + "\n\nclass ModelNew(Model):\n    def forward(self, *a):\n        return super().forward(*a).detach().clone()\n"
    res = apply_candidate(text, str(path), *lines_of(text, "h = torch.tanh"), kernel, extracted=(e, src),
                          inference_only=True)
    path.write_text(res["text"])
    (tmp_path / "orig.py").write_text(text)
    env = dict(os.environ, PYTHONHASHSEED="0", TRITON_INTERPRET="1")
    p = run_program(path, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == run(tmp_path / "orig.py")
    p = run_program(path, env={**env, "TZ_LATER": "1"})
    assert p.returncode != 0, p.stdout
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("_TritonizeGuardStop: tritonize_mlp_forward_lines: the Triton kernel was applied for inference "
                           "only (it has no backward), and a backward pass reached it."), last


# b28b: a later call runs under autocast (x @ proj in bf16); the kernel computes in float32.
AUTOCAST_LATER = textwrap.dedent('''\
    import os
    import torch
    import torch.nn as nn


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Parameter(torch.randn(8, 8) * 0.3)

        def forward(self, x):
            h = torch.tanh(x @ self.proj)
            return h


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Head()
        x = torch.randn(4, 8)
        with torch.no_grad():
            print("fp32", m(x).dtype, round(m(x).sum().item(), 4))
            if os.environ.get("TZ_LATER"):
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    y = m(x)
                print("amp", y.dtype, round(y.float().sum().item(), 1))
    ''')


def test_a_later_call_under_autocast_is_refused_or_raises(tmp_path):
    msg = refused_at_apply(tmp_path, AUTOCAST_LATER, "h = torch.tanh")
    assert "autocast is on (cpu) in call 3 of the selection" in msg, msg
    out, last = apply_then_fail(tmp_path, AUTOCAST_LATER, "h = torch.tanh")
    assert out == run_original(tmp_path, AUTOCAST_LATER).split("\n")[0] + "\n"
    assert "tritonize_head_forward_lines: autocast is on for cpu in this call" in last, last
    assert "outside torch.autocast" in last and "undo the Apply" in last


# b37: the selection updates `a` in place and reads `b`; a later call passes one tensor for both.
ALIAS_LATER = textwrap.dedent('''\
    import os
    import torch


    def residual(a, b):
        a.mul_(0.5)
        a.add_(b)


    def whole(a, b):
        a.mul_(0.5)
        a.add_(b)
        return a


    if __name__ == "__main__":
        torch.manual_seed(0)
        x, y = torch.randn(4, 8), torch.randn(4, 8)
        with torch.no_grad():
            residual(x, y)
            print(round(x.sum().item(), 4))
            whole(y, x)
            print(round(y.sum().item(), 4))
            if os.environ.get("TZ_LATER"):
                residual(x, x)        # later calls: both arguments are one tensor
                whole(x, x)
                print(round(x.sum().item(), 4))
    ''')


@pytest.mark.parametrize("first,count,wrapper", [("a.mul_(0.5)", 2, "tritonize_residual_lines"),
                                                 ("def whole", 4, "tritonize_whole")])
def test_a_later_call_with_aliased_inputs_is_refused_or_raises(tmp_path, first, count, wrapper):
    msg = refused_at_apply(tmp_path, ALIAS_LATER, first, count)
    assert "a and b share memory in call 2 of the selection in the recorded run" in msg, msg
    out, last = apply_then_fail(tmp_path, ALIAS_LATER, first, count)
    assert out == "\n".join(run_original(tmp_path, ALIAS_LATER).split("\n")[:2]) + "\n"
    assert f"{wrapper}: a and b share memory in this call and the code updates an input in place" in last, last
    assert "undo the Apply" in last


def test_no_alias_guard_without_in_place_updates(tmp_path):
    res = apply_and_run(tmp_path, DEL_AFTER, "h = F.gelu", 2, "same-file")[2]
    assert "untyped_storage" not in res["text"] and "is_autocast_enabled" in res["text"]


# b87: attn_mask is a tensor in the recorded call and None in a later one; the kernel died with an
# AttributeError deep inside.
NONE_LATER = textwrap.dedent('''\
    import os
    import torch


    def attend(q, k, v, attn_mask=None):
        scores = (q @ k.transpose(-1, -2)) * 0.35
        if attn_mask is not None:
            scores = scores + attn_mask
        probs = scores.softmax(-1)
        return probs @ v


    if __name__ == "__main__":
        torch.manual_seed(0)
        q, k, v = torch.randn(2, 4, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8)
        mask = torch.zeros(4, 4).masked_fill(torch.ones(4, 4, dtype=torch.bool).triu(1), -1e4)
        with torch.no_grad():
            print("masked", round(attend(q, k, v, mask).sum().item(), 4))
            if os.environ.get("TZ_LATER"):
                print("unmasked", round(attend(q, k, v).sum().item(), 4))
    ''')


def test_a_later_call_with_none_for_a_recorded_tensor_is_refused_or_raises(tmp_path):
    msg = refused_at_apply(tmp_path, NONE_LATER, "scores = (q @ k", 4)
    assert "attn_mask is None in call 2 of the selection in the recorded run, a tensor of float32 on cpu in the " \
           "recorded" in msg, msg
    out, last = apply_then_fail(tmp_path, NONE_LATER, "scores = (q @ k", 4)
    assert out == run_original(tmp_path, NONE_LATER).split("\n")[0] + "\n"
    assert "tritonize_attend_lines: attn_mask is None in this call, but the Triton kernel was applied for calls " \
           "where attn_mask is a tensor" in last, last
    assert "undo the Apply" in last


# b67: the recording run stops the program at the selection; the program had opened results.csv
# with "w" before, so the recording left it truncated to its header.
WRITES_FILE = textwrap.dedent('''\
    import os
    import torch


    def step(x, w):
        y = torch.relu(x @ w) * 0.5
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        w = torch.randn(8, 8)
        with open("log.txt", "a") as log:
            log.write("run\\n")
        fd = os.open("raw.bin", os.O_WRONLY | os.O_TRUNC)
        os.close(fd)
        open("new.txt", "w").write("created by the run")
        with open("results.csv", "w") as f:        # results of this run
            f.write("step,value\\n")
            for i in range(3):
                f.write(f"{i},{step(torch.randn(4, 8), w).sum().item():.4f}\\n")
        print(open("results.csv").read().count("\\n"))
    ''')


def test_the_recording_run_leaves_the_programs_files_as_they_were(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(WRITES_FILE)
    files = {"results.csv": b"step,value\n0,1.0\n1,2.0\n2,3.0\n", "log.txt": b"earlier\n", "raw.bin": b"\x00\x01\x02"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    os.chmod(tmp_path / "raw.bin", 0o640)
    e, src = extract(WRITES_FILE, str(path), *lines_of(WRITES_FILE, "y = torch.relu"))
    assert e.shapes == "recorded"
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data, name
    assert (os.stat(tmp_path / "raw.bin").st_mode & 0o777) == 0o640
    assert not (tmp_path / "new.txt").exists()
    # Apply records again (the applied code's check): the files are still the user's.
    apply_candidate(WRITES_FILE, str(path), *lines_of(WRITES_FILE, "y = torch.relu"), faithful(e.problem),
                    extracted=(e, src))
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data, name
