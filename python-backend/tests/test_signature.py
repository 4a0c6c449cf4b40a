"""ModelNew's forward/__init__ against what the problem passes (judge/signature.py), and the verdict a
mismatch gets (try-out 11: "TypeError: forward() takes 2 positional arguments but 3 were given;
checked at reduced sizes on the CPU" for a candidate written for one input of two)."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.judge.signature import signature_mismatch

PROBLEM = textwrap.dedent('''\
    import torch
    import torch.nn as nn

    class Model(nn.Module):
        def __init__(self, scale):
            super().__init__()
            self.scale = scale

        def forward(self, h, up_bias):
            return torch.nn.functional.gelu(h + up_bias) * self.scale

    def get_inputs():
        return [torch.randn(8, 16), torch.randn(16)]

    def get_init_inputs():
        return [2.0]
    ''')


def cand(forward: str, init: str = "def __init__(self, scale):") -> str:
    return textwrap.dedent(f'''\
        import torch.nn as nn

        class ModelNew(nn.Module):
            {init}
                super().__init__()

            {forward}
                return None
        ''')


@pytest.mark.parametrize("forward", [
    "def forward(self, h, up_bias):",
    "def forward(self, x, b):",  # other names: passed positionally
    "def forward(self, *xs):",
    "def forward(self, h, up_bias, extra=None):",
    "def forward(self, h, /, up_bias):",
    "@torch.compile\n    def forward(self, x):",  # decorated: left to the call
])
def test_what_the_problem_can_call_passes(forward):
    assert signature_mismatch(PROBLEM, cand(forward)) is None


@pytest.mark.parametrize("forward, says", [
    ("def forward(self, scores):", "ModelNew.forward(self, scores) takes 1 input, but the problem passes 2 "
                                   "(get_inputs(); Model.forward(self, h, up_bias))"),
    ("def forward(self, a, b, c):", "takes 3 inputs, but the problem passes 2"),
    ("def forward(self, a, b, *, c):", None),  # keyword-only without default: the call says it
])
def test_a_forward_that_cannot_take_the_inputs_is_named(forward, says):
    found = signature_mismatch(PROBLEM, cand(forward))
    if says is None:
        assert found is None
        return
    assert found is not None and says in found["message"], found
    assert found["line"] == 7 and "give ModelNew.forward the same parameters as Model.forward" in found["message"]


def test_a_call_override_decides_what_forward_gets():
    """Red team 12 h07: __call__ dispatches model(a, b) to its own method; forward takes **kw."""
    src = cand("def forward(self, **kw):").replace(
        "    def forward", "    def __call__(self, a, b):\n        return self.forward(h=a, up_bias=b)\n\n    def forward")
    assert "def __call__" in src
    assert signature_mismatch(PROBLEM, src) is None


def test_init_against_get_init_inputs():
    found = signature_mismatch(PROBLEM, cand("def forward(self, h, up_bias):", init="def __init__(self):"))
    assert found is not None and "ModelNew.__init__(self) takes 0 inputs, but the problem passes 1 (get_init_inputs()" in found["message"]


def test_without_a_literal_list_the_reference_signature_bounds_the_count():
    problem = PROBLEM.replace("return [torch.randn(8, 16), torch.randn(16)]", "return list(make())")
    assert signature_mismatch(problem, cand("def forward(self, h, up_bias):")) is None
    found = signature_mismatch(problem, cand("def forward(self, h):"))
    assert found is not None and "passes 2 (get_inputs(); Model.forward(self, h, up_bias))" in found["message"]


def test_verdict_names_the_interface_not_a_runtime_error(tmp_path):
    from tritonize.judge.options import VerifyOptions
    from tritonize.judge.run import verify

    # Realistic sizes, which the CPU mode reduces for the trials: still no reduced-size note or badge.
    big = PROBLEM.replace("torch.randn(8, 16), torch.randn(16)", "torch.randn(ROWS, COLS), torch.randn(COLS)")
    (tmp_path / "problem.py").write_text("ROWS = 8192\nCOLS = 8192\n" + big)
    (tmp_path / "cand.py").write_text(cand("def forward(self, scores):"))
    rep = verify(tmp_path / "problem.py", tmp_path / "cand.py", device="cpu", timeout=60,
                 options=VerifyOptions(size_scale="auto"))
    assert rep["verdict"] == "compile_error", rep["summary"]
    assert rep["summary"].startswith("interface mismatch at line 7: ModelNew.forward(self, scores) takes 1 input")
    assert "reduced sizes" not in rep["summary"] and not (rep.get("reduced_sizes") or {}).get("changes")
    assert [d["rule"] for d in rep["diagnostics"]] == ["signature"]
