"""Apply of a candidate that declined other sizes in verification (flag shape_restricted, e.g.
Inductor's conv template asserting its weight's sizes): with `exact_sizes` the applied code checks
every tensor input's shape and a call at other sizes stops with one line naming the way out, not
inside the kernel's own assertion."""

from __future__ import annotations

import textwrap

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of
from test_apply_redteam8 import run_raw
from test_apply_whole_class import USER, _candidate

FUNC = textwrap.dedent('''\
    import sys
    import torch


    def scale(x, w):
        y = torch.tanh(x * w)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        w = torch.randn(8)
        print(round(scale(torch.randn(4, 8), w).sum().item(), 4))
        if sys.argv[1:] == ["other"]:
            print(round(scale(torch.randn(6, 8), w).sum().item(), 4))
    ''')


def test_a_function_applied_with_exact_sizes_stops_at_other_sizes_with_one_line(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(FUNC)
    rng = lines_of(FUNC, "y = torch.tanh")
    e, src = extract(FUNC, str(path), *rng)
    res = apply_candidate(FUNC, str(path), *rng, faithful(e.problem), extracted=(e, src), exact_sizes=True)
    before = run_raw(tmp_path / "orig.py", write=FUNC)
    same = run_raw(path, write=res["text"])
    assert same.returncode == 0 and same.stdout == before.stdout, same.stderr[-800:]
    other = run_raw(path, "other")
    assert other.returncode != 0 and other.stdout == before.stdout, other.stdout
    last = other.stderr.strip().splitlines()[-1]
    assert "x has shape [6, 8] in this call; the Triton kernel runs only at the sizes it was verified for (x [4, 8]" \
        in last, last
    assert "undo the Apply" in last


def test_a_class_applied_with_exact_sizes_stops_at_other_sizes_with_one_line(tmp_path):
    path = tmp_path / "user.py"
    text = USER.replace("    x = torch.randn(4, 8)\n", "    x = torch.randn(4, 8)\n"
                        "    if __import__('sys').argv[1:] == ['other']:\n        x = torch.randn(3, 8)\n")
    assert text != USER
    path.write_text(text)
    rng = lines_of(text, "class Gate(nn.Module):", 11)
    e, src = extract(text, str(path), *rng)
    code = _candidate("self.width = width\nself.proj = nn.Linear(d, width)\nself.out = nn.Linear(width, d)\n")
    res = apply_candidate(text, str(path), *rng, code, extracted=(e, src), exact_sizes=True)
    before = run_raw(tmp_path / "orig.py", write=text)
    same = run_raw(path, write=res["text"])
    assert same.returncode == 0 and same.stdout == before.stdout, same.stderr[-800:]
    other = run_raw(path, "other")
    assert other.returncode != 0, other.stdout
    last = other.stderr.strip().splitlines()[-1]
    assert "Gate: x has shape [3, 8] in this call; the Triton kernel runs only at the sizes it was verified for " \
           "(x [4, 8]" in last, last
