"""Apply, red team 17b: properties of the real inputs the problem used to drop. Each of these applied
and computed something else before: a bias that broadcasts in one call and a full tensor in the
next, a transposed input made contiguous in the problem, an attention mask's -inf made finite, and
a tensor made under torch.set_default_dtype(float64)."""

from __future__ import annotations

import os
import textwrap

import pytest
import torch

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import lines_of
from test_apply_redteam7 import kernel_like
from test_apply_redteam8 import refused, run_raw


def _applied_prints_the_same(tmp_path, text: str, first: str) -> None:
    """Apply a kernel-like candidate at the line starting `first`; the program prints what it did."""
    path = tmp_path / "user.py"
    path.write_text(text)
    before = run_raw(path)
    rng = lines_of(text, first)
    e, src = extract(text, str(path), *rng)
    res = apply_candidate(text, str(path), *rng, kernel_like(e.problem), extracted=(e, src))
    path.write_text(res["text"])
    after = run_raw(path)
    assert after.returncode == 0 and after.stdout == before.stdout, after.stderr[-800:]


def _problem_inputs(tmp_path, text: str, first: str) -> list:
    path = tmp_path / "user.py"
    path.write_text(text)
    e, _ = extract(text, str(path), *lines_of(text, first))
    ns: dict = {}
    exec(compile(e.problem, "problem.py", "exec"), ns)  # noqa: S102 - our own generated problem
    return ns["get_inputs"]()


