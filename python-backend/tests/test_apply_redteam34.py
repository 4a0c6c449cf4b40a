"""Red team 34 (Apply, black box, session 24): applies that exited 0 and changed the program. A module
global named like a builtin the inserted code calls (c01), a process switch whose result is kept
(c12), autograd state changed in place (c13), `w.data` updated in place (c14), random numbers drawn
by the candidate's constructor at the first call (c16), a non-contiguous result (c03), and calls the
guard let through: a subclass from a module named torch_*, the user's own modes, global module
hooks, meta tensors, complex numbers, default-dtype results of atan2 (c26, c04, c22, c05, c09, c19).
Our programs, in our words; each applied program is run again with a later call (argv) it never saw."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of
from test_apply_redteam24 import _apply, _stops
from test_apply_redteam8 import refused, run_raw


def _apply_code(tmp_path, text: str, first: str, count: int, extra: str, **kw):
    """Apply a candidate that is the problem's own Model with `extra` (a ModelNew body) instead."""
    path = tmp_path / "prog.py"
    path.write_text(text)
    rng = lines_of(text, first, count)
    e, src = extract(text, str(path), *rng)
    code = e.problem + "\n\nclass ModelNew(Model):\n" + textwrap.indent(textwrap.dedent(extra), "    ")
    return path, apply_candidate(text, str(path), *rng, code, extracted=(e, src), **kw)


SHADOW = textwrap.dedent('''\
    import torch


    def act(x):
        return torch.relu(x) * 2.0


    if __name__ == "__main__":
        for type in ("a", "b"):
            print(type, round(act(torch.linspace(-1, 1, 5)).sum().item(), 4))
    ''')


def test_a_module_global_named_like_a_builtin_refuses_same_file_placement(tmp_path):  # c01
    reason = refused(tmp_path, SHADOW, "return torch.relu(x) * 2.0", 1)
    assert "'type'" in reason and "--placement module" in reason, reason
    path = tmp_path / "prog.py"
    path.write_text(SHADOW)
    rng = lines_of(SHADOW, "return torch.relu(x) * 2.0", 1)
    e, src = extract(SHADOW, str(path), *rng)
    res = apply_candidate(SHADOW, str(path), *rng, faithful(e.problem), extracted=(e, src), placement="module")
    with open(res["module"]["path"], "w") as f:
        f.write(res["module"]["text"])
    before = run_raw(tmp_path / "orig.py", write=SHADOW)
    after = run_raw(path, write=res["text"])
    assert after.returncode == 0 and after.stdout == before.stdout, after.stderr[-500:]


SWITCHES = textwrap.dedent('''\
    import torch


    def step(x, w):
        prev = torch.set_grad_enabled(False)
        y = torch.tanh(x * w)
        w.requires_grad_(False)
        return y, prev


    if __name__ == "__main__":
        w = torch.ones(3, requires_grad=True)
        print(step(torch.ones(3), w)[0].sum().item(), torch.is_grad_enabled(), w.requires_grad)
    ''')


def test_a_kept_process_switch_and_an_autograd_change_in_place_are_refused(tmp_path):  # c12, c13
    reason = refused(tmp_path, SWITCHES, "prev = torch.set_grad_enabled(False)", 2)
    assert "set_grad_enabled" in reason and "process-wide" in reason, reason
    reason = refused(tmp_path, SWITCHES, "y = torch.tanh(x * w)", 2)
    assert "requires_grad_" in reason and "autograd state" in reason, reason


DATA_UPDATE = textwrap.dedent('''\
    import torch


    def decay(w, g):
        w.data.mul_(0.9)
        out = torch.sigmoid(g) + 1.0
        return out


    if __name__ == "__main__":
        w = torch.ones(4)
        out = decay(w, torch.linspace(-1, 1, 4))
        print([round(v, 4) for v in w.tolist()], round(out.sum().item(), 4))
    ''')


def test_an_update_through_data_is_refused(tmp_path):  # c14; red team 36 c04, c04b
    # Session 24 first wrote it back as an output (w.copy_): autograd then saw an update it never saw
    # in the original (a version bump, a leaf that requires grad), and backward raised.
    reason = refused(tmp_path, DATA_UPDATE, "w.data.mul_(0.9)", 2)
    assert "through .data or .detach()" in reason, reason


NOISE = textwrap.dedent('''\
    import torch


    def act(x):
        return torch.relu(x) + 1.0


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(round(act(torch.randn(6)).sum().item(), 4), round(torch.randn(3).sum().item(), 4))
    ''')


def test_random_numbers_drawn_by_the_candidate_constructor_leave_the_program_stream(tmp_path):  # c16
    # Session 24 built the module under fork_rng; red team 38 c11 showed that rewinds other threads'
    # draws, so such a candidate is refused now (the program's stream would move at the first call).
    with pytest.raises(ExtractError) as err:
        _apply_code(tmp_path, NOISE, "return torch.relu(x) + 1.0", 1, '''\
            def __init__(self, *args):
                super().__init__(*args)
                self.tag = int(torch.randint(0, 1000, (1,)))
            ''')
    assert "draws random numbers" in err.value.reason and "deterministic to build" in err.value.reason, \
        err.value.reason
    # A candidate that draws nothing applies, and the program's stream is the same.
    path, res = _apply_code(tmp_path, NOISE, "return torch.relu(x) + 1.0", 1, '''\
        def __init__(self, *args):
            super().__init__(*args)
            self.tag = 7
        ''')
    before = run_raw(tmp_path / "orig.py", write=NOISE)
    after = run_raw(path, write=res["text"])
    assert after.returncode == 0 and after.stdout == before.stdout, (before.stdout, after.stdout, after.stderr[-500:])


