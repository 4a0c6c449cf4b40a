"""The output-provenance rule (judge/verdicts.py) on recorder evidence: an output no launch changed
counts as a kernel's only where it was a launch argument AND a launch changed that same output on
another trial; a launch argument left unchanged on every trial is still output_not_from_kernel."""

from __future__ import annotations

from pathlib import Path

import torch

from tritonize.judge.report import Report
from tritonize.judge.verdicts import collect_evidence, evidence_verdict


def _verdict(sources: dict[str, str]) -> dict | None:
    anticheat: dict = {}
    truth = [torch.linspace(-1, 1, 16)]  # not constant: a constant output is judged elsewhere
    for trial, src in sources.items():
        ev = {"provenance": [{"index": 0, "source": src}], "evidence_events": 1}
        collect_evidence(ev, {"name": trial, "launches": 1}, True, [{"ok": True}], truth, anticheat)
    rep = Report(Path("p.py"), Path("c.py"), "cpu")
    return evidence_verdict(rep, anticheat, {"trials": []}, 1)


def test_unchanged_on_one_trial_and_written_on_the_others_is_the_kernels():
    assert _verdict({"random-0": "kernel", "random-1": "kernel", "shifted": "launch_unchanged"}) is None


def test_a_launch_argument_no_launch_ever_changed_is_not_from_a_kernel():
    out = _verdict({"random-0": "launch_unchanged", "random-1": "launch_unchanged", "shifted": "launch_unchanged"})
    assert out is not None and "output_not_from_kernel" in out["summary"]
    assert "changed none of it" in out["summary"]


def test_never_a_launch_argument_stays_not_from_a_kernel_even_if_written_elsewhere():
    out = _verdict({"random-0": "kernel", "shifted": "none"})
    assert out is not None and "output_not_from_kernel" in out["summary"]
