"""Red team 28 (Apply, black box, session 22). A replaced class lost what wrapped its forward (a
@torch.no_grad() decorator: the recorded call itself then failed the gradient guard; a counting
decorator: its count was lost, c01, c02), a forward wholly under `with torch.no_grad():` was refused
as if training through it (c21), and a constructor's mode ran the kernel verified for another one
(Act("relu") computing GELU, c17). Each program is applied once and run again, then with a later
call the recording never saw (argv picks it)."""

from __future__ import annotations

import textwrap

from test_apply_redteam24 import _apply, _stops
from test_apply_redteam8 import run_raw

DECORATED = textwrap.dedent('''\
    import collections
    import functools
    import sys
    import torch
    import torch.nn as nn

    CALLS = collections.Counter()


    def tally(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            CALLS[fn.__qualname__] += 1
            return fn(*args, **kwargs)
        return inner


    class Gain(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.g = nn.Parameter(torch.linspace(0.25, 2.0, n))

        @tally
        @torch.no_grad()
        def forward(self, x):
            return x * self.g - 0.5


    if __name__ == "__main__":
        torch.manual_seed(1)
        m = Gain(8)
        for _ in range(4):
            y = m(torch.randn(3, 8))
        print(round(y.sum().item(), 4), y.requires_grad, dict(CALLS))
    ''')


def test_a_replaced_class_keeps_forwards_decorators(tmp_path):
    # Gradients on, a parameter requiring grad: the original's no_grad made that a no-grad call.
    path = _apply(tmp_path, DECORATED, "class Gain(nn.Module):", 9)
    out = run_raw(path).stdout
    assert "{'Gain.forward': 4}" in out and "False" in out, out


WITH_BODY = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Ema(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.w = nn.Parameter(torch.full((n,), 0.9))

        def forward(self, x):
            """Smoothed copy, never differentiated."""
            with torch.no_grad():
                y = x * self.w + (1 - self.w) * x.mean()
            return y


    if __name__ == "__main__":
        torch.manual_seed(2)
        m = Ema(8)
        y = m(torch.randn(4, 8, requires_grad=True))
        print(round(y.sum().item(), 4), y.requires_grad)
    ''')


def test_a_forward_wholly_under_no_grad_applies_and_stays_without_grad(tmp_path):
    path = _apply(tmp_path, WITH_BODY, "class Ema(nn.Module):", 10)
    assert "False" in run_raw(path).stdout


MODE = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Act(nn.Module):
        def __init__(self, kind="gelu", halve=False):
            super().__init__()
            self.kind, self.halve = kind, halve

        def forward(self, x):
            y = F.gelu(x) if self.kind == "gelu" else F.relu(x)
            return y * 0.5 if self.halve else y


    if __name__ == "__main__":
        x = torch.linspace(-2, 2, 32).reshape(4, 8)
        print(round(Act("gelu")(x).sum().item(), 4))
        print(round(Act(kind="gelu")(x).sum().item(), 4))
        if sys.argv[1:] == ["relu"]:
            print(round(Act("relu")(x).sum().item(), 4))
        if sys.argv[1:] == ["halve"]:
            print(round(Act("gelu", halve=True)(x).sum().item(), 4))
    ''')


def test_a_replaced_class_holds_its_constructor_modes(tmp_path):
    path = _apply(tmp_path, MODE, "class Act(nn.Module):", 8)
    _stops(path, "relu", "kind is 'relu' here", "kind = 'gelu'")
    _stops(path, "halve", "halve is True here", "halve = False")


# Red team 28 c04, c05: floats in the default dtype made by dividing integer tensors or inside a
# helper the code calls are guarded (c24's skip of a 0-d constant was taken back: red team 30 c06).
RATE = textwrap.dedent('''\
    import sys
    import torch


    def rate(counts, dt):
        return counts / dt


    def ramp(n):
        return torch.linspace(0.0, 1.0, n)


    def fade(x):
        return x * ramp(x.shape[-1])


    if __name__ == "__main__":
        counts = torch.arange(12).reshape(3, 4)
        x = torch.linspace(-2, 2, 32).reshape(4, 8)
        print(rate(counts, 4).sum().item(), round(fade(x).sum().item(), 4))
        if sys.argv[1:] == ["f64"]:
            torch.set_default_dtype(torch.float64)
            print(rate(counts, 3).dtype, fade(x).dtype)
    ''')


def test_integer_division_under_another_default_dtype_stops(tmp_path):
    _stops(_apply(tmp_path, RATE, "def rate(", 2), "f64", "the default dtype is torch.float64")


def test_a_helpers_factory_under_another_default_dtype_stops(tmp_path):
    _stops(_apply(tmp_path, RATE, "def fade(", 2), "f64", "the default dtype is torch.float64")


ACT = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn
    import torch.autograd.forward_ad as fwAD


    def act(x):
        return torch.tanh(x) * 2.0 + torch.tensor(0.5)


    class Head(nn.Module):
        def forward(self, x):
            return act(x) - 1.0


    if __name__ == "__main__":
        x = torch.linspace(-1, 1, 32).reshape(4, 8)
        print(round(act(x).sum().item(), 4))
        if sys.argv[1:] == ["f64"]:
            torch.set_default_dtype(torch.float64)
            print(act(x).dtype, round(act(x).sum().item(), 4))
        if sys.argv[1:] == ["jvp"]:
            with fwAD.dual_level():
                print(fwAD.unpack_dual(act(fwAD.make_dual(x, torch.ones_like(x)))).tangent)
        if sys.argv[1:] == ["fx"]:
            print(torch.fx.symbolic_trace(Head()).code)
    ''')


def test_a_0d_constant_forward_ad_and_fx(tmp_path):
    path = _apply(tmp_path, ACT, "def act(", 2)
    # c24's 0-d constant beside a floating input: needless here, but beside a 0-d result (a mean) the
    # constant wins promotion (red team 30 c06), so the guard stays.
    _stops(path, "f64", "the default dtype is torch.float64")
    _stops(path, "jvp", "x carries a forward-mode tangent")  # c16: the tangent was dropped
    _stops(path, "fx", "torch.fx symbolic tracing")  # c07: was "the tensors broadcast so: ;"


POOL = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn.functional as F


    def pool(x, ks):
        return F.avg_pool2d(x, ks)


    def blur(x, sigma):
        return x * sigma


    if __name__ == "__main__":
        x = torch.linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8)
        print(round(pool(x, (2, 2)).sum().item(), 4), round(blur(x, 0.5).sum().item(), 4))
        if sys.argv[1:] == ["big"]:
            print(pool(x, [4, 4]).shape)
        if sys.argv[1:] == ["steps"]:
            for k in range(100):
                blur(x, 0.01 * k)
            print(max(len(v) for k, v in globals().items() if k.startswith("_tz_built_")))
    ''')


def test_exact_sizes_hold_a_tuple_of_ints(tmp_path):  # c08
    _stops(_apply(tmp_path, POOL, "def pool(", 2, exact_sizes=True), "big", "ks is [4, 4] in this call")


def test_modules_built_per_number_are_bounded(tmp_path):  # c20
    run = run_raw(_apply(tmp_path, POOL, "def blur(", 2), "steps")
    assert run.returncode == 0 and int(run.stdout.split()[-1]) <= 32, run.stdout + run.stderr[-800:]
