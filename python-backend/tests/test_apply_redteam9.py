"""Apply, red team 11's program transforms (c15, c16, c18): a program that scripts, traces or vmaps
the code around an applied kernel. Scripting keeps working (the wrapper runs as Python); a trace or a
torch.func transform stops with one line naming the wrapper, not Triton's or functorch's error."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

from test_apply_redteam import lines_of
from test_apply_redteam7 import kernel_like
from test_apply_redteam8 import run_raw

PROGRAM = textwrap.dedent('''\
    import sys
    import torch
    import torch.nn as nn


    class Block(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.w = nn.Parameter(torch.randn(d))

        def forward(self, x, dim: int):
            y = torch.softmax(x * self.w, dim=dim)
            return y + 1.0


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Block(8)
        x = torch.randn(4, 8)
        with torch.no_grad():
            print(round(m(x, -1).sum().item(), 4))
            how = sys.argv[1] if len(sys.argv) > 1 else ""
            if how == "script":
                print(round(torch.jit.script(m)(x, -1).sum().item(), 4))
            if how == "trace":
                print(round(torch.jit.trace(lambda t: m(t, -1), (x,))(x).sum().item(), 4))
            if how == "vmap":
                print(round(torch.vmap(lambda r: m(r, -1))(x).sum().item(), 4))
    ''')


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("transforms")
    path = tmp / "user.py"
    path.write_text(PROGRAM)
    rng = lines_of(PROGRAM, "y = torch.softmax")
    e, src = extract(PROGRAM, str(path), *rng)
    res = apply_candidate(PROGRAM, str(path), *rng, kernel_like(e.problem), extracted=(e, src))
    path.write_text(res["text"])
    return path


def test_a_scripted_model_calls_the_applied_kernel_as_python(applied):
    before = run_raw(applied.with_name("orig.py"), "script", write=PROGRAM)
    after = run_raw(applied, "script")
    assert before.returncode == 0, before.stderr[-800:]
    assert after.returncode == 0, after.stderr[-1500:]
    assert after.stdout == before.stdout


@pytest.mark.parametrize("how, says", [
    ("trace", "torch.jit.trace reached the Triton kernel"),
    ("vmap", "comes from a torch.func transform"),
])
def test_a_trace_or_a_torch_func_transform_stops_with_our_message(applied, how, says):
    after = run_raw(applied, how)
    assert after.returncode != 0, after.stdout
    last = after.stderr.strip().splitlines()[-1]
    assert says in last and "tritonize_block_forward" in last, after.stderr[-1500:]


# Red team 17b c11: a model compiled with torch.compile after an eager call. Dynamo traced into the
# applied wrapper and on into Triton's CPU interpreter, and failed there; the wrapper now runs outside
# the graph under the interpreter.
COMPILED = textwrap.dedent('''\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class MLP(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.up = nn.Linear(d, 2 * d)

        def forward(self, x):
            h = self.up(x)
            return F.gelu(h) * 2.0


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = MLP(16)
        x = torch.randn(4, 16)
        with torch.no_grad():
            y0 = m(x)
            y1 = torch.compile(m, backend="eager")(x)
        print(round(y0.sum().item(), 4), round(y1.sum().item(), 4))
    ''')


def test_a_compiled_model_runs_the_applied_kernel(tmp_path):
    from test_apply_redteam17 import GELU_KERNEL

    path = tmp_path / "user.py"
    before = run_raw(path, write=COMPILED)
    line = lines_of(COMPILED, "return F.gelu")[0][0]
    rng = ((line, 16), (line, 31))  # F.gelu(h) * 2.0
    e, src = extract(COMPILED, str(path), *rng)
    res = apply_candidate(COMPILED, str(path), *rng, GELU_KERNEL, extracted=(e, src))
    after = run_raw(path, write=res["text"])
    assert before.returncode == 0, before.stderr[-800:]
    assert after.returncode == 0 and after.stdout == before.stdout, after.stderr[-1500:]
