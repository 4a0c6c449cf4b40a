"""Apply cases from the third red-team pass (/work/rt7/apply/cases/NN_*): each either gives the same
program output after Apply or is refused with one line naming the cause and the line."""

from __future__ import annotations

import difflib
import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of, run


def refused(text: str, tmp_path, first: str, count: int = 1, **kw) -> ExtractError:
    with pytest.raises(ExtractError) as info:
        extract(text, str(tmp_path / "p.py"), *lines_of(text, first, count), record_inputs=False, **kw)
    return info.value


# 42 / 71: the CLI wrote the whole file back through text mode: CRLF became LF and a BOM was dropped.
CLI_FILE = textwrap.dedent('''\
    import torch


    def f(x):
        h = x * 2 + 1
        y = torch.relu(h)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(f(torch.randn(4)))
    ''')


@pytest.mark.parametrize("bom,newline", [(b"", "\r\n"), (b"\xef\xbb\xbf", "\n"), (b"\xef\xbb\xbf", "mixed")])
def test_cli_apply_keeps_line_endings_and_bom(tmp_path, bom, newline):
    from tritonize.extract.__main__ import main
    lines = CLI_FILE.split("\n")
    if newline == "mixed":  # every other line CRLF
        body = "".join(ln + ("\r\n" if k % 2 else "\n") for k, ln in enumerate(lines[:-1]))
    else:
        body = newline.join(lines)
    path = tmp_path / "prog.py"
    path.write_bytes(bom + body.encode())
    before = run(path)
    orig = path.read_bytes()
    e, _ = extract(CLI_FILE, str(path), *lines_of(CLI_FILE, "h = x * 2"), record_inputs=False)
    cand = tmp_path / "cand.py"
    cand.write_text(faithful(e.problem))
    assert main(["apply", str(path), "--lines", "5-5", "--candidate", str(cand)]) == 0
    new = path.read_bytes()
    assert new.startswith(bom) and (bom or not new.startswith(b"\xef\xbb\xbf"))
    # Apart from inserted text, only the selected statement changed: every other byte is the original.
    o_lines = orig.splitlines(True)
    sel_start = sum(len(ln) for ln in o_lines[:4])
    sel_end = sel_start + len(o_lines[4].rstrip(b"\r\n"))
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, orig, new, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert") or sel_start <= i1 <= i2 <= sel_end, (tag, orig[i1:i2])
    assert new.splitlines(True)[-7:] == o_lines[-7:]
    if newline == "\r\n":
        assert new.count(b"\n") == new.count(b"\r\n")
    assert run(path) == before
