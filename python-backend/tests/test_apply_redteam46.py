"""Red team 46 (Apply, black box): an import in the selection whose name code after it reads (c03,
c14); a copied helper wrapped by the file's own decorator (c08); an input updated in place that is
the module-level tensor a copied helper reads (c17); the behaviour check's input order (c19, c20).
Our programs, in our words."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import lines_of
from test_apply_redteam8 import refused
from test_apply_redteam24 import _apply, _stops


def _extract_refused(tmp_path, text: str, first: str, count: int = 1) -> str:
    path = tmp_path / "user.py"
    path.write_text(text)
    with pytest.raises(ExtractError) as err:
        extract(text, str(path), *lines_of(text, first, count), record_inputs=False)
    return err.value.reason


# c03: the import inside the function shadows the module's own approximate gelu for the rest of the
# function; after Apply the later call found the module's gelu.
LOCAL_IMPORT = textwrap.dedent('''\
    import torch


    def gelu(t):
        return t * torch.sigmoid(1.702 * t)


    def block(x, b):
        h = x + b
        from torch.nn.functional import gelu
        h = h * 2.0
        return gelu(h)
    ''')

# c14: the same at module level; a function defined after the selection calls gelu.
MODULE_IMPORT = textwrap.dedent('''\
    import torch


    def gelu(t):
        return t * torch.sigmoid(1.702 * t)


    x0 = torch.ones(4, 8)
    from torch.nn.functional import gelu
    y0 = x0 * 2.0


    def head(t):
        return gelu(t) + 1.0
    ''')


@pytest.mark.parametrize("text", [LOCAL_IMPORT, MODULE_IMPORT], ids=["function", "module"])
def test_an_import_in_the_selection_read_after_it_is_refused(tmp_path, text):  # c03, c14
    reason = _extract_refused(tmp_path, text, "from torch.nn.functional import gelu", 2)
    line = text.splitlines().index(next(ln for ln in text.splitlines() if "return gelu" in ln)) + 1
    assert "`from torch.nn.functional import gelu` (line" in reason and f"which line {line} reads" in reason, reason
    assert "Move the import out of the selection" in reason, reason


def test_an_import_used_only_inside_the_selection_is_extracted_with_it(tmp_path):
    text = LOCAL_IMPORT.replace("from torch.nn.functional import gelu", "import math").replace(
        "h = h * 2.0", "h = h * math.pi")
    path = tmp_path / "user.py"
    path.write_text(text)
    e, _ = extract(text, str(path), *lines_of(text, "import math", 2), record_inputs=False)
    assert "import math\n        h = h * math.pi" in e.problem, e.problem


# c08: a helper wrapped by the program's own decorator; the wrapper counts (or prints) at every call,
# which the kernel in the helper's place would not do.
COUNTED = textwrap.dedent('''\
    import functools
    import torch

    STATS = {"calls": 0}


    def counted(fn):
        @functools.wraps(fn)
        def wrapper(t):
            STATS["calls"] += 1
            return fn(t)
        return wrapper


    @counted
    def act(t):
        return torch.tanh(t) * 2.0


    def block(x, b):
        h = x + b
        y = act(h) + 1.0
        return y
    ''')


@pytest.mark.parametrize("wrapper", ['STATS["calls"] += 1', 'print("calling", fn.__name__)'])
def test_a_helper_wrapped_by_the_programs_own_decorator_is_refused(tmp_path, wrapper):  # c08, b, c
    reason = _extract_refused(tmp_path, COUNTED.replace('STATS["calls"] += 1', wrapper), "y = act(h) + 1.0")
    assert "uses act (line 16)" in reason and "own decorator @counted (line 15)" in reason, reason
    assert "Remove the decorator from act" in reason, reason


# c17: the caller passes the module-level table itself as the input the selection updates in place;
# the helper reads the table: in the original it sees the update, in the kernel's module its own copy.
TABLE_INPUT = textwrap.dedent('''\
    import sys
    import torch

    TABLE = torch.linspace(0.0, 1.0, 32).reshape(4, 8)


    def half_table():
        return TABLE * 0.5


    def block(h):
        h.mul_(2.0)
        y = h + half_table()
        return y


    if __name__ == "__main__":
        with torch.no_grad():
            print(block(CALL).sum().item())
            if sys.argv[1:] == ["table"]:
                print(block(TABLE).sum().item())
    ''')


def test_an_input_updated_in_place_that_is_a_table_copied_code_reads_is_refused(tmp_path):  # c17
    reason = refused(tmp_path, TABLE_INPUT.replace("CALL", "TABLE"), "h.mul_(2.0)", 2)
    assert reason.startswith("h is the module-level tensor TABLE (line 4) in the recorded call"), reason
    assert "Pass a separate tensor (e.g. TABLE.clone())" in reason, reason


def test_a_later_call_passing_the_table_as_the_updated_input_stops(tmp_path):  # c17, after Apply
    path = _apply(tmp_path, TABLE_INPUT.replace("CALL", "torch.ones(4, 8)"), "h.mul_(2.0)", 2)
    _stops(path, "table", "h shares memory with TABLE", "updates an input in place")


def test_a_global_read_by_the_selection_and_by_a_helper_it_copies_is_refused(tmp_path):  # c17 b
    text = TABLE_INPUT.replace("CALL", "torch.ones(4, 8)").replace("def block(h):\n    h.mul_(2.0)\n    y = h + half_table()",
                               "def block(x):\n    TABLE.mul_(2.0)\n    y = x + half_table()")
    reason = _extract_refused(tmp_path, text, "TABLE.mul_(2.0)", 2)
    assert "reads the module global 'TABLE' (line 4) and so does a function it calls" in reason, reason
    assert "Pass 'TABLE' to that function as an argument" in reason, reason


# c20: the input updated in place (h) is not the problem's first input: the applied code's problem
# listed it first, and the behaviour check handed it the original's inputs (b, h) as (h, b).
SECOND_UPDATED = textwrap.dedent('''\
    import torch


    def block(h, b):
        y = b * 2.0
        h.sub_(y)
        return h


    if __name__ == "__main__":
        torch.manual_seed(0)
        b = torch.randn(8)
        h = torch.randn(4, 8)
        with torch.no_grad():
            print(block(h, b).sum().item())
    ''')


def test_the_behaviour_check_passes_the_inputs_in_the_problems_order(tmp_path):  # c20, c19 b
    from tritonize.extract.apply import apply_candidate

    from test_apply_redteam import faithful

    path = tmp_path / "user.py"
    path.write_text(SECOND_UPDATED)
    rng = lines_of(SECOND_UPDATED, "y = b * 2.0", 2)
    e, src = extract(SECOND_UPDATED, str(path), *rng)
    assert "def forward(self, b, h):" in e.problem, e.problem
    res = apply_candidate(SECOND_UPDATED, str(path), *rng, faithful(e.problem), extracted=(e, src))
    assert "h.copy_(tritonize_block_lines(b, h))" in res["text"]
    assert "def forward(self, b, h):" in res["appliedProblem"], res["appliedProblem"]


def test_an_input_the_selection_resizes_is_refused_as_such(tmp_path):  # c19
    text = SECOND_UPDATED.replace("y = b * 2.0\n    h.sub_(y)", "torch.mm(b, h, out=out)\n    out.relu_()").replace(
        "def block(h, b):", "def block(b, h, out):").replace("return h", "return out").replace(
        "block(h, b)", "block(b.view(1, 8), h.t(), torch.empty(0))")
    reason = refused(tmp_path, text, "torch.mm(b, h, out=out)", 2)
    assert reason.startswith("the selected code resizes out (shape [0] in the recorded call, [1, 4] after it"), reason


def test_a_name_a_local_import_binds_before_the_selection_is_refused_as_such(tmp_path):  # c02
    text = textwrap.dedent('''\
        import torch


        def act(t):
            return torch.relu(t)


        def block(x, w):
            from torch import tanh as act
            h = x @ w
            y = act(h) * 2.0
            return y
        ''')
    reason = _extract_refused(tmp_path, text, "y = act(h) * 2.0")  # was "read before it is assigned"
    assert reason.startswith("the selection reads 'act', which `from torch import tanh as act` (line 9) imports "
                             "inside block"), reason


def test_the_candidates_import_of_a_name_the_program_rebinds_is_re_aliased(tmp_path):  # c15
    from tritonize.extract.apply import apply_candidate

    text = textwrap.dedent('''\
        import torch
        import torch.nn.functional as F


        def block(h):
            y = h * torch.sigmoid(h)
            return y


        if __name__ == "__main__":
            B, T, F = 4, 8, 16
            print(block(torch.randn(B * T, F)).sum().item())
        ''')
    cand = ("import torch\nimport torch.nn.functional as F\n\n\nclass ModelNew(torch.nn.Module):\n"
            "    def forward(self, h):\n        return F.silu(h)\n")
    path = tmp_path / "user.py"
    path.write_text(text)
    rng = lines_of(text, "y = h * torch.sigmoid(h)")
    e, src = extract(text, str(path), *rng, record_inputs=False)
    res = apply_candidate(text, str(path), *rng, cand, extracted=(e, src), check=False, confirmed_shapes=True)
    assert "import torch.nn.functional as _tz_F\n" in res["text"] and "_tz_F.silu(h)" in res["text"], res["text"]