def test_a_result_in_another_layout_is_refused(tmp_path):  # c03
    with pytest.raises(ExtractError) as err:
        _apply_code(tmp_path, NOISE.replace("torch.randn(6)", "torch.randn(2, 3)"), "return torch.relu(x) + 1.0", 1,
                    '''\
            def forward(self, *args):
                return super().forward(*args).t().contiguous().t()
            ''')
    assert "non-contiguous" in err.value.reason, err.value.reason


LATER = textwrap.dedent('''\
    import sys
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    from torch_helpers import Scaled


    class Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))


    def gate(x, s):
        return torch.sigmoid(x) * s


    if __name__ == "__main__":
        x = torch.linspace(-2, 2, 8)
        print(round(gate(x, 0.5).sum().item(), 4))
        later = sys.argv[1:]
        if later == ["subclass"]:
            print(gate(Scaled(x), 0.5))
        if later == ["mode"]:
            with Count():
                print(gate(x, 0.5).sum())
        if later == ["meta"]:
            print(gate(x.to("meta"), 0.5).shape)
        if later == ["complex"]:
            print(gate(x, 0.5 + 1j).dtype)
    ''')

HELPERS = textwrap.dedent('''\
    import torch


    class Scaled(torch.Tensor):
        pass
    ''')


def test_the_guard_stops_later_calls_it_was_not_verified_for(tmp_path):  # c26, c04b, c05, c09
    (tmp_path / "torch_helpers.py").write_text(HELPERS)
    path = _apply(tmp_path, LATER, "return torch.sigmoid(x) * s", 1)
    _stops(path, "subclass", "Scaled (a tensor subclass)")
    _stops(path, "mode", "Count (a torch function/dispatch mode)")
    _stops(path, "meta", "meta device")
    _stops(path, "complex", "complex number")


def test_a_subclass_in_the_recorded_call_is_refused_at_apply(tmp_path):  # c26b
    (tmp_path / "torch_helpers.py").write_text(HELPERS)
    text = LATER.replace("print(round(gate(x, 0.5).sum().item(), 4))", "print(gate(Scaled(x), 0.5).sum())")
    reason = refused(tmp_path, text, "return torch.sigmoid(x) * s", 1)
    assert "tensor subclass of your own" in reason, reason


HOOKED = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return torch.relu(self.fc(x))


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Block()
        x = torch.randn(2, 4)
        with torch.no_grad():
            print(round(m(x).sum().item(), 4))
            if sys.argv[1:] == ["hook"]:
                seen = []
                nn.modules.module.register_module_forward_hook(lambda mod, i, o: seen.append(type(mod).__name__))
                m(x)
                print(seen)
    ''')


def test_a_replaced_class_stops_under_global_module_hooks(tmp_path):  # c22
    path = _apply(tmp_path, HOOKED, "class Block(nn.Module):", 7)
    _stops(path, "hook", "global module hooks")


ATAN = textwrap.dedent('''\
    import sys
    import torch


    def angle(a, b):
        return torch.atan2(a, b)


    if __name__ == "__main__":
        a, b = torch.arange(1, 5), torch.arange(2, 6)
        print(angle(a, b).dtype)
        if sys.argv[1:] == ["float64"]:
            torch.set_default_dtype(torch.float64)
            print(angle(a, b).dtype)
    ''')


def test_integer_atan2_is_guarded_for_the_default_dtype(tmp_path):  # c19
    path = _apply(tmp_path, ATAN, "return torch.atan2(a, b)", 1)
    _stops(path, "float64", "default dtype")


ANNOTATED = textwrap.dedent('''\
    import typing
    import torch

    BASE = torch.linspace(-1, 1, 6)
    TABLE: torch.Tensor = torch.relu(BASE) * 3.0

    if __name__ == "__main__":
        print(round(TABLE.sum().item(), 4), sorted(typing.get_type_hints(__import__(__name__))))
    ''')


def test_a_module_annotation_stays(tmp_path):  # c28
    path = _apply(tmp_path, ANNOTATED, "TABLE: torch.Tensor", 1)
    assert "TABLE: torch.Tensor\n" in path.read_text()


DEFAULT_ARG = textwrap.dedent('''\
    import torch


    def scale(x, w=torch.linspace(0.0, 1.0, 8) * 2.0):
        return x * w


    if __name__ == "__main__":
        print(scale(torch.ones(2, 8)).sum().item())
    ''')


def test_a_default_argument_value_is_refused_as_such(tmp_path):  # c24
    path = tmp_path / "user.py"
    path.write_text(DEFAULT_ARG)
    line = DEFAULT_ARG.splitlines()[3]
    a = line.index("torch.linspace")
    with pytest.raises(ExtractError) as err:
        extract(DEFAULT_ARG, str(path), (4, a + 1), (4, len(line) - 1))
    assert "a default argument value, evaluated once" in err.value.reason, err.value.reason
