"""The conditioning probe (worker/conditioning.py): which ops count as multilinear, the per-element
magnitude and term count it gives, and that it leaves the caller's inputs and truth untouched (it
now transforms float64 copies in place, and skips f(0) where f(0) is zero)."""

import copy

import pytest
import torch
import torch.nn as nn

from tritonize.worker.conditioning import Conditioning


class Sum(nn.Module):
    def forward(self, x):
        return x.sum(dim=1)


class Relu(nn.Module):
    def forward(self, x):
        return torch.relu(x)


class Affine(nn.Module):  # f(0) != 0: the general path (y0 kept and subtracted)
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 3)

    def forward(self, x):
        return self.lin(x)


class Product(nn.Module):  # degree 2
    def forward(self, x, y):
        return x * y


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


def _probe(model, inputs):
    m64 = copy.deepcopy(model).double()
    before = [x.clone() for x in inputs]
    truth = [m64(*[x.double() for x in inputs]).detach()]
    truth_before = [t.clone() for t in truth]
    cond = Conditioning(m64, "cpu")
    out = cond.per_trial(inputs, [torch.float32], truth)
    assert all(torch.equal(a, b) for a, b in zip(inputs, before)), "the probe changed the inputs"
    assert all(torch.equal(a, b) for a, b in zip(truth, truth_before)), "the probe changed the truth"
    return cond, out


def test_sum_is_degree_one_with_row_length_terms():
    x = torch.randn(4, 10)
    cond, out = _probe(Sum(), [x])
    assert cond.degree == 1
    assert torch.allclose(out[0]["magnitude"], x.abs().sum(1).float())
    assert float(out[0]["count"].reshape(-1)[0]) == 10.0


def test_relu_has_zero_at_zero_and_counts_one_term():
    x = torch.randn(5, 7)
    cond, out = _probe(Relu(), [x])
    assert cond.degree == 1
    assert torch.allclose(out[0]["magnitude"], x.abs().float())
    assert out[0]["count"].numel() == 1 and float(out[0]["count"]) == 1.0


def test_affine_with_bias_takes_the_general_path():
    torch.manual_seed(0)
    x = torch.randn(6, 8)
    model = Affine()
    cond, out = _probe(model, [x])
    assert cond.degree == 1
    w, b = model.lin.weight.detach().double(), model.lin.bias.detach().double()
    want = x.double().abs() @ w.abs().T + b.abs()
    assert torch.allclose(out[0]["magnitude"].double(), want, rtol=1e-6)
    assert float(out[0]["count"].reshape(-1)[0]) == 9.0  # 8 products and the bias


def test_product_is_degree_two():
    x, y = torch.randn(3, 4), torch.randn(3, 4)
    cond, _ = _probe(Product(), [x, y])
    assert cond.degree == 2


def test_softmax_is_not_multilinear():
    cond, out = _probe(Softmax(), [torch.randn(3, 9)])
    assert cond.degree is None and out is None and "not multilinear" in cond.note


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_float64_inputs_are_copied_not_changed(dtype):
    x = torch.randn(4, 6, dtype=dtype)
    _probe(Sum(), [x])  # the assertions inside check x and the truth


def test_masks_varied_flips_constant_masks_fills_zeros_and_keeps_index_made_ones():
    from tritonize.worker.masks import varied

    keep_all = torch.ones(4, 64, dtype=torch.bool)
    ones = torch.ones(4, 64, dtype=torch.long)
    zeros = torch.zeros(4, 64)
    causal = torch.ones(16, 16, dtype=torch.bool).tril()
    varied01 = torch.randint(0, 2, (4, 64))  # 0/1 ints that already vary: widened by broadened, not here
    x = torch.randn(4, 64)
    out, changed = varied([x, keep_all, ones, zeros, causal, varied01], 3)
    assert torch.equal(out[0], x) and torch.equal(out[4], causal) and torch.equal(out[5], varied01)
    assert 0.1 < float((~out[1]).float().mean()) < 0.4 and out[1].dtype == torch.bool
    assert set(out[2].unique().tolist()) == {0, 1} and out[2].dtype == torch.long
    assert bool(out[3].any())
    assert [c.split(" (")[0] for c in changed] == ["input 1", "input 2", "input 3"]
    assert varied([x, causal], 3)[1] == []
