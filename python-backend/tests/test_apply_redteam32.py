"""Red team 32 (Apply, black box, session 23): names the selection assigns that are read other than
by a later name in the text were dropped: a lambda defined before the selection (a closure, c03), a
`global` or `nonlocal` declaration outside it (c05, c07), and locals() after it (c08)."""

from __future__ import annotations

import textwrap

from test_apply_redteam24 import _apply, _stops
from test_apply_redteam8 import refused, run_raw

SHARED = textwrap.dedent('''\
    import torch

    TOTAL = torch.zeros(3)


    def step(x, w):
        global TOTAL
        shown = lambda: float(scaled.sum())
        scaled = torch.tanh(x * w)
        TOTAL = scaled + 1.0
        return shown()


    def outer(x):
        acc = torch.zeros(3)

        def add(v):
            nonlocal acc
            acc = acc + torch.relu(v)
            return v

        add(x)
        add(-x)
        return acc


    if __name__ == "__main__":
        x = torch.linspace(-1, 1, 3)
        print(round(step(x, torch.full((3,), 2.0)), 5), [round(v, 5) for v in TOTAL.tolist()])
        print([round(v, 5) for v in outer(x).tolist()])
    ''')


def test_a_closure_and_a_global_read_what_the_selection_assigns(tmp_path):  # c03, c05
    path = _apply(tmp_path, SHARED, "scaled = torch.tanh", 2)  # the same output, TOTAL included
    assert "TOTAL" in path.read_text()


def test_a_nonlocal_assigned_in_the_selection_is_written_back(tmp_path):  # c07
    _apply(tmp_path, SHARED, "acc = acc + torch.relu(v)", 1)


def test_locals_after_the_selection_is_refused(tmp_path):  # c08
    text = textwrap.dedent('''\
        import torch


        def block(x):
            pre = torch.sigmoid(x) * 2.0
            out = pre + 1.0
            return out, {k: v for k, v in locals().items() if k == "pre"}


        if __name__ == "__main__":
            out, seen = block(torch.ones(3))
            print(out.sum().item(), sorted(seen))
        ''')
    reason = refused(tmp_path, text, "pre = torch.sigmoid", 2)
    assert "calls locals()" in reason, reason
    assert run_raw(tmp_path / "user.py").returncode == 0


EFFECTS = textwrap.dedent('''\
    import pprint
    from pathlib import Path

    import torch


    def norm(x, log):
        torch.set_grad_enabled(False)
        pprint.pprint({"n": x.numel()})
        Path(log).write_text("seen")
        y = x / x.norm()
        return y


    if __name__ == "__main__":
        print(norm(torch.arange(1.0, 5.0), "log.txt").sum().item(), torch.is_grad_enabled())
    ''')


def test_a_call_made_for_its_effect_is_refused_whatever_it_is(tmp_path):  # c27, c29, c30
    for line in ("torch.set_grad_enabled(False)", "pprint.pprint(", "Path(log).write_text("):
        reason = refused(tmp_path, EFFECTS, line)
        assert "as a statement" in reason and line.split("(")[0] in reason, reason


def test_in_place_updates_as_statements_still_apply(tmp_path):
    text = textwrap.dedent('''\
        import torch


        def bump(x, b):
            x.add_(b)
            torch.mul(x, 2.0, out=x)
            return x


        if __name__ == "__main__":
            x = torch.linspace(-2, 2, 6)
            print(bump(x, torch.ones(6)).tolist(), x.tolist())
        ''')
    _apply(tmp_path, text, "x.add_(b)", 2)


def test_a_metadata_change_in_place_is_refused(tmp_path):  # c01
    text = textwrap.dedent('''\
        import torch


        def flip(x):
            x.t_()
            return x * 2


        if __name__ == "__main__":
            base = torch.arange(6.0).reshape(2, 3)
            print(flip(base[:, :]).shape, base.tolist())
        ''')
    assert "shape or strides in place (.t_(" in refused(tmp_path, text, "x.t_()", 2)


