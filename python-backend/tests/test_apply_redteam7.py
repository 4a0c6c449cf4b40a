"""Apply cases from red team 9 (/work/rt9/apply/cases, black box, session 9): each is refused with one
line naming the cause, or applies with the program's output and files unchanged."""

from __future__ import annotations

import json
import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import apply_and_run, faithful, lines_of


def kernel_like(problem: str) -> str:
    """A candidate whose results are new plain tensors, as a kernel's are (faithful() returns the
    original's own objects)."""
    return problem + textwrap.dedent('''

        class ModelNew(Model):
            def forward(self, *args):
                out = super().forward(*args)
                if isinstance(out, tuple):
                    return tuple(o.detach().clone() for o in out)
                return out.detach().clone()
        ''')


def refusal(tmp_path, text: str, first: str, count: int = 1, expr: str | None = None, cand=faithful) -> str:
    path = tmp_path / "prog.py"
    path.write_text(text)
    rng = lines_of(text, first, count)
    if expr is not None:
        line = rng[0][0]
        col = text.split("\n")[line - 1].index(expr) + 1
        rng = ((line, col), (line, col + len(expr)))
    with pytest.raises(ExtractError) as err:
        e, src = extract(text, str(path), *rng)
        apply_candidate(text, str(path), *rng, cand(e.problem), extracted=(e, src))
    return err.value.reason


# stale_output_removed: the program removes last run's metrics.json at start; the recording stopped it
# before it wrote the file again, and only open() was undone: Extract deleted the user's file.
REMOVES = textwrap.dedent('''\
    import json
    import os
    import torch

    OUT = "metrics.json"


    def evaluate(pred, tgt):
        mse = (pred - tgt).pow(2).mean()
        return mse


    if __name__ == "__main__":
        if os.path.exists(OUT):
            os.remove(OUT)
        os.replace("keep.txt", "moved.txt")
        os.truncate("raw.bin", 0)
        torch.manual_seed(0)
        with torch.no_grad():
            m = evaluate(torch.randn(10), torch.randn(10))
        with open(OUT, "w") as fh:
            json.dump({"mse": round(m.item(), 5)}, fh)
    ''')


def test_the_recording_puts_back_files_the_program_removes_renames_or_truncates(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(REMOVES)
    (tmp_path / "metrics.json").write_text('{"mse": "last run"}')
    (tmp_path / "keep.txt").write_text("keep me")
    (tmp_path / "raw.bin").write_bytes(b"\x01\x02")
    e, _ = extract(REMOVES, str(path), *lines_of(REMOVES, "mse = (pred"))
    assert e.shapes == "recorded"
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"mse": "last run"}
    assert (tmp_path / "keep.txt").read_text() == "keep me" and not (tmp_path / "moved.txt").exists()
    assert (tmp_path / "raw.bin").read_bytes() == b"\x01\x02"


@pytest.mark.parametrize("call", ['sys.stdout.write(f"{y.sum().item()}\\n")', 'torch.save(y, "y.pt")',
                                  'os.makedirs("out", exist_ok=True)'])
def test_output_a_kernel_would_not_make_is_a_side_effect(tmp_path, call):
    text = f"import os\nimport sys\nimport torch\n\n\ndef f(x):\n    y = torch.tanh(x)\n    {call}\n    return y\n"
    with pytest.raises(ExtractError) as err:
        extract(text, str(tmp_path / "p.py"), *lines_of(text, "y = torch.tanh", 2), record_inputs=False)
    assert "side effect the kernel would drop" in err.value.reason and call.split("(")[0] in err.value.reason


