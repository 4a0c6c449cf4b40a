"""Red team 24 (Apply, black box, session 21): the whole-class guard checked positional arguments
only (keywords, None, rank and broadcast went through: c03, c10, c13), and `--exact-sizes` looked at
tensor shapes only (an integer argument or a constructor's size went through: c06, c02). Each
program here is applied once and then run with a later call the recording never saw (argv picks
it): the applied code must raise one clear line, never return something else."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of
from test_apply_redteam8 import run_raw

CLASS = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class AddAct(nn.Module):
        def forward(self, x, r, mask=None):
            if mask is not None:
                x = x.masked_fill(mask, 0.0)
            return torch.relu(x + r) * 2.0


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = AddAct()
        x, r = torch.randn(4, 8), torch.randn(8)
        with torch.no_grad():
            print(round(m(x, r, x > 1.0).sum().item(), 4))
            later = sys.argv[1:]
            if later == ["keyword"]:
                print(m(x=x.double(), r=r.double(), mask=x > 1.0).dtype)
            if later == ["broadcast"]:
                print(round(m(x, torch.randn(3, 4, 8), x > 1.0).sum().item(), 4))
            if later == ["none"]:
                print(round(m(x, r).sum().item(), 4))
    ''')


def _apply(tmp_path, text: str, first: str, count: int, **kw):
    path = tmp_path / "prog.py"
    path.write_text(text)
    rng = lines_of(text, first, count)
    e, src = extract(text, str(path), *rng)
    res = apply_candidate(text, str(path), *rng, faithful(e.problem), extracted=(e, src), **kw)
    before = run_raw(tmp_path / "orig.py", write=text)
    same = run_raw(path, write=res["text"])
    assert same.returncode == 0 and same.stdout == before.stdout, same.stderr[-800:]
    return path


def _stops(path, later: str, *needles: str) -> None:
    run = run_raw(path, later)
    assert run.returncode != 0, run.stdout
    last = run.stderr.strip().splitlines()[-1]
    # The guard's own stop (a BaseException); its module's name first when the kernel has a module of its own.
    assert last.split(": ", 1)[0].rsplit(".", 1)[-1] == "_TritonizeGuardStop" and all(n in last for n in needles), last


def test_the_whole_class_guard_binds_keywords_and_checks_dtype_broadcast_and_none(tmp_path):
    path = _apply(tmp_path, CLASS, "class AddAct(nn.Module):", 5)
    _stops(path, "keyword", "x is torch.float64 in this call")  # c03: by keyword
    _stops(path, "broadcast", "broadcast")  # c10: another rank
    _stops(path, "none", "mask is None in this call")  # c13: the recorded mask left out


EXACT = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class Proj(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.fc = nn.Linear(n_in, n_out)

        def forward(self, x):
            return torch.relu(self.fc(x))


    def pool(x, k):
        y = x.unfold(-1, k, k).mean(-1)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(4, 8)
        with torch.no_grad():
            print(Proj(8, 16)(x).shape, pool(x, 2).shape)
            if sys.argv[1:] == ["wider"]:
                print(Proj(8, 32)(x).shape)
            if sys.argv[1:] == ["k4"]:
                print(pool(x, 4).shape)
    ''')


@pytest.mark.parametrize("first,count,later,needle", [
    ("class Proj(nn.Module):", 7, "wider", "n_out is 32 here"),  # c02: a constructor's size
    ("y = x.unfold", 1, "k4", "k is 4 in this call"),  # c06: an integer argument
], ids=["constructor", "integer_argument"])
def test_exact_sizes_cover_integer_arguments_and_constructor_sizes(tmp_path, first, count, later, needle):
    path = _apply(tmp_path, EXACT, first, count, exact_sizes=True)
    _stops(path, later, needle)


DEFAULT_DTYPE = textwrap.dedent('''\
    import sys
    import torch


    def ramp(x):
        y = x * torch.linspace(0, 1, 8)
        return y


    if __name__ == "__main__":
        x = torch.ones(4, 8)
        print(ramp(x).dtype)
        if sys.argv[1:] == ["float64"]:
            torch.set_default_dtype(torch.float64)
            print(ramp(x).dtype)  # the original: float64 (linspace follows the default)
    ''')


def test_code_that_makes_tensors_in_the_default_dtype_stops_under_another_default(tmp_path):
    path = _apply(tmp_path, DEFAULT_DTYPE, "y = x * torch.linspace", 1)  # c12
    _stops(path, "float64", "the default dtype is torch.float64 in this call")


# Red team 26 (black box, on the guards above).
MODE = textwrap.dedent('''\
    import inspect
    import sys
    import torch
    import torch.nn as nn


    class Pool(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.w = nn.Parameter(torch.ones(n) * 0.5)

        def forward(self, x, reduction="mean"):
            y = x * self.w
            if reduction == "mean":
                return y.mean(-1)
            return y.sum(-1)


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Pool(8)
        x = torch.randn(4, 8)
        with torch.no_grad():
            print([round(v, 4) for v in m(x).tolist()], list(inspect.signature(m.forward).parameters))
            if sys.argv[1:] == ["sum"]:
                print(m(x, reduction="sum").tolist())
    ''')


def test_a_mode_passed_to_a_replaced_class_is_held_and_its_signature_shows(tmp_path):
    path = _apply(tmp_path, MODE, "class Pool(nn.Module):", 10)  # the same output, forward's signature included
    _stops(path, "sum", "reduction is 'sum' in this call")  # c16: the recorded 'mean' path only


def test_a_candidate_whose_forward_renames_its_arguments_is_refused(tmp_path):
    from tritonize.extract.errors import ExtractError

    path = tmp_path / "prog.py"
    path.write_text(MODE)
    rng = lines_of(MODE, "class Pool(nn.Module):", 10)
    e, src = extract(MODE, str(path), *rng)
    cand = e.problem + ("\n\nclass ModelNew(Model):\n    def forward(self, inp, reduction='mean'):\n"
                        "        return super().forward(inp, reduction)\n")
    with pytest.raises(ExtractError) as err:  # c03: m(x=...) would fail, a default would change
        apply_candidate(MODE, str(path), *rng, cand, extracted=(e, src))
    assert "forward takes" in str(err.value) and "Keep the original's forward arguments" in str(err.value)


STEPS = textwrap.dedent('''\
    import torch


    def decay(x, step):
        y = x * 0.9 ** step
        return y


    if __name__ == "__main__":
        x = torch.ones(4, 8)
        for step in range(3):
            print(round(decay(x, step).sum().item(), 4))
    ''')


def test_an_integer_that_varies_in_the_recorded_run_is_refused_at_exact_sizes_only(tmp_path):
    from tritonize.extract.errors import ExtractError

    _apply(tmp_path, STEPS, "y = x * 0.9", 1)  # a step count: arithmetic, applied
    path = tmp_path / "prog.py"
    path.write_text(STEPS)
    rng = lines_of(STEPS, "y = x * 0.9", 1)
    e, src = extract(STEPS, str(path), *rng)
    with pytest.raises(ExtractError) as err:  # red team 26 c06: held at 0, the program's second call died
        apply_candidate(STEPS, str(path), *rng, faithful(e.problem), extracted=(e, src), exact_sizes=True)
    assert "step is 1 in call 2" in str(err.value) and "holds step at its recorded value" in str(err.value)
