"""The special-values trial (NaN, +inf, -inf in the inputs): a kernel that carries them differently
from PyTorch is flagged, not failed (red team 11 c11: a ReLU mapping NaN to 0 passed unnoticed; honest
kernels written with tl.maximum do the same)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
CANDIDATES, PROBLEMS = HERE / "candidates", HERE / "problems"


def _special(rep: dict) -> dict | None:
    return next((t for t in rep["correctness"]["trials"] if t["name"] == "special-values"), None)


def test_a_kernel_that_drops_nan_is_correct_and_flagged(runner):
    rep = runner(CANDIDATES / "relu_correct.py", PROBLEMS / "relu.py")
    assert rep["verdict"] == "correct", rep["summary"]
    flags = [f for f in rep["correctness"]["flags"] if f["rule"] == "special_values"]
    assert flags and "got 0, expected nan" in flags[0]["message"], rep["correctness"]["flags"]
    trial = _special(rep)
    assert trial and not trial["passed"] and trial["flag_only"]
    assert "special-values" not in rep["summary"].split("trials (")[1].split(")")[0]  # not counted as matched
    assert "flagged: special_values" in rep["summary"]


def test_a_kernel_that_keeps_nan_as_pytorch_does_is_not_flagged(runner):
    rep = runner(CANDIDATES / "legit_relu_nan_propagating.py", PROBLEMS / "relu.py")
    assert rep["verdict"] == "correct", rep["summary"]
    assert _special(rep)["passed"]
    assert not [f for f in rep["correctness"]["flags"] if f["rule"] == "special_values"]


def test_the_trial_can_be_turned_off(runner):
    rep = runner(CANDIDATES / "relu_correct.py", PROBLEMS / "relu.py", special_values=False)
    assert _special(rep) is None and rep["verdict"] == "correct"


def test_a_wrong_kernel_is_still_judged_on_the_other_trials(runner):
    rep = runner(CANDIDATES / "wrong_off_by_one_mask.py", PROBLEMS / "vector_add.py")
    assert rep["verdict"] == "incorrect", rep["summary"]
