"""Red team 48 (Apply, black box): a whole class whose submodule the program replaces with an adapter
before the first call (c18); a plain attribute of a whole class the program changes between calls
(c22); a module-level stateless module that copied code calls, changed through an alias (c16); a
copied helper replaced at run time by a functools.wraps wrapper (c07). Our programs, in our words."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of
from test_apply_redteam24 import _apply, _stops

# c18: peft-style adapter injection: m.fc1 becomes a Linear subclass whose forward adds a low-rank
# term, before any call; the kernel computed F.linear with fc1's weight only.
ADAPTER = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class Mlp(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.fc1 = nn.Linear(d, 2 * d)
            self.fc2 = nn.Linear(2 * d, d)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))


    class Adapted(nn.Linear):
        def forward(self, x):
            return super().forward(x) + 1.0


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Mlp(8).eval()
        if sys.argv[1:] == ["swap"]:
            fc = Adapted(8, 16)
            fc.load_state_dict(m.fc1.state_dict())
            m.fc1 = fc
        if sys.argv[1:] == ["patch"]:
            m.fc2.forward = lambda t: torch.zeros(t.shape[0], 8)
        with torch.no_grad():
            print(round(m(torch.ones(4, 8)).sum().item(), 4))
    ''')


def test_a_submodule_of_another_class_swapped_in_before_the_first_call_stops(tmp_path):  # c18
    path = _apply(tmp_path, ADAPTER, "class Mlp(nn.Module):", 8)
    _stops(path, "swap", "Mlp: submodule fc1 is of class Adapted in this call, Linear when the instance was built")
    _stops(path, "patch", "Mlp: submodule fc2 has another forward in this call")


# c22: an annealing schedule sets a plain attribute between calls; a candidate may hold what the
# constructor made of it (1 / temperature) as a constant.
ANNEALED = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class TempSoftmax(nn.Module):
        def __init__(self, d, temperature=1.0):
            super().__init__()
            self.proj = nn.Linear(d, d)
            self.temperature = temperature

        def forward(self, x):
            return torch.softmax(self.proj(x) / self.temperature, dim=-1)


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = TempSoftmax(8).eval()
        with torch.no_grad():
            print(round(m(torch.ones(4, 8)).max().item(), 4))
            if sys.argv[1:] == ["anneal"]:
                m.temperature = 0.5
            if sys.argv[1:] == ["sub"]:
                m.proj.in_features = 9
            m.temperature = m.temperature * 1.0  # the same value again: not a change
            print(round(m(torch.ones(4, 8)).max().item(), 4))
    ''')


def test_a_plain_attribute_changed_after_construction_stops(tmp_path):  # c22
    path = _apply(tmp_path, ANNEALED, "class TempSoftmax(nn.Module):", 8)
    _stops(path, "anneal", "TempSoftmax: attribute temperature is 0.5 in this call, 1.0 when the instance was built")
    _stops(path, "sub", "attribute proj.in_features is 9 in this call, 8 when the instance was built")


# c16: a module-level nn.GELU() that a copied helper calls is switched to the tanh approximation
# through an alias after the recorded call; the kernel's module holds its own exact GELU.
STATELESS = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn

    ACT = nn.GELU()


    def act(h):
        return ACT(h) * 2.0


    def layer(x, w):
        y = act(x @ w)
        return y


    def fast(modules):
        for m in modules:
            m.approximate = "tanh"


    if __name__ == "__main__":
        w = torch.ones(8, 8) * 0.3
        print(round(layer(torch.ones(4, 8), w).sum().item(), 4))
        if sys.argv[1:] == ["fast"]:
            fast([ACT])
        print(round(layer(torch.ones(4, 8), w).sum().item(), 4))
    ''')


def test_a_stateless_module_copied_code_calls_changed_later_stops(tmp_path):  # c16
    path = _apply(tmp_path, STATELESS, "y = act(x @ w)", 1)
    _stops(path, "fast", "ACT (the module-level module of line 5", "has approximate = 'tanh' in this call, "
           "'none' in the recorded call")


def test_a_stateless_module_changed_before_the_recorded_call_is_refused(tmp_path):  # c16, in the window
    text = STATELESS.replace('    w = torch.ones(8, 8) * 0.3\n', '    w = torch.ones(8, 8) * 0.3\n    fast([ACT])\n')
    assert text != STATELESS
    path = tmp_path / "prog.py"
    path.write_text(text)
    rng = lines_of(text, "y = act(x @ w)", 1)
    with pytest.raises(ExtractError) as err:
        e, src = extract(text, str(path), *rng)
        apply_candidate(text, str(path), *rng, faithful(e.problem), extracted=(e, src))
    assert "'ACT' (a module-level module" in err.value.reason and "approximate" in err.value.reason, err.value.reason


# c07: the program wraps a helper at run time with a functools.wraps decorator (a call counter); the
# live-definition check followed __wrapped__ back to the file's function.
WRAPPED_AT_RUN_TIME = textwrap.dedent('''\
    import functools
    import torch

    CALLS = [0]


    def counted(fn):
        @functools.wraps(fn)
        def inner(*a, **k):
            CALLS[0] += 1
            return fn(*a, **k)
        return inner


    def scale_act(h):
        return torch.nn.functional.silu(h) * 1.5


    def layer(x, w):
        y = scale_act(x @ w)
        return y


    if __name__ == "__main__":
        globals()["scale_act"] = counted(scale_act)
        print(round(layer(torch.ones(4, 8), torch.ones(8, 8)).sum().item(), 4), CALLS[0])
    ''')


def test_a_helper_wrapped_with_functools_wraps_at_run_time_is_refused(tmp_path):  # c07
    path = tmp_path / "prog.py"
    path.write_text(WRAPPED_AT_RUN_TIME)
    rng = lines_of(WRAPPED_AT_RUN_TIME, "y = scale_act(x @ w)", 1)
    with pytest.raises(ExtractError) as err:
        e, src = extract(WRAPPED_AT_RUN_TIME, str(path), *rng)
        apply_candidate(WRAPPED_AT_RUN_TIME, str(path), *rng, faithful(e.problem), extracted=(e, src),
                        placement="module")
    assert "'scale_act' (defined at line 15) is another function where the selection runs" in err.value.reason, \
        err.value.reason


# c08: a module-level table made with torch.from_numpy, decayed in place through the NumPy array after
# the first call: the tensor's version counter does not move.
NUMPY_TABLE = textwrap.dedent('''\
    import sys
    import numpy as np
    import torch

    _SCALES = np.ones(8, dtype=np.float32)
    SCALES = torch.from_numpy(_SCALES)


    def apply_scale(h):
        return h * SCALES


    def layer(x, w):
        y = apply_scale(torch.relu(x @ w))
        return y


    if __name__ == "__main__":
        w = torch.ones(8, 8) * 0.5
        print(round(layer(torch.ones(4, 8), w).sum().item(), 4))
        if sys.argv[1:] == ["decay"]:
            np.multiply(_SCALES, 0.5, out=_SCALES)
        print(round(layer(torch.ones(4, 8), w).sum().item(), 4))
    ''')


def test_a_table_written_through_numpy_after_the_first_call_stops(tmp_path):  # c08
    path = _apply(tmp_path, NUMPY_TABLE, "y = apply_scale(torch.relu(x @ w))", 1)
    _stops(path, "decay", "SCALES (the module-level tensor of line 6", "holds other values than at the first call")


# c20: a config dict that a copied helper reads, changed through an alias after the recorded call.
CONFIG = textwrap.dedent('''\
    import sys
    import torch

    CFG = {"slope": 0.01, "scale": 1.0}


    def act(h):
        return torch.nn.functional.leaky_relu(h, CFG["slope"]) * CFG["scale"]


    def layer(x, w):
        y = act(x @ w)
        return y


    def anneal(cfg):
        cfg["slope"] = 0.2


    if __name__ == "__main__":
        w = torch.ones(8, 8) * -0.5
        print(round(layer(torch.ones(4, 8), w).sum().item(), 4))
        if sys.argv[1:] == ["anneal"]:
            anneal(CFG)
        print(round(layer(torch.ones(4, 8), w).sum().item(), 4))
    ''')


def test_a_config_dict_copied_code_reads_changed_later_stops(tmp_path):  # c20
    path = _apply(tmp_path, CONFIG, "y = act(x @ w)", 1)
    _stops(path, "anneal", "CFG (the module-level dict of line 4", "has 'slope' = 0.2 in this call, 0.01 in the recorded call")
