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
