"""Trials whose result is a flag, not a verdict (special-values, strided-inputs): a mismatch or an
error there is told, and the run goes on to its verdict (red team 12 c10: a kernel ignoring strides
passed silently; x.view(-1) of a transposed input must not turn an honest kernel into a runtime_error)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
CANDIDATES, PROBLEMS = HERE / "candidates", HERE / "problems"


def _flags(rep: dict) -> dict[str, str]:
    return {f["rule"]: f["message"] for f in rep["correctness"]["flags"]}


def test_a_kernel_that_errors_on_a_transposed_input_is_flagged_not_failed(runner):
    rep = runner(CANDIDATES / "flag_view_of_input.py", PROBLEMS / "relu.py")
    assert rep["verdict"] == "correct", rep["summary"]
    assert "view size is not compatible" in _flags(rep)["noncontiguous_inputs"], _flags(rep)
    assert "strided-inputs" not in [t["name"] for t in rep["correctness"]["trials"]]


def test_a_kernel_that_ignores_strides_is_flagged(runner):
    rep = runner(CANDIDATES / "flag_strides_ignored.py", PROBLEMS / "relu.py")
    assert rep["verdict"] == "correct", rep["summary"]
    assert "reads its inputs as if contiguous" in _flags(rep)["noncontiguous_inputs"]


def test_a_kernel_that_makes_its_input_contiguous_is_not_flagged(runner):
    rep = runner(CANDIDATES / "legit_relu_nan_propagating.py", PROBLEMS / "relu.py")
    assert rep["verdict"] == "correct" and "noncontiguous_inputs" not in _flags(rep)
    assert next(t for t in rep["correctness"]["trials"] if t["name"] == "strided-inputs")["passed"]


def test_an_image_batch_is_also_tried_channels_last(runner):
    """Red team 31 c21: right on contiguous and transposed inputs, wrong on channels-last memory."""
    rep = runner(CANDIDATES / "flag_channels_last_misread.py", PROBLEMS / "channel_bias.py")
    assert rep["verdict"] == "correct", rep["summary"]
    assert "channels-last" in _flags(rep)["noncontiguous_inputs"], _flags(rep)
