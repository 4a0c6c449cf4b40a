"""Red team 30 (Apply, black box, session 22, on red team 28's fixes): a constructor label held as if
it were a mode broke the recorded run itself (c24); grad-mode blocks inside a class's forward were
dropped (c04, c13); class decorators were dropped (c10); the default-dtype guard missed an integer
tensor times a float (c07) and a 0-d constant beside a 0-d result (c06, which red team 28's c24 fix
had opened); a held tuple of sizes refused the same sizes as a list (c25)."""

from __future__ import annotations

import textwrap

from test_apply_redteam24 import _apply, _stops
from test_apply_redteam8 import refused, run_raw

LABELS = textwrap.dedent('''\
    import collections
    import sys
    import torch
    import torch.nn as nn

    SEEN = collections.Counter()


    def counted(cls):
        inner = cls.forward

        def forward(self, *a, **k):
            SEEN[type(self).__name__] += 1
            return inner(self, *a, **k)
        cls.forward = forward
        return cls


    @counted
    class Gate(nn.Module):
        def __init__(self, n, name="gate", kind="relu"):
            super().__init__()
            self.label, self.kind = name, kind
            self.register_buffer("w", torch.linspace(0.5, 1.5, n))

        def forward(self, x):
            y = x * self.w
            return torch.relu(y) if self.kind == "relu" else torch.tanh(y)


    if __name__ == "__main__":
        torch.manual_seed(0)
        blocks = [Gate(8, name=f"block{i}") for i in range(3)]
        x = torch.randn(4, 8)
        with torch.no_grad():
            for b in blocks:
                x = b(x)
        print(round(x.sum().item(), 4), dict(SEEN))
        if sys.argv[1:] == ["tanh"]:
            print(Gate(8, kind="tanh")(x).sum().item())
    ''')


def test_a_label_the_forward_never_reads_is_free_and_class_decorators_stay(tmp_path):
    path = _apply(tmp_path, LABELS, "@counted", 10)  # c24, c10: the same output, counts included
    assert "{'Gate': 3}" in run_raw(path).stdout
    _stops(path, "tanh", "kind is 'tanh' here")  # a mode forward reads is still held


def test_a_grad_mode_block_inside_a_class_forward_is_refused(tmp_path):
    text = textwrap.dedent('''\
        import torch
        import torch.nn as nn


        class Saliency(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.register_buffer("w", torch.linspace(0.5, 1.5, n))

            def forward(self, x):
                with torch.enable_grad():
                    y = torch.relu(x * self.w)
                return y


        if __name__ == "__main__":
            m = Saliency(8)
            with torch.no_grad():
                print(m(torch.randn(4, 8)).sum().item())
        ''')
    reason = refused(tmp_path, text, "class Saliency", 10)
    assert "switches autograd mode" in reason and "torch.enable_grad()" in reason, reason


DTYPES = textwrap.dedent('''\
    import sys
    import torch


    def half_pos(ids):
        return ids * 0.5 + 1


    def penalty(x):
        return x.pow(2).mean() + torch.tensor(1e-3)


    if __name__ == "__main__":
        ids = torch.arange(12).reshape(3, 4)
        x = torch.linspace(-1, 1, 16).reshape(4, 4)
        print(half_pos(ids).sum().item(), round(penalty(x).item(), 6))
        if sys.argv[1:] == ["f64"]:
            torch.set_default_dtype(torch.float64)
            print(half_pos(ids).dtype, penalty(x).dtype)
    ''')


def test_int_times_float_under_another_default_dtype_stops(tmp_path):  # c07
    _stops(_apply(tmp_path, DTYPES, "def half_pos(", 2), "f64", "the default dtype is torch.float64")


def test_a_0d_constant_beside_a_0d_result_stops(tmp_path):  # c06
    _stops(_apply(tmp_path, DTYPES, "def penalty(", 2), "f64", "the default dtype is torch.float64")


POOL = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn.functional as F


    def pool(x, ks):
        return F.avg_pool2d(x, ks)


    if __name__ == "__main__":
        x = torch.linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8)
        print(round(pool(x, (2, 2)).sum().item(), 4))
        if sys.argv[1:] == ["list"]:
            print(round(pool(x, [2, 2]).sum().item(), 4), round(pool(x, torch.Size([2, 2])).sum().item(), 4))
    ''')


def test_held_sizes_match_as_a_list_or_size(tmp_path):  # c25
    path = _apply(tmp_path, POOL, "def pool(", 2, exact_sizes=True)
    run = run_raw(path, "list")
    assert run.returncode == 0 and run.stdout.split()[1:] == [run.stdout.split()[0]] * 2, run.stdout + run.stderr[-600:]


ENSEMBLE = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn
    from torch.func import functional_call, stack_module_state


    class Gate(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("w", torch.linspace(0.5, 1.5, n))

        def forward(self, x):
            return torch.relu(x * self.w)


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(4, 8)
        print(round(Gate(8)(x).sum().item(), 4))
        if sys.argv[1:] == ["vmap"]:
            models = [Gate(8) for _ in range(3)]
            params, buffers = stack_module_state(models)
            base = Gate(8).to("meta")
            run = lambda p, b: functional_call(base, (p, b), (x,))
            print(torch.vmap(run)(params, buffers).shape)
    ''')


def test_vmap_over_the_modules_own_tensors_stops_at_the_guard(tmp_path):  # c22
    _stops(_apply(tmp_path, ENSEMBLE, "class Gate(nn.Module):", 7), "vmap", "come from a torch.func transform")
