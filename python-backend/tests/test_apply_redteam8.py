"""Apply cases from red team 11 (/work/rt11/apply/cases, black box, session 11): each is refused with
one line naming the cause, or applies and the program behaves the same (or stops with a clear error
where it would otherwise compute something else)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract
from tritonize.extract.source import SourceFile
from tritonize.extract.deps import module_bindings

from test_apply_redteam import faithful, lines_of
from test_apply_redteam7 import kernel_like
from programs import run_program


def run_raw(path, *args, write=None):
    if write is not None:
        path.write_text(write)
    return run_program(path, *args, env=dict(os.environ, PYTHONHASHSEED="0", TRITON_INTERPRET="1"))


def refused(tmp_path, text: str, first: str, count: int = 1, **kw) -> str:
    path = tmp_path / "user.py"
    path.write_text(text)
    with pytest.raises(ExtractError) as err:
        e, src = extract(text, str(path), *lines_of(text, first, count), **kw)
        apply_candidate(text, str(path), *lines_of(text, first, count), faithful(e.problem), extracted=(e, src))
    return err.value.reason


# c19: a class recorded under no_grad (evaluation), then trained: the applied class cut the graph and
# earlier layers got grad None, silently. Training runs only with an argument, so the recording
# (no arguments) sees the evaluation alone, as when the training came after its watch ended.
TRAINED_LATER = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class ScaleNorm(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.g = nn.Parameter(torch.ones(d))

        def forward(self, x):
            return x / x.norm(dim=-1, keepdim=True) * self.g


    if __name__ == "__main__":
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(8, 8), ScaleNorm(8), nn.Linear(8, 2))
        x = torch.randn(4, 8)
        with torch.no_grad():
            out = net(x)
        print(round(out.sum().item(), 4))
        if sys.argv[1:] == ["train"]:
            net(x).pow(2).sum().backward()
            print(net[0].weight.grad is None)
    ''')


@pytest.mark.parametrize("inference_only", [False, True])
def test_a_replaced_class_trained_later_stops_with_a_clear_error(tmp_path, inference_only):
    path = tmp_path / "user.py"
    path.write_text(TRAINED_LATER)
    before = run_raw(path, "train")
    assert before.returncode == 0 and before.stdout.strip().endswith("False")
    rng = lines_of(TRAINED_LATER, "class ScaleNorm", 7)
    e, src = extract(TRAINED_LATER, str(path), *rng)
    res = apply_candidate(TRAINED_LATER, str(path), *rng, kernel_like(e.problem), extracted=(e, src),
                          inference_only=inference_only)
    path.write_text(res["text"])
    assert run_raw(path).stdout == run_raw(path.with_name("orig.py"), write=TRAINED_LATER).stdout  # evaluation
    after = run_raw(path, "train")
    assert after.returncode != 0, after.stdout
    assert "no backward" in after.stderr and "ScaleNorm" in after.stderr, after.stderr[-800:]


# c29: the program rotates its checkpoint folder; the recording run (stopped part-way) lost the newest.
ROTATES = textwrap.dedent('''\
    import os
    import shutil
    import torch


    def f(x):
        y = torch.relu(x) * 3.0
        return y


    if __name__ == "__main__":
        if os.path.exists("ckpt"):
            shutil.rmtree("ckpt_old", ignore_errors=True)
            os.rename("ckpt", "ckpt_old")
        os.makedirs("ckpt", exist_ok=True)
        with open("ckpt/w.txt", "w") as fh:
            fh.write("new")
        print(f(torch.linspace(-1, 1, 16)).sum().item())
    ''')


def test_the_recording_puts_back_a_folder_the_program_renames(tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "w.txt").write_text("newest")
    (tmp_path / "ckpt_old").mkdir()
    (tmp_path / "ckpt_old" / "w.txt").write_text("older")
    (tmp_path / "user.py").write_text(ROTATES)
    e, _ = extract(ROTATES, str(tmp_path / "user.py"), *lines_of(ROTATES, "y = torch.relu"))
    assert e.shapes == "recorded"
    assert (tmp_path / "ckpt" / "w.txt").read_text() == "newest"
    assert (tmp_path / "ckpt_old" / "w.txt").read_text() == "older"


# c20, c33, c34: a helper's global that the program changes in place after the file set it; the
# kernel's copy kept the file's value.
STALE = {
    "class_attr": ("class Cfg:\n    shift = 1.0\n\n\ndef shifted(x):\n    return x + Cfg.shift\n",
                   "def warmup_done():\n    Cfg.shift = 0.0\n", "Cfg.shift = 0.0"),
    "tensor": ("MEAN = torch.ones(4)\n\n\ndef shifted(x):\n    return x - MEAN\n",
               "def reset():\n    MEAN.mul_(0.0)\n", "MEAN.mul_(0.0)"),
    "dict": ('CFG = {"temp": 1.0}\n\n\ndef shifted(x):\n    return x / CFG["temp"]\n',
             'def anneal():\n    CFG["temp"] = 4.0\n', "CFG['temp'] = 4.0"),
}


@pytest.mark.parametrize("kind", sorted(STALE))
def test_a_helper_reading_a_global_changed_in_place_is_refused(tmp_path, kind):
    helper, changer, code = STALE[kind]
    text = f"import torch\n\n{helper}\n\n{changer}\n\ndef f(x):\n    y = shifted(x) * 2.0\n    return y\n"
    reason = refused(tmp_path, text, "y = shifted", record_inputs=False)
    assert "is changed while the program runs" in reason and code in reason, reason


def test_a_global_another_file_sets_on_a_sibling_module_is_refused(tmp_path):
    # c21: `helpers.ACT_SCALE = 1.702` in user.py; act() copied from helpers.py kept 1.0.
    (tmp_path / "helpers.py").write_text("import torch\nACT_SCALE = 1.0\n\n\ndef act(x):\n"
                                         "    return x * torch.sigmoid(ACT_SCALE * x)\n")
    text = ("import torch\nimport helpers\nfrom helpers import act\n\nhelpers.ACT_SCALE = 1.702\n\n\n"
            "def mlp(x):\n    y = act(x) + 1.0\n    return y\n")
    reason = refused(tmp_path, text, "y = act", record_inputs=False)
    assert "'ACT_SCALE' is changed" in reason and "helpers.ACT_SCALE = 1.702" in reason, reason


# c13, c14: a property read once at the call site, before the selection changed what it reads, or
# where the selection read it twice (a property drawing noise).
PROPERTY = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class FP8Lin(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("amax", torch.ones(1))

        @property
        def scale(self):
            return 448.0 / self.amax

        def forward(self, x):
            self.amax.copy_(torch.maximum(self.amax, x.abs().max()))
            y = (x * self.scale).clamp(-448, 448)
            return y


    if __name__ == "__main__":
        m = FP8Lin()
        print(m(torch.linspace(-1, 1, 8) * 3).sum().item())
    ''')


def test_a_property_read_after_an_in_place_update_is_refused(tmp_path):
    reason = refused(tmp_path, PROPERTY, "self.amax.copy_", 2)
    assert "self.scale is a property (FP8Lin.scale)" in reason and "in place" in reason, reason


def test_a_property_read_once_without_updates_applies(tmp_path):
    text = PROPERTY.replace("        self.amax.copy_(torch.maximum(self.amax, x.abs().max()))\n", "")
    path = tmp_path / "user.py"
    path.write_text(text)
    rng = lines_of(text, "y = (x * self.scale)")
    e, src = extract(text, str(path), *rng)
    res = apply_candidate(text, str(path), *rng, faithful(e.problem), extracted=(e, src))
    assert "self.scale" in res["text"].split("# --- end Tritonize ---")[-1]


# c02: same-file placement bound the candidate's `Model` in the user's module; `from user import *`
# in another file then took it over that file's own Model.
def test_same_file_placement_adds_no_public_class_to_the_module(tmp_path):
    text = ("import torch\n\n\ndef mix(x):\n    y = x * torch.sigmoid(x) + 0.1 * x\n    return y\n\n\n"
            "if __name__ == \"__main__\":\n    print(mix(torch.randn(64)).sum().item())\n")
    path = tmp_path / "user.py"
    path.write_text(text)
    rng = lines_of(text, "y = x * torch.sigmoid")
    e, src = extract(text, str(path), *rng)
    res = apply_candidate(text, str(path), *rng, faithful(e.problem), extracted=(e, src))
    added = set(module_bindings(SourceFile(res["text"], str(path)).tree)) - set(module_bindings(src.tree))
    public = {n for n in added if not n.startswith("_")}
    assert all(n in ("triton", "tl") or n.startswith("tritonize_") for n in public), public


# c22: an integer that picks the dimension (dim=-1 recorded, dim=0 later): a kernel written for the
# recorded dim ran for the other one silently.
DIM_LATER = textwrap.dedent('''\
    import sys
    import torch


    def l2norm(x, dim):
        return x / x.norm(dim=dim, keepdim=True)


    if __name__ == "__main__":
        x = torch.arange(1, 13, dtype=torch.float32).reshape(3, 4)
        print([round(v, 4) for v in l2norm(x, -1).flatten().tolist()])
        if sys.argv[1:] == ["other"]:
            print([round(v, 4) for v in l2norm(x, 0).flatten().tolist()])
    ''')


def test_an_integer_dimension_other_than_the_recorded_one_stops_with_a_clear_error(tmp_path):
    path = tmp_path / "user.py"
    path.write_text(DIM_LATER)
    rng = lines_of(DIM_LATER, "def l2norm", 2)
    e, src = extract(DIM_LATER, str(path), *rng)
    res = apply_candidate(DIM_LATER, str(path), *rng, kernel_like(e.problem), extracted=(e, src))
    path.write_text(res["text"])
    same = run_raw(path)
    assert same.returncode == 0, same.stderr[-800:]
    assert same.stdout == run_raw(path.with_name("orig.py"), write=DIM_LATER).stdout
    other = run_raw(path, "other")
    assert other.returncode != 0 and "dim is 0 in this call" in other.stderr, other.stderr[-800:]
