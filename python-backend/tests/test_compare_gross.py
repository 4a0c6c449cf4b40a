"""Tolerance holes red team 9 found (cheat_exp_zero_small_values, cheat_fp8_inputs_fp16_matmul): the
allowance was a maximum over the whole output, and the summation term used the output dtype's
roundoff. Both paths (the fast one and the general one) must reject them; honest errors pass."""

import pytest
import torch

from tritonize.judge import compare
from tritonize.judge.compare import Policy, compare_output


def both(monkeypatch, *args, **kwargs):
    fast = compare_output(*args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(compare, "fast_pass", lambda *a, **k: None)
        general = compare_output(*args, **kwargs)
    return fast, general


def test_outputs_spanning_orders_of_magnitude_are_checked_per_element(monkeypatch):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 64, generator=g, dtype=torch.float64) * 5
    truth = x.exp()
    ref = truth.float()
    cheat = torch.where(x < 0, torch.zeros_like(ref), ref)  # half the outputs 0: ~100% wrong there
    for out in both(monkeypatch, 0, cheat, ref, truth, Policy()):
        assert not out["ok"] and out["n_bad"] >= 1000, out
    honest = (truth * (1 + 2e-7 * torch.randn(64, 64, generator=g, dtype=torch.float64))).float()
    for out in both(monkeypatch, 0, honest, ref, truth, Policy()):
        assert out["ok"], out


def gemm(dtype, k=1024, bits=None):
    g = torch.Generator().manual_seed(1)
    a = torch.randn(64, k, generator=g).to(dtype)
    b = torch.randn(k, 64, generator=g).to(dtype)
    truth = a.double() @ b.double()
    ref = (a.float() @ b.float()).to(dtype)  # fp32 accumulation, as PyTorch does
    cond = {"magnitude": a.double().abs() @ b.double().abs(), "count": torch.tensor(float(k))}
    if bits is None:
        cand = (a.float() @ b.float()).to(dtype)
    else:
        def rnd(t):  # keep `bits` significant bits
            m, e = torch.frexp(t.float())
            return torch.ldexp(torch.round(m * 2 ** bits) / 2 ** bits, e)
        cand = (rnd(a) @ rnd(b)).to(dtype)
    return cand, ref, truth, cond


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_low_precision_gemm_gets_fp32_summation_allowance(monkeypatch, dtype):
    cand, ref, truth, cond = gemm(dtype, bits=4)
    for out in both(monkeypatch, 0, cand, ref, truth, Policy(), cond):
        assert not out["ok"], out
    cand, ref, truth, cond = gemm(dtype)  # honest: fp32 accumulation in another order
    for out in both(monkeypatch, 0, cand, ref, truth, Policy(), cond):
        assert out["ok"], out