PARAM = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Scale(nn.Module):
        def __init__(self, dim, init=1.0):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(dim) * init)

        def forward(self, x):
            return x * self.weight


    if __name__ == "__main__":
        m = Scale(8, 0.5)
        print(sorted(k for k, _ in m.named_parameters()))
    ''')

GRAD_RESULT = textwrap.dedent('''\
    import torch


    def adversarial(x):
        xa = x.clone().detach().requires_grad_(True)
        return xa


    if __name__ == "__main__":
        x = torch.randn(4, 8)
        xa = adversarial(x)
        xa.sum().backward()
        print(xa.grad.sum().item())
    ''')


def test_a_parameter_or_a_result_that_requires_grad_stays_one(tmp_path):
    msg = refusal(tmp_path, PARAM, "self.weight = nn.Parameter", expr="nn.Parameter(torch.ones(dim) * init)",
                  cand=kernel_like)
    assert "a Parameter became a Tensor" in msg, msg
    msg = refusal(tmp_path, GRAD_RESULT, "xa = x.clone()", expr="x.clone().detach().requires_grad_(True)",
                  cand=kernel_like)
    # Refused at the selection since session 24 (red team 34 c13: autograd state changed in place).
    assert "requires_grad True became False" in msg or "autograd state in place (.requires_grad_" in msg, msg


DTYPE_LATER = textwrap.dedent('''\
    import torch


    def to_unit(img):
        x = img.float()
        x /= 255.0
        return x


    if __name__ == "__main__":
        a = torch.arange(0, 250, 10, dtype=torch.uint8).reshape(5, 5)
        print("u8", to_unit(a).sum().item(), a.sum().item())
        b = torch.arange(0, 250, 10, dtype=torch.float32).reshape(5, 5)
        print("f32", to_unit(b).sum().item(), b.sum().item())
    ''')

FLAG_LATER = textwrap.dedent('''\
    import torch


    def attention(q, k, v, causal):
        s = q @ k.transpose(-1, -2) * 0.35
        if causal:
            s = s.masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(1), float("-inf"))
        return torch.softmax(s, dim=-1) @ v


    if __name__ == "__main__":
        torch.manual_seed(0)
        q, k, v = torch.randn(3, 2, 5, 8).unbind(0)
        with torch.no_grad():
            print("decoder", attention(q, k, v, True).sum().item())
            print("encoder", attention(q, k, v, False).sum().item())
    ''')


def test_later_calls_with_another_dtype_or_flag_are_refused(tmp_path):
    msg = refusal(tmp_path, DTYPE_LATER, "x = img.float()", expr="img.float()")
    assert "img is a tensor of float32 on cpu in call 2" in msg and "tensor of uint8 on cpu in the recorded" in msg
    msg = refusal(tmp_path, FLAG_LATER, "s = q @ k", 4)
    assert "causal is False in call 2 of the selection in the recorded run, True in the recorded" in msg, msg


def test_the_wrapper_checks_dtypes_and_flag_literals_at_call_time(tmp_path):
    """Calls after the recording's window: the applied code raises instead of computing."""
    text = FLAG_LATER.replace('        print("encoder"', '        if False:\n            print("encoder"')
    path = tmp_path / "prog.py"
    path.write_text(text)
    e, src = extract(text, str(path), *lines_of(text, "s = q @ k", 4))
    res = apply_candidate(text, str(path), *lines_of(text, "s = q @ k", 4), faithful(e.problem), extracted=(e, src))
    ns: dict = {"__name__": "applied"}
    import os
    os.environ["TRITON_INTERPRET"] = "1"
    exec(compile(res["text"], str(path), "exec"), ns)
    import torch
    q = torch.randn(2, 5, 8)
    with torch.no_grad():
        ns["attention"](q, q, q, True)  # the recorded conditions
        with pytest.raises(ns["_TritonizeGuardStop"], match="causal is False in this call; the Triton kernel was verified for "
                                               "causal = True only"):
            ns["attention"](q, q, q, False)
        with pytest.raises(ns["_TritonizeGuardStop"], match="q is torch.float64 in this call; the Triton kernel was verified for "
                                               "torch.float32"):
            ns["attention"](q.double(), q.double(), q.double(), True)


INPLACE_MULTI = textwrap.dedent('''\
    import torch


    def step(x, acc, w):
        h = torch.tanh(x @ w)
        acc += h.sum(0)
        r = h * 2.0
        return r, acc


    if __name__ == "__main__":
        torch.manual_seed(0)
        acc = torch.zeros(6)
        with torch.no_grad():
            for _ in range(2):
                r, _ = step(torch.randn(3, 4), acc, torch.randn(4, 6))
                print(round(r.sum().item(), 4), round(acc.sum().item(), 4))
    ''')

NUMPY_TAU = textwrap.dedent('''\
    import numpy as np
    import torch


    def sharpen(logits, tau):
        p = torch.softmax(logits / tau, -1)
        return p


    if __name__ == "__main__":
        torch.manual_seed(0)
        taus = np.linspace(4.0, 1.0, 3)
        with torch.no_grad():
            for step in range(3):
                print(step, round(sharpen(torch.randn(4, 10), taus[step]).max().item(), 5))
    ''')


@pytest.mark.parametrize("text,first", [(INPLACE_MULTI, "h = torch.tanh"), (NUMPY_TAU, "p = torch.softmax")])
def test_applies_with_the_same_output(tmp_path, text, first):
    count = 3 if text is INPLACE_MULTI else 1
    before, after, _ = apply_and_run(tmp_path, text, first, count, "same-file")
    assert after == before


TENSOR_GLOBAL = textwrap.dedent('''\
    import torch

    MEAN = torch.tensor([0.485, 0.456, 0.406])


    def normalize(img):
        return img - MEAN[:, None, None]


    def preprocess(img):
        x = normalize(img).clamp(-3, 3)
        return x


    if __name__ == "__main__":
        torch.manual_seed(0)
        img = torch.rand(3, 4, 4)
        print("unit", preprocess(img).sum().item())
        MEAN.mul_(255.0)
        print("bytes", preprocess(img * 255.0).sum().item())
    ''')


def test_a_copied_tensor_global_updated_after_the_recorded_call_is_refused(tmp_path):
    msg = refusal(tmp_path, TENSOR_GLOBAL, "x = normalize(img)", expr="normalize(img).clamp(-3, 3)")
    # Seen in the file now (red team 11's in-place rule), before the recording's later-call watch.
    assert "'MEAN' is changed while the program runs (line 19: MEAN.mul_(255.0))" in msg, msg


MANGLED = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class ScaledResidual(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.__gain = 0.5
            self.w = nn.Parameter(torch.randn(dim, dim) * 0.1)

        def forward(self, x):
            y = x + self.__gain * torch.tanh(x @ self.w)
            return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = ScaledResidual(8)
        with torch.no_grad():
            print(round(m(torch.randn(3, 8)).sum().item(), 4))
    ''')