BROADCASTS = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn.functional as F


    def add_act(x, b):
        return F.relu(x + b)


    if __name__ == "__main__":
        torch.manual_seed(0)
        x, bias, res = torch.randn(8, 32), torch.randn(32), torch.randn(8, 32)
        h = add_act(x, bias)
        if len(sys.argv) < 2:
            print(round(add_act(h, res).sum().item(), 4))
    ''')


def test_a_later_call_that_broadcasts_differently_is_refused(tmp_path):
    why = refused(tmp_path, BROADCASTS, "return F.relu")
    assert "calls differ" in why and "broadcast" in why, why


def test_the_wrapper_checks_broadcasts_at_every_call(tmp_path):
    """The same program, recorded with one call: the second call, outside the recording, stops at
    the wrapper's guard instead of computing [8, 32] + [32]'s kernel on two [8, 32] tensors."""
    text = BROADCASTS.replace("    if len(sys.argv) < 2:", "    if len(sys.argv) > 1:")
    path = tmp_path / "user.py"
    path.write_text(text)
    rng = lines_of(text, "return F.relu")
    e, src = extract(text, str(path), *rng)
    res = apply_candidate(text, str(path), *rng, kernel_like(e.problem), extracted=(e, src))
    path.write_text(res["text"])
    assert run_raw(path).returncode == 0
    later = run_raw(path, "later")
    assert later.returncode != 0 and "broadcast" in later.stderr and "tritonize_" in later.stderr, later.stderr[-800:]


def test_a_transposed_input_stays_transposed(tmp_path):
    text = textwrap.dedent('''\
        import torch


        def scale_rows(t):
            return t * 2.0 + 1.0


        if __name__ == "__main__":
            torch.manual_seed(0)
            x = torch.randn(16, 8).t()
            print(round(scale_rows(x).sum().item(), 4))
        ''')
    (x,) = _problem_inputs(tmp_path, text, "return t * 2.0")
    assert x.shape == (8, 16) and not x.is_contiguous() and x.t().is_contiguous()


def test_an_attention_masks_infinities_are_kept(tmp_path):
    text = textwrap.dedent('''\
        import torch


        def probs(scores):
            return torch.softmax(scores, dim=-1)


        if __name__ == "__main__":
            torch.manual_seed(0)
            s = torch.randn(4, 16, 16)
            s[:, :, :5] = float("-inf")
            print(round(probs(s).sum().item(), 4))
        ''')
    (s,) = _problem_inputs(tmp_path, text, "return torch.softmax")
    share = float((s == float("-inf")).float().mean())
    assert 0.15 < share < 0.5 and bool(torch.isfinite(s).any()), share


def test_a_tensor_made_under_another_default_dtype_is_refused(tmp_path):
    text = textwrap.dedent('''\
        import torch


        def ramp(x):
            return x * torch.linspace(0.0, 1.0, x.shape[-1])


        if __name__ == "__main__":
            torch.set_default_dtype(torch.float64)
            print(ramp(torch.randn(4, 8)).dtype)
        ''')
    why = refused(tmp_path, text, "return x * torch.linspace")
    assert "default dtype" in why and "dtype=" in why, why


def test_scripting_works_under_future_annotations(tmp_path):
    """c18: the wrapper annotates its number inputs for TorchScript; under `from __future__ import
    annotations` they were the string 'float' and torch.jit.script of the model failed."""
    text = textwrap.dedent('''\
        from __future__ import annotations

        import torch
        import torch.nn as nn
        import torch.nn.functional as F


        class Act(nn.Module):
            def __init__(self, scale: float = 2.0):
                super().__init__()
                self.scale = scale

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                y = F.gelu(x) * self.scale
                return y + 1


        if __name__ == "__main__":
            torch.manual_seed(0)
            m = Act()
            x = torch.randn(4, 32)
            with torch.no_grad():
                print(round(m(x).sum().item(), 4), round(torch.jit.script(m)(x).sum().item(), 4))
        ''')
    _applied_prints_the_same(tmp_path, text, "y = F.gelu")


def test_module_placement_for_a_file_loaded_by_path_is_refused(tmp_path):
    """c09: a trainer loads models/net.py with importlib by its path; `from net_triton import ...`
    in it then fails at import. Apply says so (same-file placement works there)."""
    models = tmp_path / "models"
    models.mkdir()
    net = textwrap.dedent('''\
        import torch


        def act(x):
            return torch.relu(x) * 2.0
        ''')
    (models / "net.py").write_text(net)
    (tmp_path / "run.py").write_text(textwrap.dedent('''\
        import importlib.util
        import os

        import torch

        spec = importlib.util.spec_from_file_location("net", os.path.join(os.path.dirname(__file__), "models", "net.py"))
        net = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(net)
        print(round(net.act(torch.randn(4, 8)).sum().item(), 4))
        '''))
    rng = lines_of(net, "return torch.relu")
    path = str(models / "net.py")
    e, src = extract(net, path, *rng, entry=str(tmp_path / "run.py"))
    with pytest.raises(ExtractError) as err:
        apply_candidate(net, path, *rng, kernel_like(e.problem), placement="module", extracted=(e, src))
    assert "by its path" in err.value.reason and "--placement same-file" in err.value.reason, err.value.reason
    apply_candidate(net, path, *rng, kernel_like(e.problem), placement="same-file", extracted=(e, src))


def test_a_batch_of_one_or_none_later_is_not_a_new_broadcast(tmp_path):
    """Review of session 17: the broadcast rule refused x [1, 32] + b [32] after x [8, 32] + b [32]
    (and an empty batch); broadcasting in fewer places is the same computation."""
    text = textwrap.dedent('''\
        import torch
        import torch.nn.functional as F


        def add_act(x, b):
            return F.relu(x + b)


        if __name__ == "__main__":
            torch.manual_seed(0)
            bias = torch.randn(32)
            outs = [add_act(torch.randn(n, 32), bias) for n in (8, 1, 0, 5)]
            print([round(o.sum().item(), 4) for o in outs])
        ''')
    _applied_prints_the_same(tmp_path, text, "return F.relu")


# c21: a hand-written momentum step read p.grad of its input p. The problem's p is a new tensor with
# no gradient: its reference raised on None, and nothing said so before the LLM was asked.
MOMENTUM = textwrap.dedent('''\
    import torch


    def step(params, bufs, lr=0.1, momentum=0.9):
        with torch.no_grad():
            for p, buf in zip(params, bufs):
                buf.mul_(momentum).add_(p.grad)
                p.add_(buf, alpha=-lr)


    if __name__ == "__main__":
        torch.manual_seed(0)
        w = torch.randn(64, requires_grad=True)
        bufs = [torch.zeros(64)]
        (w * w).sum().backward()
        step([w], bufs)
        print(round(w.sum().item(), 4))
    ''')


def test_a_selection_that_reads_an_inputs_gradient_is_refused_at_extract(tmp_path):
    path = tmp_path / "user.py"
    path.write_text(MOMENTUM)
    with pytest.raises(ExtractError) as err:
        extract(MOMENTUM, str(path), *lines_of(MOMENTUM, "buf.mul_(momentum)", 2))
    msg = err.value.reason
    assert "reads p.grad" in msg and "g = p.grad" in msg, msg
    assert err.value.line == 7, err.value.line  # the line that reads it


# c15b, c16: the user's file binds `tl` itself (a time limit at module level; a crop in __main__).
# Same-file placement re-aliases the candidate's `import triton.language as tl`. c16's binding, in
# the __main__ block, was not seen as a clash: refused, naming lines of the edited text. c15b's was,
# and `BLOCK: _tz_tl.constexpr` was no constexpr to Triton's CPU interpreter: refused with its
# "arange's arguments must be of type tl.constexpr".
GELU_KERNEL = textwrap.dedent('''\
    import torch
    import torch.nn as nn
    import triton
    import triton.language as tl


    @triton.jit
    def gelu2_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = offs < n
        z = tl.load(x_ptr + offs, mask=m)
        tl.store(y_ptr + offs, 0.5 * z * (1.0 + tl.math.erf(z * 0.7071067811865476)) * 2.0, mask=m)


    class ModelNew(nn.Module):
        def forward(self, x):
            x = x.contiguous()
            y = torch.empty_like(x)
            gelu2_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
            return y
    ''')

TL_AT_MODULE_LEVEL = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def act(x):
        y = F.gelu(x) * 2.0
        return y + 1


    tl = 0.25  # a time limit


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(round(act(torch.randn(4, 32)).sum().item(), 4), tl)
    ''')

