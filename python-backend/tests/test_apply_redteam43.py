"""Red team 42's open findings (Apply, session 25), fixed in the follow-up: module-level tensors that
copied code reads were frozen copies in the kernel's module (c07, c08, c11); a helper's conditional
in-place update of the selection's input (c04); unclear refusals (c05, c06). Our programs, in our
words."""

from __future__ import annotations

import textwrap

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of
from test_apply_redteam8 import refused, run_raw
from test_apply_redteam24 import _apply, _stops

# A positional table read by a helper the selection calls: the kernel's module holds its own copy of
# it. The program later trains the table (c07, c08) or scales it in place (after the first calls).
TABLE_LATER = textwrap.dedent('''\
    import sys
    import torch

    POS = torch.linspace(-0.5, 0.1, 32).view(4, 8).clone()


    def rescale_(t, s):
        t.mul_(s)


    def add_pos(x):
        return x + POS[: x.shape[0]]


    def encode(x):
        y = torch.tanh(add_pos(x))
        return y


    if __name__ == "__main__":
        x = torch.linspace(-1, 2, 32).view(4, 8)
        with torch.no_grad():
            print(round(encode(x).sum().item(), 4))
        if sys.argv[1:] == ["train"]:
            POS.requires_grad_(True)
            head = torch.nn.Linear(8, 1)
            loss = head(encode(x)).pow(2).sum()
            loss.backward()
            print(POS.grad is not None)
        if sys.argv[1:] == ["scale"]:
            with torch.no_grad():
                rescale_(POS, 3.0)
                print(round(encode(x).sum().item(), 4))
        if sys.argv[1:] == ["frozen"]:
            POS.requires_grad_(True)
            with torch.no_grad():
                print(round(encode(x).sum().item(), 4))
    ''')


def test_a_copied_table_trained_later_stops(tmp_path):  # c07, c08
    path = _apply(tmp_path, TABLE_LATER, "y = torch.tanh(add_pos(x))", 1)
    _stops(path, "train", "POS", "requires grad")
    _stops(path, "scale", "POS", "changed in place")
    run = run_raw(path, "frozen")  # requires grad, unchanged, under no_grad: the same value, it runs
    assert run.returncode == 0, run.stderr[-800:]


def test_a_copied_table_in_a_module_of_its_own_stops_too(tmp_path):  # c08, --placement module
    path = tmp_path / "prog.py"
    path.write_text(TABLE_LATER)
    rng = lines_of(TABLE_LATER, "y = torch.tanh(add_pos(x))")
    e, src = extract(TABLE_LATER, str(path), *rng)
    res = apply_candidate(TABLE_LATER, str(path), *rng, faithful(e.problem), extracted=(e, src), placement="module")
    with open(res["module"]["path"], "w") as f:
        f.write(res["module"]["text"])
    before = run_raw(tmp_path / "orig.py", write=TABLE_LATER)
    same = run_raw(path, write=res["text"])
    assert same.returncode == 0 and same.stdout == before.stdout, same.stderr[-800:]
    _stops(path, "scale", "POS", "changed in place")
    _stops(path, "train", "POS", "requires grad")


# c11: the table is scaled in place through a helper before the first call.
TABLE_BEFORE = textwrap.dedent('''\
    import sys
    import torch

    POS = torch.linspace(-0.5, 0.1, 32).view(4, 8).clone()


    def rescale_(t, s):
        t.mul_(s)


    def add_pos(x):
        return x + POS[: x.shape[0]]


    def encode(x):
        y = torch.tanh(add_pos(x))
        return y


    if __name__ == "__main__":
        rescale_(POS, float(sys.argv[1]) if sys.argv[1:] else SCALE)
        x = torch.linspace(-1, 2, 32).view(4, 8)
        with torch.no_grad():
            print(round(encode(x).sum().item(), 4))
    ''')


def test_a_copied_table_changed_before_the_recorded_call_is_refused(tmp_path):  # c11
    text = TABLE_BEFORE.replace("SCALE", "4.0")
    reason = refused(tmp_path, text, "y = torch.tanh(add_pos(x))")
    assert "POS" in reason and "line 4" in reason, reason


def test_a_copied_table_changed_before_the_first_call_of_a_later_run_stops(tmp_path):  # c11
    path = _apply(tmp_path, TABLE_BEFORE.replace("SCALE", "1.0"), "y = torch.tanh(add_pos(x))", 1)
    _stops(path, "4.0", "POS", "not the value")
    run = run_raw(path, "1.0")
    assert run.returncode == 0, run.stderr[-800:]


# c04: a helper the selection calls updates its argument in place, only when it holds an inf.
HELPER_SOME_PATHS = textwrap.dedent('''\
    import torch


    def sanitize_(t):
        if not torch.isfinite(t).all():
            t.nan_to_num_(0.0, posinf=1e4, neginf=-1e4)
        return t


    def normalize(h):
        scale = sanitize_(h).abs().amax(dim=-1, keepdim=True)
        return h / scale


    if __name__ == "__main__":
        for step in range(3):
            h = torch.linspace(-5, 5, 32).view(4, 8) * (step + 1)
            if step == 2:
                h[0, 0] = float("inf")
            out = normalize(h)
            print(step, round(out.sum().item(), 4), torch.isfinite(h).all().item())
    ''')


def test_a_helper_that_updates_the_input_on_some_paths_is_refused(tmp_path):  # c04
    reason = refused(tmp_path, HELPER_SOME_PATHS, "scale = sanitize_(h).abs()")
    assert "sanitize_(h)" in reason and "some paths only" in reason and "line 6" in reason, reason


# The same helper updating on every path: the update is the selection's, written back at the call.
HELPER_EVERY_PATH = textwrap.dedent('''\
    import torch


    def clip_(t):
        t.clamp_(min=-1.0, max=1.0)
        return t


    def squash(h):
        y = clip_(h) * 2.0
        return y


    if __name__ == "__main__":
        h = torch.linspace(-3, 3, 32).view(4, 8)
        y = squash(h)
        print(round(y.sum().item(), 4), round(h.abs().max().item(), 4))
    ''')


def test_a_helper_that_updates_the_input_on_every_path_is_written_back(tmp_path):
    _apply(tmp_path, HELPER_EVERY_PATH, "y = clip_(h) * 2.0", 1)


# c05: a torch.distributions draw in the selection was refused only at Apply, blaming the candidate.
DIST_DRAW = textwrap.dedent('''\
    import torch
    from torch.distributions import Normal


    def jitter(x):
        y = x + Normal(0.0, 1e-6).sample(x.shape)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(round(jitter(torch.linspace(-1, 1, 8)).sum().item(), 4))
    ''')


def test_a_torch_distributions_draw_is_refused_at_extract_naming_it(tmp_path):  # c05
    path = tmp_path / "user.py"
    path.write_text(DIST_DRAW)
    import pytest
    from tritonize.extract.errors import ExtractError

    with pytest.raises(ExtractError) as err:
        extract(DIST_DRAW, str(path), *lines_of(DIST_DRAW, "y = x + Normal"))
    assert "draws random numbers" in err.value.reason and "Normal(0.0, 1e-06).sample" in err.value.reason, err.value.reason