NOTEBOOK = textwrap.dedent('''\
    # In[1]:
    import torch
    torch.manual_seed(0)

    # In[2]:
    freqs = 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))

    # In[3]:
    import math


    def rope_angles(T):
        t = torch.arange(T).float()
        return torch.outer(t, freqs) * math.pi / math.pi


    print(round(rope_angles(4).sum().item(), 4))
    ''')


@pytest.mark.parametrize("text,first", [(MANGLED, "y = x + self.__gain"), (NOTEBOOK, "freqs = 1.0")])
def test_private_attributes_and_selections_between_imports_apply(tmp_path, text, first):
    before, after, res = apply_and_run(tmp_path, text, first, 1, "same-file")
    assert after == before


def test_a_module_entry_runs_from_the_folder_its_dotted_name_starts_in(tmp_path):
    pkg = tmp_path / "proj"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    text = "import torch\n\n\ndef f(x):\n    y = torch.tanh(x)\n    return y\n\n\nif __name__ == '__main__':\n" \
           "    print(f(torch.ones(3)))\n"
    (pkg / "model.py").write_text(text)
    e, _ = extract(text, str(pkg / "model.py"), *lines_of(text, "y = torch.tanh"), entry="-m proj.model")
    assert e.shapes == "recorded"


# local_import_helper / pkg_relative_script (red team 9), b66b / a09 (red team 8): a helper imported
# from the user's own file next to this one stayed an import in the problem, which then did not run
# on its own (the sandboxed verifier has no access to the user's folder): refused at the check.
LAYERS = textwrap.dedent('''\
    import torch.nn.functional as F

    EPS = 1e-5


    def act(x):
        return F.gelu(x) * 0.5
    ''')

USES_SIBLING = textwrap.dedent('''\
    import torch
    from layers import act, EPS


    def block(x):
        y = act(x) * 2.0 + EPS
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(round(block(torch.randn(4, 8)).sum().item(), 4))
    ''')


def test_a_helper_from_a_sibling_module_is_copied_into_the_problem(tmp_path):
    (tmp_path / "layers.py").write_text(LAYERS)
    (tmp_path / "prog.py").write_text(USES_SIBLING)
    e, _ = extract(USES_SIBLING, str(tmp_path / "prog.py"), *lines_of(USES_SIBLING, "y = act(x)"))
    assert "from layers import" not in e.problem and "def act(x):" in e.problem, e.problem
    assert "import torch.nn.functional as F" in e.problem
    assert [i.expr for i in e.inputs] == ["x", "EPS"]  # the imported constant is read at the call
    before, after, _ = apply_and_run(tmp_path, USES_SIBLING, "y = act(x)", 1, "same-file")
    assert after == before


def test_a_sibling_helper_with_a_side_effect_is_refused(tmp_path):
    (tmp_path / "layers.py").write_text(LAYERS.replace("    return F.gelu", "    print('act')\n    return F.gelu"))
    with pytest.raises(ExtractError) as err:
        extract(USES_SIBLING, str(tmp_path / "prog.py"), *lines_of(USES_SIBLING, "y = act(x)"), record_inputs=False)
    assert "side effect" in err.value.reason and "print" in err.value.reason
