"""The editor's tritonize.entryPoint (`default_entry`): how the workspace's program runs, used only for
a file with no entry point of its own (a model module imported by train.py). Without it such a file's
shapes are guessed and Apply refuses them, with no way for the user to name the command."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of

MODEL = textwrap.dedent('''\
    import torch


    def mix(x, w):
        y = torch.relu(x) * w
        return y
    ''')

TRAIN = textwrap.dedent('''\
    import torch
    from model import mix

    torch.manual_seed(0)
    print(float(mix(torch.randn(64, 48), torch.randn(64, 48)).sum()))
    ''')


def _write(tmp_path, model=MODEL):
    (tmp_path / "model.py").write_text(model)
    (tmp_path / "train.py").write_text(TRAIN)
    return str(tmp_path / "model.py")


def test_a_module_without_entry_point_records_through_the_default_entry(tmp_path):
    path = _write(tmp_path)
    rng = lines_of(MODEL, "y = torch.relu")
    guessed, _ = extract(MODEL, path, *rng)
    assert guessed.guessed == ["x", "w"]
    e, _ = extract(MODEL, path, *rng, default_entry=str(tmp_path / "train.py"))
    assert e.guessed == [] and "(64, 48)" in e.problem
    assert "tritonize.entryPoint" in (e.entry or "")
    # Apply: refused with the reason the editor offers "Set entry point…" for, and applied with it.
    with pytest.raises(ExtractError) as err:
        apply_candidate(MODEL, path, *rng, faithful(guessed.problem))
    assert err.value.why == "guessed"
    res = apply_candidate(MODEL, path, *rng, faithful(e.problem), default_entry=str(tmp_path / "train.py"))
    assert res["check"]["ok"], res["check"]


def test_a_file_with_its_own_main_block_ignores_the_default_entry(tmp_path):
    own = MODEL + '\n\nif __name__ == "__main__":\n    print(float(mix(torch.randn(3, 5), torch.randn(3, 5)).sum()))\n'
    path = _write(tmp_path, own)
    e, _ = extract(own, path, *lines_of(own, "y = torch.relu"), default_entry=str(tmp_path / "train.py"))
    assert "(3, 5)" in e.problem and "__main__" in (e.entry or "")


def test_a_default_entry_that_does_not_reach_the_code_guesses_and_says_so(tmp_path):
    path = _write(tmp_path)
    (tmp_path / "other.py").write_text("print('no model here')\n")
    e, _ = extract(MODEL, path, *lines_of(MODEL, "y = torch.relu"), default_entry=str(tmp_path / "other.py"))
    assert e.guessed == ["x", "w"]
    assert any("did not run the selected code" in w for w in e.warnings), e.warnings


def test_the_recording_runs_kernels_applied_earlier_in_the_interpreter_without_a_gpu(tmp_path, monkeypatch):
    """Try-out 11: after one Apply on a CPU-only machine, Generate on another op of the same file
    failed: the recording ran the program without TRITON_INTERPRET=1, and the applied kernel's guard
    raised "needs CUDA tensors"."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: applied kernels run on it")
    text = textwrap.dedent('''\
        import os
        import torch


        def applied(x):  # stands for an applied kernel's call-time guard
            if os.environ.get("TRITON_INTERPRET") != "1":
                raise RuntimeError("runs a Triton kernel, which needs CUDA tensors on a GPU")
            return x * 2


        def step(x, w):
            h = applied(x)
            y = torch.relu(h) * w
            return y


        if __name__ == "__main__":
            print(float(step(torch.randn(16, 8), torch.randn(16, 8)).sum()))
        ''')
    path = tmp_path / "prog.py"
    path.write_text(text)
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)  # as in the user's shell (the test run sets it)
    e, _ = extract(text, str(path), *lines_of(text, "y = torch.relu"))
    assert e.guessed == [] and "(16, 8)" in e.problem
