"""compare_output's all-finite fast path gives the same report as the general path, and never
touches the tensors it is given."""

import pytest
import torch

from tritonize.judge import compare
from tritonize.judge.compare import Policy, compare_output


def _general(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(compare, "fast_pass", lambda *a, **k: None)
        return compare_output(*args, **kwargs)


CASES = [(dtype, noise, truth, precision, cond)
         for dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64)
         for noise in (0.0, 1e-7, 3e-3)
         for truth in (True, False)
         for precision in ("strict", "allow_tf32", "dtype")
         for cond in (None, "full", "scalar")
         if truth or cond is None]


@pytest.mark.parametrize("dtype,noise,truth,precision,cond", CASES)
def test_fast_path_matches_general_path(monkeypatch, dtype, noise, truth, precision, cond):
    g = torch.Generator().manual_seed(hash((str(dtype), noise, truth, precision, str(cond))) % 2**31)
    t = torch.randn(37, 53, generator=g, dtype=torch.float64) * 3
    ref = t.to(dtype)
    cand = (t * (1 + noise * torch.randn(t.shape, generator=g, dtype=torch.float64))).to(dtype)
    c = None
    if cond == "full":
        c = {"magnitude": t.abs() * 5, "count": torch.full(t.shape, 64.0)}
    elif cond == "scalar":
        c = {"magnitude": t.abs() * 5, "count": torch.tensor(64.0)}
    pol = Policy(precision=precision)
    keep = (cand.clone(), ref.clone(), t.clone())
    fast = compare_output(0, cand, ref, t if truth else None, pol, c)
    slow = _general(monkeypatch, 0, cand, ref, t if truth else None, pol, c)
    assert torch.equal(cand, keep[0]) and torch.equal(ref, keep[1]) and torch.equal(t, keep[2])
    if noise == 0.0:  # an exact answer always takes the fast path
        took = compare.fast_pass(0, cand, ref, t if truth and precision != "dtype" else None, pol, c, {})
        assert took is not None and took["ok"]
    assert fast.keys() == slow.keys()
    for k in slow:
        if isinstance(slow[k], float):
            assert fast[k] == pytest.approx(slow[k], rel=1e-12, abs=0), k
        else:
            assert fast[k] == slow[k], k


def test_fast_path_steps_aside_for_non_finite_values_and_failures():
    t = torch.randn(64, dtype=torch.float64)
    ref = t.float()
    assert compare.fast_pass(0, ref.clone(), ref, t, Policy(), None, {}) is not None
    bad = ref.clone()
    bad[3] = float("nan")
    assert compare.fast_pass(0, bad, ref, t, Policy(), None, {}) is None
    wrong = ref * 1.01
    assert compare.fast_pass(0, wrong, ref, t, Policy(), None, {}) is None
    big = torch.full((8,), 7e4, dtype=torch.float64)  # over fp16's max: the truth overflows at the output dtype
    assert compare.fast_pass(0, big.half(), big.half(), big, Policy(), None, {}) is None
    r = compare_output(0, wrong, ref, t, Policy())
    assert not r["ok"] and r["first_mismatch"] is not None


@pytest.mark.parametrize("dtype,noise,truth,precision,cond", [c for c in CASES if c[0] != torch.float64])
def test_sliced_fast_path_matches_sliced_general_path(monkeypatch, dtype, noise, truth, precision, cond):
    """A large output is compared in slices: the fast pass's slices give the general slices' report."""
    from tritonize.judge import trial_compare

    g = torch.Generator().manual_seed(7)
    t = torch.randn(64, 96, generator=g, dtype=torch.float64) * 2
    ref = t.to(dtype)
    cand = (t * (1 + noise * torch.randn(t.shape, generator=g, dtype=torch.float64))).to(dtype)
    c = {"full": {"magnitude": t.abs() * 5, "count": torch.full(t.shape, 64.0)},
         "scalar": {"magnitude": t.abs() * 5, "count": torch.tensor(64.0)}}.get(cond)
    pol = Policy(precision=precision)
    budget = 1500 * trial_compare._BYTES_PER_ELEMENT  # slices of 1500 elements (general), 6000 (fast)
    took = []
    real = trial_compare.fast_pass
    with monkeypatch.context() as m:
        m.setattr(trial_compare, "fast_pass", lambda *a, **k: took.append(real(*a, **k)) or took[-1])
        fast = trial_compare.compare_one(0, cand, ref, t if truth else None, pol, budget, c)
    if noise == 0.0:  # an exact answer takes the fast pass, in more than one slice
        assert took and took[0] is not None and took[0].get("nonfinite_mismatch") is False
    with monkeypatch.context() as m:
        m.setattr(trial_compare, "fast_pass", lambda *a, **k: None)
        slow = trial_compare.compare_one(0, cand, ref, t if truth else None, pol, budget, c)
    assert fast.keys() == slow.keys()
    for k in slow:
        if isinstance(slow[k], float):
            assert fast[k] == pytest.approx(slow[k], rel=1e-12, abs=0), k
        else:
            assert fast[k] == slow[k], k


def test_complex_outputs_take_the_general_path():
    t = torch.randn(16, dtype=torch.complex128)
    ref = t.to(torch.complex64)
    assert compare.fast_pass(0, ref.clone(), ref, t, Policy(), None, {}) is None
    assert compare_output(0, ref.clone(), ref, t, Policy())["ok"]


def test_degenerate_reads_slices_with_the_whole_tensors_answer(monkeypatch):
    """degenerate() reads outputs slice by slice (a float64 copy of a 6.4 GB output ran the H100 out
    of memory, session 14); with tiny slices its answers are those of the whole tensor."""
    import tritonize.judge.compare as cmp

    monkeypatch.setattr(cmp, "SLICE_ELEMENTS", 5)
    t = torch.randn(4, 3, dtype=torch.float64)
    assert cmp.degenerate([torch.randn(12)], [torch.zeros(12, dtype=torch.float64)]).startswith("the expected output is all zeros")
    assert "constant" in cmp.degenerate([torch.randn(12)], [torch.full((12,), 3.0, dtype=torch.float64)])
    assert cmp.degenerate([torch.zeros(4, 3)], [t]) == "the candidate's output is all zeros"
    late = torch.zeros(12)
    late[11] = 1.0  # the only nonzero in the last slice
    assert cmp.degenerate([late], [t.reshape(-1)]) is None
    assert cmp.degenerate([torch.randn(3, 4).t()], [t]) is None  # non-contiguous
