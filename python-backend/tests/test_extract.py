"""Scope analysis of selections, without running anything (`record_inputs=False`): what flows in,
what flows out, and what is refused with a reason and a line. The corpus test runs the real thing."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import plan
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

FILE = textwrap.dedent('''\
    import math
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    EPS = 1e-5
    SCALE = 2.0 * EPS
    table = torch.linspace(0, 1, 8)


    def helper(x):
        return x * SCALE


    class Net(nn.Module):
        def __init__(self, n, p: float = 0.5):
            super().__init__()
            self.w = nn.Parameter(torch.randn(n))
            self.p = p
            self.lin = nn.Linear(n, n)
            self.count = 0

        def forward(self, x, y):
            h = self.lin(x)
            h = F.gelu(h + self.w)
            a, b = h.chunk(2, dim=-1)
            x += y
            x[0] = 0
            self.count += 1
            z = helper(a) * math.sqrt(self.p) + table.sum()
            if z.sum() > 0:
                return z
            return b


    def loss(pred, target, weight: float = 1.0):
        return ((pred - target) ** 2).mean() * weight


    def nothing(x):
        x.mul_(2)
    ''')


def sel(text: str, first: str, count: int = 1, expr: str | None = None):
    lines = text.split("\n")
    i = next(k for k, ln in enumerate(lines) if ln.strip().startswith(first))
    if expr is not None:
        c = lines[i].index(expr)
        return (i + 1, c + 1), (i + 1, c + len(expr) + 1)
    last = i + count - 1
    return (i + 1, 1), (last + 1, len(lines[last]) + 1)


def ext(first, count=1, expr=None, text=FILE):
    e, _ = extract(text, "/tmp/net.py", *sel(text, first, count, expr), record_inputs=False)
    compile(e.problem, "problem.py", "exec")
    return e


def refused(first, count=1, expr=None, text=FILE) -> ExtractError:
    with pytest.raises(ExtractError) as info:
        extract(text, "/tmp/net.py", *sel(text, first, count, expr), record_inputs=False)
    return info.value


def test_self_attribute_is_an_input_named_for_the_attribute():
    e = ext("h = F.gelu", expr="F.gelu(h + self.w)")
    assert e.kind == "expression"
    assert [(i.name, i.expr) for i in e.inputs] == [("h", "h"), ("w", "self.w")]
    model = e.problem.split("class Model")[1].split("def get_inputs")[0]
    assert "return F.gelu(h + w)" in model and "self.w" not in model


def test_assignment_output_is_the_name_read_later():
    e = ext("h = F.gelu")
    assert e.outputs == [{"target": "h", "inplace": False}]
    assert e.problem.rstrip().count("return h") == 1


def test_tuple_target_outputs_both_names_used_later():
    e = ext("a, b = h.chunk")
    assert [o["target"] for o in e.outputs] == ["a", "b"]


def test_in_place_update_of_an_input_is_written_back():
    e = ext("x += y", 2)
    assert [i.expr for i in e.inputs] == ["x", "y"]
    assert e.outputs == [{"target": "x", "inplace": True}]
    assert [i.mutated for i in e.inputs] == [True, False]


def test_attribute_rebinding_is_an_output():
    e = ext("self.count += 1")
    assert e.outputs == [{"target": "self.count", "inplace": True}]
    assert [i.expr for i in e.inputs] == ["self.count"]


def test_globals_constants_are_copied_computed_ones_are_inputs_functions_come_along():
    e = ext("z = helper(a)")
    assert [i.expr for i in e.inputs] == ["a", "self.p", "table"]
    for needed in ("import math", "EPS = 1e-5", "SCALE = 2.0 * EPS", "def helper(x):"):
        assert needed in e.problem
    assert "table = torch.linspace" not in e.problem  # a computed global is passed in, not re-made


def test_returns_inside_the_selection_make_the_call_a_return():
    e = ext("return z", 1)
    assert e.returns
    r = refused("if z.sum() > 0:", 2)
    assert "returns on some paths only" in r.reason and r.line == 32


def test_whole_function_with_defaults_and_whole_class():
    f = ext("def loss(", 2)
    assert f.kind == "function" and [i.name for i in f.inputs] == ["pred", "target", "weight"]
    assert [i.role for i in f.inputs] == ["tensor", "tensor", "scalar"] and f.guessed == ["pred", "target"]
    assert "return loss(pred=pred, target=target, weight=self.weight)" in f.problem
    c = refused("class Net(", 19)  # constructor argument n has no default and nothing ran the file
    assert "constructor argument 'n'" in c.reason


def test_refusals_name_the_reason_and_the_line():
    assert "calls self.lin" in refused("h = self.lin(x)").reason
    assert "returns nothing" in refused("def nothing(", 2).reason
    cut = refused("h = F.gelu", expr="F.gelu(h + se")
    assert "cuts a token" in cut.reason and cut.line == 25
    assert "neither whole statements" in refused("h = F.gelu", expr="gelu(h + self.w)").reason
    assert "method" in refused("def forward(", 11).reason


def test_guessed_shapes_are_marked_in_the_problem():
    e = ext("h = F.gelu")
    assert e.shapes == "guessed" and e.guessed == ["h", "self.w"]
    assert e.problem.count("# GUESSED: confirm") == 2


def test_plan_keeps_the_assignment_and_passes_the_attribute():
    text = FILE
    e, src = extract(text, "/tmp/net.py", *sel(text, "h = F.gelu"), record_inputs=False)
    cand = e.problem + "\n\nclass ModelNew(Model):\n    pass\n"
    p = plan(text, "/tmp/net.py", e, src, cand, "same-file")
    assert "        h = tritonize_net_forward_lines(h, self.w)\n" in p["text"]
    compile(p["text"], "net.py", "exec")
    m = plan(text, "/tmp/net.py", e, src, cand, "module")
    assert "from net_triton import tritonize_net_forward_lines" in m["text"]
    assert "class _TritonizeNetForwardLines(Model)" in m["module"]["text"]


def test_in_place_call_site_writes_back_with_copy():
    e, src = extract(FILE, "/tmp/net.py", *sel(FILE, "x += y", 2), record_inputs=False)
    p = plan(FILE, "/tmp/net.py", e, src, e.problem + "\nclass ModelNew(Model):\n    pass\n", "same-file")
    assert "        x.copy_(tritonize_net_forward_lines(x, y))\n" in p["text"]


def test_runs_are_titled_by_the_selected_ops_and_where():
    """A try-out found runs named `main_lines` and `__init___lines`: the title names the ops."""
    assert ext("h = F.gelu", expr="F.gelu(h + self.w)").title == "gelu+add in Net.forward"
    assert ext("a, b = h.chunk").title == "chunk in Net.forward"  # only plumbing: named anyway
    assert ext("z = helper(a)").title == "helper+sqrt+sum in Net.forward"
    assert ext("def loss", 2).title == "loss"