def test_a_star_import_is_refused(tmp_path):  # c11
    text = textwrap.dedent('''\
        import torch
        from numpy import *


        def act(x):
            return torch.tanh(x) * 2


        if __name__ == "__main__":
            print(act(torch.ones(3)).sum().item())
        ''')
    assert "imports * from numpy" in refused(tmp_path, text, "return torch.tanh(x)", 1)


def test_a_whole_class_whose_forward_sets_an_attribute_is_refused(tmp_path):  # c31
    text = textwrap.dedent('''\
        import torch
        import torch.nn as nn


        class Router(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.w = nn.Parameter(torch.ones(n))

            def forward(self, x):
                y = torch.softmax(x * self.w, dim=-1)
                self.aux_loss = (y * y).sum()
                return y


        if __name__ == "__main__":
            r = Router(4)
            with torch.no_grad():
                y = r(torch.randn(2, 4))
            print(round(float(r.aux_loss), 4))
        ''')
    assert "sets self.aux_loss" in refused(tmp_path, text, "class Router", 11)


def test_a_tensor_subclass_input_stops_at_the_call(tmp_path):  # c22
    text = textwrap.dedent('''\
        import sys
        import torch

        CALLS = []


        class Logged(torch.Tensor):
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                CALLS.append(getattr(func, "__name__", "?"))
                return super().__torch_function__(func, types, args, kwargs or {})


        def act(x):
            return torch.tanh(x) * 2


        if __name__ == "__main__":
            x = torch.ones(3)
            print(act(x).sum().item())
            if sys.argv[1:] == ["logged"]:
                print(type(act(x.as_subclass(Logged))).__name__, len(CALLS))
        ''')
    _stops(_apply(tmp_path, text, "return torch.tanh(x)", 1), "logged", "x is a Logged (a tensor subclass)")


BLOCK = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn
    from torch.func import functional_call
    import torch.autograd.forward_ad as fwad


    class Block(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = nn.Linear(n, n)
            self.act = nn.GELU()

        def forward(self, x):
            return self.act(self.fc(x))


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Block(8)
        x = torch.randn(2, 8)
        with torch.no_grad():
            print(round(m(x).sum().item(), 4))
            if sys.argv[1:] == ["hook"]:
                m.fc.register_forward_hook(lambda mod, a, out: out * 0)
                print(m(x).sum().item())
            if sys.argv[1:] == ["swap"]:
                m.act = nn.ReLU()
                print(m(x).sum().item())
        if sys.argv[1:] == ["dual"]:
            params = {k: v.detach() for k, v in m.named_parameters()}
            with fwad.dual_level():
                duals = {k: fwad.make_dual(v, torch.ones_like(v)) for k, v in params.items()}
                print(fwad.unpack_dual(functional_call(m, duals, (x,))).tangent)
    ''')


def test_a_replaced_class_stops_at_hooks_swaps_and_dual_parameters(tmp_path):  # c13, c14, c15
    path = _apply(tmp_path, BLOCK, "class Block(nn.Module):", 9)
    _stops(path, "hook", "submodule fc has hooks")
    _stops(path, "swap", "submodule act was replaced")
    _stops(path, "dual", "forward-mode tangents")


def test_a_window_function_under_another_default_dtype_stops(tmp_path):  # c16
    text = textwrap.dedent('''\
        import sys
        import torch


        def taper(frames):
            return frames * torch.hann_window(frames.shape[-1])


        if __name__ == "__main__":
            x = torch.ones(2, 8)
            print(round(taper(x).sum().item(), 5))
            if sys.argv[1:] == ["f64"]:
                torch.set_default_dtype(torch.float64)
                print(taper(x).dtype)
        ''')
    _stops(_apply(tmp_path, text, "return frames * torch.hann_window", 1), "f64", "the default dtype is torch.float64")
