"""Apply cases from the second red-team pass (/work/rta/cases/cNN_*): each either gives the same
program output after Apply or is refused with one line naming the cause and the line."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract
from tritonize.extract.source import apply_lsp_edits, lsp_to_col

from test_apply_redteam import faithful, lines_of, run


def refused(text: str, tmp_path, first: str, count: int = 1, **kw) -> ExtractError:
    with pytest.raises(ExtractError) as info:
        extract(text, str(tmp_path / "p.py"), *lines_of(text, first, count), record_inputs=False, **kw)
    return info.value


# c19d: an emoji inside the selected line. LSP characters are UTF-16 code units (the emoji is two).
EMOJI = textwrap.dedent('''\
    import torch


    def f(x):
        y = torch.tensor(float(len("😀日本"))) + x * 2
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(f(torch.randn(4)))
    ''')


def test_lsp_positions_count_utf16_code_units(tmp_path):
    line = EMOJI.split("\n")[4]
    col = line.index("x * 2")  # code points
    assert lsp_to_col(EMOJI, 4, col + 1) == col  # the emoji before it is 2 units, 1 code point
    path = tmp_path / "prog.py"
    path.write_text(EMOJI, encoding="utf-8")
    before = run(path)
    start, end = (5, col + 1), (5, col + 6)
    e, src = extract(EMOJI, str(path), start, end)
    res = apply_candidate(EMOJI, str(path), start, end, faithful(e.problem), extracted=(e, src))
    assert res["extraction"]["range"]["start"] == {"line": 4, "character": col + 1}
    written = apply_lsp_edits(EMOJI, res["edits"])  # what the CLI / VS Code write
    assert written == res["text"]
    path.write_text(written, encoding="utf-8")
    assert run(path) == before


# c45: the selection runs with gradients on and `h` (output of a Linear) requires grad.
AUTOGRAD = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            h = self.lin(x)
            y = h * 2.0 + 1.0
            return y.pow(2).mean()


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = M()
        loss = m(torch.randn(3, 4))
        loss.backward()
        print(loss.item(), m.lin.weight.grad)
    ''')


def test_apply_refuses_inputs_that_need_gradients(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(AUTOGRAD)
    start, end = lines_of(AUTOGRAD, "y = h * 2.0")
    e, src = extract(AUTOGRAD, str(path), start, end)
    assert e.grad_enabled is True
    with pytest.raises(ExtractError) as info:
        apply_candidate(AUTOGRAD, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False)
    assert "h requires grad" in info.value.reason and "no_grad" in info.value.reason and info.value.line == 12
    # The same code under torch.no_grad() applies.
    text = AUTOGRAD.replace("    loss = m(", "    with torch.no_grad():\n        loss = m(").replace(
        "    loss.backward()\n", "")
    path.write_text(text)
    e, src = extract(text, str(path), start, end)
    assert e.grad_enabled is False
    apply_candidate(text, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False)


# c09: the selection is a `with torch.no_grad():` block; the call would run with gradients on.
NOGRAD_BLOCK = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4))

        def step(self, g):
            with torch.no_grad():
                self.w.mul_(0.9)
                self.w.add_(g)
            return self.w
    ''')


def test_a_with_block_that_changes_grad_mode_is_refused(tmp_path):
    err = refused(NOGRAD_BLOCK, tmp_path, "with torch.no_grad()", 3)
    assert "torch.no_grad" in err.reason and "inside the with block" in err.reason and err.line == 11
