"""Apply of a whole class (red team 17, Apply: c07, c20). The behaviour check compares forwards with
the original's weights loaded into the candidate's instance; what else the program sees of an
instance was not compared: the attributes it sets, and the random values it starts from."""

from __future__ import annotations

import textwrap

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

from test_apply_redteam import lines_of
from test_apply_redteam8 import run_raw

import pytest
from tritonize.extract.errors import ExtractError

# A gated MLP whose subclass reads a plain attribute the base's __init__ sets.
USER = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Gate(nn.Module):
        def __init__(self, d, width):
            super().__init__()
            self.width = width
            self.proj = nn.Linear(d, width)
            self.out = nn.Linear(width, d)

        def forward(self, x):
            return self.out(torch.sigmoid(self.proj(x)) * self.proj(x))


    class ScaledGate(Gate):
        def forward(self, x):
            return super().forward(x) / self.width


    if __name__ == "__main__":
        torch.manual_seed(0)
        g, s = Gate(8, 16), ScaledGate(8, 16)
        x = torch.randn(4, 8)
        with torch.no_grad():
            print(round(g(x).sum().item(), 4), round(s(x).sum().item(), 4), round(torch.rand(1).item(), 4))
    ''')

FORWARD = '''
    def forward(self, x):
        h = self.proj(x)
        return self.out(torch.sigmoid(h) * h).detach().clone()
'''


def _candidate(init_body: str) -> str:
    return ("import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n"
            "    def __init__(self, d, width):\n        super().__init__()\n"
            + textwrap.indent(textwrap.dedent(init_body), "        ") + textwrap.indent(textwrap.dedent(FORWARD), "    "))


def _apply_code(tmp_path, code: str) -> tuple[dict, object]:
    path = tmp_path / "user.py"
    path.write_text(USER)
    rng = lines_of(USER, "class Gate(nn.Module):", 11)
    e, src = extract(USER, str(path), *rng)
    return apply_candidate(USER, str(path), *rng, code, extracted=(e, src)), path


def _apply(tmp_path, cand: str) -> tuple[dict, object]:
    """Apply a ModelNew whose __init__ body is `cand` (FORWARD as its forward)."""
    return _apply_code(tmp_path, _candidate(cand))


def _refused_code(tmp_path, code: str) -> str:
    with pytest.raises(ExtractError) as err:
        _apply_code(tmp_path, code)
    return err.value.reason


def _refusal(tmp_path, cand: str) -> str:
    return _refused_code(tmp_path, _candidate(cand))


def test_a_faithful_class_applies_and_the_program_prints_the_same(tmp_path):
    before = run_raw(tmp_path / "user.py", write=USER)
    res, path = _apply(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    after = run_raw(path, write=res["text"])
    assert after.returncode == 0 and after.stdout == before.stdout, after.stderr[-800:]


def test_a_class_that_drops_an_attribute_a_subclass_reads_is_refused(tmp_path):
    # c20: applied, then ScaledGate raised AttributeError: 'ScaledGate' object has no attribute 'width'.
    msg = _refusal(tmp_path, "self.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    assert "does not set self.width" in msg and "Keep every attribute" in msg, msg


def test_a_class_that_changes_an_attribute_is_refused(tmp_path):
    msg = _refusal(tmp_path, "self.width = float(width)\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    assert "self.width = 16.0 where the original sets 16" in msg, msg


def test_a_class_that_creates_its_layers_in_another_order_is_refused(tmp_path):
    # c07: the forward matched with the original's weights loaded; from its own random start the
    # program printed other numbers.
    msg = _refusal(tmp_path, "self.width = width\nself.out = nn.Linear(width, d)\nself.proj = nn.Linear(d, width)\n")
    assert "registers its parameters and buffers in another order" in msg, msg


def test_a_class_that_initialises_a_layer_otherwise_is_refused(tmp_path):
    msg = _refusal(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n"
                             "nn.init.zeros_(self.out.bias)\n")
    assert "starts with other values of out.bias" in msg, msg


def test_a_class_that_draws_more_random_numbers_is_refused(tmp_path):
    # Same parameters, then one more draw: every random number after it (here the program's torch.rand) moves.
    msg = _refusal(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n"
                             "self.register_buffer('noise', torch.randn(1), persistent=False)\n")
    assert "draws other random numbers" in msg, msg


def test_a_class_whose_constructor_takes_other_arguments_is_refused(tmp_path):
    # Red team 19 c02: a renamed constructor argument broke Gate(d=8, width=16); another default changed Gate(8).
    cand = _candidate("self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    cand = cand.replace("def __init__(self, d, width):", "def __init__(self, d, size):").replace("width)\n", "size)\n", 1)
    cand = cand.replace("self.width = width", "self.width = size").replace("nn.Linear(d, width)", "nn.Linear(d, size)") \
        .replace("nn.Linear(width, d)", "nn.Linear(size, d)")
    msg = _refused_code(tmp_path, cand)
    assert "takes (self, d, size) where the original takes (self, d, width)" in msg, msg


def test_a_class_that_flattens_a_submodule_is_refused(tmp_path):
    # Red team 19 c06: the weights kept, the nn.Linear gone: m.out raised AttributeError, print(m) changed.
    msg = _refusal(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nlin = nn.Linear(width, d)\n"
                             "self.out_w, self.out_b = lin.weight, lin.bias\n")
    assert "has submodules ['proj'] where the original has ['proj', 'out']" in msg and "out is gone" in msg, msg


def test_a_class_that_only_implements_training_mode_is_refused(tmp_path):
    # Red team 19 c13: right in training mode (where the check ran), other results in eval().
    cand = _candidate("self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    cand = cand.replace("        return self.out(", "        if not self.training:\n            h = h * 0.5\n"
                                                   "        return self.out(")
    msg = _refused_code(tmp_path, cand)
    assert "result in eval mode" in msg and "training path only" in msg, msg


def test_a_class_that_unfreezes_a_parameter_is_refused(tmp_path):
    # Red team 19 c14 (a frozen parameter made trainable), and c01's kin: a buffer made persistent.
    msg = _refusal(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n"
                             "self.proj.bias.requires_grad_(False)\n")
    assert "parameter proj.bias with requires_grad=False where the original has True" in msg, msg
    msg = _refusal(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n"
                             "self.register_buffer('scale', torch.ones(1))\n")
    assert "saves" in msg and "checkpoints saved by one would not load into the other" in msg, msg


def test_a_selection_in_generated_code_is_refused_with_the_way_back(tmp_path):
    # Red team 19 c11: the generated class was selected and wrapped a second time; the guard class
    # was refused with a reason about its own *args.
    res, path = _apply(tmp_path, "self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    text = res["text"]
    for first in ("class _TritonizeGate", "class _TzGuardedGate"):
        start = lines_of(text, first)[0][0]
        end = start + 3
        with pytest.raises(ExtractError) as err:
            extract(text, str(path), (start, 1), (end, len(text.split("\n")[end - 1]) + 1), record_inputs=False)
        assert "in code an earlier Apply generated" in err.value.reason, err.value.reason