TL_IN_MAIN = TL_AT_MODULE_LEVEL.replace("tl = 0.25  # a time limit\n\n\n", "").replace(
    "    print(round(act(torch.randn(4, 32)).sum().item(), 4), tl)",
    "    img = torch.randn(4, 64)\n    tl, tr = img[:, :32], img[:, 32:]  # top-left, top-right crops\n"
    "    print(round(act(tl).sum().item(), 4), round(act(tr).sum().item(), 4))")
assert "tl = 0.25" not in TL_IN_MAIN and "tl, tr = " in TL_IN_MAIN


@pytest.mark.parametrize("text", [TL_AT_MODULE_LEVEL, TL_IN_MAIN], ids=["module-level", "in-main"])
def test_a_file_that_binds_tl_gets_the_kernel_under_another_name(tmp_path, text):
    path = tmp_path / "user.py"
    path.write_text(text)
    before = run_raw(path)
    line = lines_of(text, "y = F.gelu")[0][0]
    rng = ((line, 9), (line, 24))  # F.gelu(x) * 2.0
    e, src = extract(text, str(path), *rng)
    res = apply_candidate(text, str(path), *rng, GELU_KERNEL, extracted=(e, src))
    assert "import triton.language as tl\n" not in res["text"], res["text"][:600]
    after = run_raw(path, write=res["text"])
    assert before.returncode == 0 and after.returncode == 0 and after.stdout == before.stdout, after.stderr[-800:]


def test_a_selection_that_calls_an_applied_kernel_is_refused_with_the_way_back(tmp_path):
    """c08: applying again on `tritonize_...(x)` was refused for a reason inside the generated builder,
    with advice to edit it. Both placements."""
    for placement in ("same-file", "module"):
        path = tmp_path / placement / "user.py"
        path.parent.mkdir()
        text = TL_AT_MODULE_LEVEL
        path.write_text(text)
        line = lines_of(text, "y = F.gelu")[0][0]
        e, src = extract(text, str(path), (line, 9), (line, 24))
        res = apply_candidate(text, str(path), (line, 9), (line, 24), GELU_KERNEL, placement=placement, extracted=(e, src))
        if res.get("module"):
            (path.parent / os.path.basename(res["module"]["path"])).write_text(res["module"]["text"])
        path.write_text(res["text"])
        applied = res["text"]
        call_line = lines_of(applied, "y = tritonize_")[0][0]
        end = applied.split("\n")[call_line - 1].index(")") + 2
        with pytest.raises(ExtractError) as err:
            extract(applied, str(path), (call_line, 9), (call_line, end))
        msg = err.value.reason
        assert "the Triton kernel of an earlier Apply" in msg and "undo that Apply" in msg, msg
        assert err.value.line == call_line
