"""The examples in /examples verify as correct on the CPU (Triton interpreter) at shrunken sizes.

Each example problem keeps its sizes in module-level ints (M = 4096 ...); this test writes a copy
with small, odd sizes (not multiples of any block) and runs the real verifier on it. The full
sizes are for the GPU benchmark (see examples/README.md for the GPU commands).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tritonize.judge.static_rules import check_source

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMALL = {
    "bias_gelu": {"M": 100, "N": 300},
    "softmax": {"ROWS": 64, "COLS": 1000},
    "rmsnorm": {"ROWS": 64, "HIDDEN": 1000},
    "matmul_fp16": {"M": 96, "N": 80, "K": 72},
}


def shrink(src: str, sizes: dict[str, int]) -> str:
    for name, value in sizes.items():
        src, n = re.subn(rf"^{name} = \d+$", f"{name} = {value}", src, flags=re.M)
        assert n == 1, f"{name} is not a module-level int in the problem"
    return src


def test_examples_listed():
    # Hidden folders are tool state (a run of the extension in examples/ leaves .tritonize/ there).
    assert {p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith(".")} == set(SMALL)
    assert (EXAMPLES / "README.md").is_file() and (EXAMPLES / "model_code.py").is_file()


@pytest.mark.parametrize("name", sorted(SMALL))
def test_example_static_clean(name):
    src = (EXAMPLES / name / "candidate.py").read_text()
    assert [d for d in check_source(src) if d["severity"] == "error"] == []


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(SMALL))
def test_example_correct_on_cpu(name, tmp_path, runner):
    problem = tmp_path / f"{name}_problem.py"
    problem.write_text(shrink((EXAMPLES / name / "problem.py").read_text(), SMALL[name]))
    rep = runner(EXAMPLES / name / "candidate.py", problem, "cpu", timeout=180.0)
    assert rep["verdict"] == "correct", (rep["summary"], rep["diagnostics"])
    assert rep["anticheat"]["torch_compute_ops"] == []
    assert all(t["passed"] or t.get("flag_only") for t in rep["correctness"]["trials"])
