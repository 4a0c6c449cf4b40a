"""Red team 38 (Apply, black box, on red team 36's fixes): a name updated in place and then rebound in
one selection (c16: the new value was written into the caller's tensor; c15, red team 28 c06: refused
as "values differ"), an in-place update on some paths only written back on every call (c08: backward
raised later), random numbers drawn by the candidate's constructor (c11: fork_rng rewound other
threads' draws; now refused at Apply), a float64 default dtype (c01: `torch.where(c, 0.0, -1e4)`
came back float32), result and input layouts (c04: a contiguous result where PyTorch keeps the
input's transposed layout; c05: a transposed input at a later call), the inserted imports placed
before a function that sets the thread count (c21), module-level `vars().update(...)` rebinding a
builtin (c03), and a jagged NestedTensor reaching the kernel (c13).
Our programs, in our words; each applied program is run again with a later call (argv) it never saw."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.errors import ExtractError

from test_apply_redteam24 import _apply, _stops
from test_apply_redteam34 import _apply_code
from test_apply_redteam8 import refused, run_raw


INPLACE_THEN_REBIND = textwrap.dedent('''\
    import sys
    import torch


    def relu_scale(h, s):
        h.clamp_(min=0)
        h = h * s
        return h


    def masked_probs(scores, mask):
        scores.masked_fill_(mask, -1e4)
        scores = torch.softmax(scores, dim=-1)
        return scores


    if __name__ == "__main__":
        torch.manual_seed(0)
        buf = torch.randn(4, 8)
        out = relu_scale(buf, 1.0)
        print(round(out.sum().item(), 4), round(buf.sum().item(), 4))
        scores = torch.randn(2, 6, 6)
        p = masked_probs(scores, torch.ones(6, 6, dtype=torch.bool).triu(1))
        print(round(p.sum().item(), 4), round(scores.sum().item(), 4))
    ''')


def test_an_update_in_place_then_a_rebinding_of_the_name_is_refused(tmp_path):  # c16, c15
    reason = refused(tmp_path, INPLACE_THEN_REBIND, "h.clamp_(min=0)", 2)
    assert "updates h in place (line 6)" in reason and "new value to the name h (line 7)" in reason, reason
    assert "Select the lines from 7 on" in reason, reason
    reason = refused(tmp_path, INPLACE_THEN_REBIND, "scores.masked_fill_(mask, -1e4)", 2)
    assert "updates scores in place" in reason and "values differ" not in reason, reason
    # Either part alone applies and keeps the program's behaviour.
    _apply(tmp_path, INPLACE_THEN_REBIND, "h = h * s", 1)
    _apply(tmp_path, INPLACE_THEN_REBIND, "scores.masked_fill_(mask, -1e4)", 1)


NAN_GUARD = textwrap.dedent('''\
    import torch


    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(8, 8)

        def forward(self, x):
            probs = self.w(x).softmax(-1)
            with torch.no_grad():
                if not torch.isfinite(probs).all():
                    probs.nan_to_num_(0.0)
            return probs


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Head()
        for step in range(2):
            loss = (m(torch.randn(4, 8)) * torch.arange(8.0)).sum()
            loss.backward()
            print(step, round(loss.item(), 5))
    ''')


def test_an_update_in_place_on_some_paths_only_is_refused(tmp_path):  # c08
    reason = refused(tmp_path, NAN_GUARD, "if not torch.isfinite(probs).all():", 2)
    assert "updates probs in place on some paths only" in reason and "Select the code inside the branch" in reason, \
        reason


RNG_RESTORE = textwrap.dedent('''\
    import torch

    import rng_watch


    def act(h, b):
        y = torch.nn.functional.gelu(h + b)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(round(act(torch.randn(4, 8), torch.randn(8)).sum().item(), 4), torch.rand(2).tolist())
        print("generator restored:", rng_watch.restored)
    ''')

# A module of the program's (a profiler, a test harness) that counts who sets the generator back.
RNG_WATCH = textwrap.dedent('''\
    import torch

    restored = []
    _set = torch.set_rng_state


    def counted(state):
        restored.append(1)
        return _set(state)


    torch.set_rng_state = counted
    torch.random.set_rng_state = counted
    ''')


def test_the_applied_code_never_restores_the_global_generator(tmp_path):  # c11
    # fork_rng around the module's construction set the generator back afterwards, undoing the draws
    # other threads made meanwhile (their random numbers repeated). A constructor that draws is
    # refused at Apply instead (test_apply_redteam34's c16 test).
    (tmp_path / "rng_watch.py").write_text(RNG_WATCH)
    path = _apply(tmp_path, RNG_RESTORE, "y = torch.nn.functional.gelu(h + b)", 1)
    assert "generator restored: []" in run_raw(path).stdout


WHERE_NUMBERS = textwrap.dedent('''\
    import sys
    import torch


    def bias(scores):
        b = torch.where(scores > 0, 0.0, -1e4)
        return b


    if __name__ == "__main__":
        s = torch.linspace(-1, 1, 12, dtype=torch.float32).reshape(3, 4)
        print(bias(s).dtype, bias(s).sum().item())
        if sys.argv[1:] == ["f64-later"]:
            torch.set_default_dtype(torch.float64)
            print(bias(s).dtype, bias(s).sum().item())
    ''')


def test_another_default_dtype_is_refused_where_recorded_and_stops_at_a_later_call(tmp_path):  # c01
    # torch.where with two Python numbers makes a tensor in the default dtype: float64 in the real run,
    # float32 in the problem and the kernel. No static list of calls covers it: any other default
    # where the selection runs is refused, and every call checks the default.
    f64 = WHERE_NUMBERS.replace('if __name__ == "__main__":\n', 'if __name__ == "__main__":\n'
                                '    torch.set_default_dtype(torch.float64)\n')
    reason = refused(tmp_path, f64, "b = torch.where(scores > 0, 0.0, -1e4)", 1)
    assert "default dtype to torch.float64 where this code runs" in reason and "float32 default" in reason, reason
    path = _apply(tmp_path, WHERE_NUMBERS, "b = torch.where(scores > 0, 0.0, -1e4)", 1)
    _stops(path, "f64-later", "the default dtype is torch.float64 in this call")


LAYOUT = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn.functional as F


    def act(h, b):
        y = F.gelu(h + b)
        return y


    def probs(x):
        p = torch.softmax(x, dim=-1)
        return p


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(2, 8, 16)
        with torch.no_grad():
            y = act(x.transpose(1, 2), torch.randn(8))
            print(y.stride(), round(y.sum().item(), 4))
            later = sys.argv[1:]
            xt = x.transpose(1, 2) if later == ["transposed"] else x
            p = probs(xt)
            print(p.stride(), round(p.sum().item(), 4))
            if later == ["packed"]:
                h = torch.nested.nested_tensor([torch.randn(3, 8), torch.randn(5, 8)], layout=torch.jagged)
                print(round(act(h, torch.randn(8)).values().sum().item(), 4))
    ''')


def test_a_result_in_another_layout_than_pytorchs_is_refused(tmp_path):  # c04
    # PyTorch keeps the transposed input's layout in the elementwise result; a kernel that writes into
    # empty_like(h.contiguous()) returns a contiguous one, and a later .view succeeds where it raised.
    with pytest.raises(ExtractError) as err:
        _apply_code(tmp_path, LAYOUT, "y = F.gelu(h + b)", 1, '''\
            def forward(self, *args):
                return super().forward(*args).contiguous()
            ''')
    reason = err.value.reason
    assert "strides (128, 8, 1) where PyTorch returns strides (128, 1, 16)" in reason and "torch.empty_like" in reason, \
        reason


def test_a_later_call_with_another_input_layout_or_a_nested_tensor_stops(tmp_path):  # c05, c13
    path = _apply(tmp_path, LAYOUT, "p = torch.softmax(x, dim=-1)", 1)
    _stops(path, "transposed", "x has strides (128, 1, 16) in this call", "verified for x contiguous")
    path = _apply(tmp_path, LAYOUT, "y = F.gelu(h + b)", 1)
    _stops(path, "packed", "h is a nested (jagged) tensor in this call")


SETUP_FIRST = textwrap.dedent('''\
    """Pins the thread count before torch is imported."""
    import os
    import sys


    def configure_threads(n="1"):
        os.environ["OMP_NUM_THREADS"] = n
        print("torch imported before the setup:", "torch" in sys.modules)


    configure_threads()

    import torch
    import torch.nn.functional as F


    def act(h, b):
        y = F.gelu(h + b)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        with torch.no_grad():
            print(torch.get_num_threads(), round(act(torch.randn(4, 8), torch.randn(8)).sum().item(), 4))
    ''')


def test_the_inserted_code_comes_after_the_files_own_import_torch(tmp_path):  # c21
    # The block went after `import os` (the last import before the first def), so torch was imported
    # before configure_threads() ran and the thread setting was ignored.
    # (The tests run programs in a fork server that has imported torch: the order is checked in the text.)
    path = _apply(tmp_path, SETUP_FIRST, "y = F.gelu(h + b)", 1)
    text = path.read_text()
    assert text.index("configure_threads()\n") < text.index("import torch.nn.functional as F\n") \
        < text.index("# --- Tritonize"), text[:800]


VARS_UPDATE = textwrap.dedent('''\
    import argparse
    import torch
    import torch.nn.functional as F


    def act(h, b):
        y = F.gelu(h + b)
        return y


    if __name__ == "__main__":
        p = argparse.ArgumentParser()
        p.add_argument("--type", default="gelu")
        vars().update(vars(p.parse_args()))
        print(type, round(act(torch.ones(2, 4), torch.zeros(4)).sum().item(), 4))
    ''')


@pytest.mark.parametrize("write", ["vars().update(vars(p.parse_args()))", "locals().update(vars(p.parse_args()))",
                                   "setattr(sys.modules[__name__], 'type', p.parse_args().type)"])
def test_module_level_vars_and_locals_writes_refuse_same_file_placement(tmp_path, write):  # c03
    # At module level vars() and locals() are globals(): `--type gelu` rebound the builtin the guard calls.
    text = VARS_UPDATE.replace("vars().update(vars(p.parse_args()))", write).replace("import argparse",
                                                                                    "import argparse\nimport sys")
    reason = refused(tmp_path, text, "y = F.gelu(h + b)", 1)
    assert "sets module globals through" in reason and "--placement module" in reason, reason


MODULATE = textwrap.dedent('''\
    import sys
    import torch


    def modulate(x, shift, scale):
        y = x * (1 + scale) + shift
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(2, 8, 16)
        if sys.argv[1:] == ["uncond"]:
            shift, scale = 0.0, 0.0
        else:
            shift, scale = torch.randn(2, 1, 16), torch.randn(2, 1, 16)
        with torch.no_grad():
            print(round(modulate(x, shift, scale).sum().item(), 4))
    ''')


def test_a_number_where_a_tensor_was_recorded_is_named_as_such(tmp_path):  # c10
    path = _apply(tmp_path, MODULATE, "y = x * (1 + scale) + shift", 1)
    _stops(path, "uncond", "scale is a float in this call, a tensor in the recorded call")


SCALE = textwrap.dedent('''\
    import torch


    def act(x):
        y = torch.relu(x) * 2.0
        return y


    if __name__ == "__main__":
        print(round(act(torch.linspace(-1, 1, 8)).sum().item(), 4))
    ''')

# The Triton kernel only where the verifier's worker environment is found (red team 37 c02), PyTorch
# elsewhere; and the same kernel launched everywhere, which applies.
KERNEL = '''
import os
import triton
import triton.language as tl


@triton.jit
def _relu2(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m), 0.0) * 2.0, mask=m)
'''


def _launcher(condition: str) -> str:
    return (KERNEL + "\n\nclass ModelNew(Model):\n    def forward(self, x):\n"
            f"        if not ({condition}):\n            return torch.relu(x) * 2.0\n"
            "        x = x.contiguous()\n        y = torch.empty_like(x)\n"
            "        _relu2[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)\n        return y\n")


def test_a_kernel_that_launches_only_under_the_verifier_is_refused(tmp_path):  # red team 37 c02, c12
    from tritonize.extract.apply import apply_candidate
    from tritonize.extract.problem import extract
    from test_apply_redteam import lines_of

    path = tmp_path / "prog.py"
    path.write_text(SCALE)
    rng = lines_of(SCALE, "y = torch.relu(x) * 2.0", 1)
    e, src = extract(SCALE, str(path), *rng)
    with pytest.raises(ExtractError) as err:
        apply_candidate(SCALE, str(path), *rng, e.problem + _launcher("'TRITONIZE_TRUSTED_TRITON_CACHE' in os.environ"),
                        extracted=(e, src))
    assert "without launching any of its Triton kernels" in str(err.value)
    res = apply_candidate(SCALE, str(path), *rng, e.problem + _launcher("True"), extracted=(e, src))
    assert res["check"]["ok"], res["check"]
