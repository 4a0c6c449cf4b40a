"""The fused comparison's Triton kernels (judge/fused_compare.py imports this module only when it
uses them, so a verify that never compares a large output on a GPU never imports Triton here)."""

import triton
import triton.language as tl


@triton.jit
def _finite(x):
    return (x - x) == 0  # NaN - NaN and inf - inf are NaN


# The tolerances come in a float64 tensor: a Python float argument is an fp32 scalar to Triton,
# which rounded KernelBench's 0.01 and the allowance (a 1e-9 relative difference, H100).
# `n` is not specialized: one compile serves every output size.
@triton.jit(do_not_specialize=["n"])
def figures(c_ptr, r_ptr, t_ptr, out_ptr, p_ptr, n,
            HAS_T: tl.constexpr, GROSS: tl.constexpr, BLOCK: tl.constexpr):
    """Per program: max |c-r|, max |c-r|/max(|r|,1e-12), max |c-r|/(|r|+1), any KernelBench
    failure, any non-finite figure; with a truth max |t|, max |r-t|, max |c-t| and any gross
    element; without one any element outside the dtype tolerance."""
    factor, ulps_eps, kb_tol = tl.load(p_ptr), tl.load(p_ptr + 1), tl.load(p_ptr + 2)
    rtol, atol = tl.load(p_ptr + 3), tl.load(p_ptr + 4)
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    c = tl.load(c_ptr + offs, mask=mask, other=0).to(tl.float64)
    r = tl.load(r_ptr + offs, mask=mask, other=0).to(tl.float64)
    d = tl.abs(c - r)
    ra = tl.abs(r)
    rel = d / tl.maximum(ra, 1e-12)
    tol = d / (ra + 1)
    kb_bad = mask & ~(d <= kb_tol + kb_tol * ra)  # a NaN fails, as torch's .all() of <= does
    nf = mask & ~_finite(d)
    z = tl.zeros_like(d)
    base = out_ptr + pid.to(tl.int64) * 9
    tl.store(base + 0, tl.max(tl.where(mask, d, z), 0))
    tl.store(base + 1, tl.max(tl.where(mask, rel, z), 0))
    tl.store(base + 2, tl.max(tl.where(mask, tol, z), 0))
    tl.store(base + 3, tl.max(kb_bad.to(tl.float64), 0))
    if HAS_T:
        t = tl.load(t_ptr + offs, mask=mask, other=0)
        ta = tl.abs(t)
        re = tl.abs(r - t)
        ce = tl.abs(c - t)
        # With a truth every figure must be finite (fast_pass's check of all of them).
        nf = nf | (mask & ~(_finite(rel) & _finite(tol) & _finite(ta) & _finite(re) & _finite(ce)))
        tl.store(base + 5, tl.max(tl.where(mask, ta, z), 0))
        tl.store(base + 6, tl.max(tl.where(mask, re, z), 0))
        tl.store(base + 7, tl.max(tl.where(mask, ce, z), 0))
        if GROSS:
            el = factor * re + ulps_eps * ta
            gross = mask & (ce > kb_tol + kb_tol * ta) & (ce > el)
            tl.store(base + 8, tl.max(gross.to(tl.float64), 0))
        else:
            tl.store(base + 8, 0.0)
    else:
        bad = mask & (d > atol + rtol * ra)
        tl.store(base + 5, 0.0)
        tl.store(base + 6, 0.0)
        tl.store(base + 7, 0.0)
        tl.store(base + 8, tl.max(bad.to(tl.float64), 0))
    tl.store(base + 4, tl.max(nf.to(tl.float64), 0))


@triton.jit(do_not_specialize=["n"])
def summation(c_ptr, r_ptr, t_ptr, mag_ptr, cnt_ptr, out_ptr, p_ptr, n, CNT_SCALAR: tl.constexpr, BLOCK: tl.constexpr):
    """The conditioned pass: per element the summation allowance LAMBDA sqrt(n) u sum|terms|
    (non-finite ones as 0); per program its max, the max allowed, any gross element and any
    element above its allowance."""
    factor, ulps_eps, kb_tol = tl.load(p_ptr), tl.load(p_ptr + 1), tl.load(p_ptr + 2)
    lam, acc_u, allowed = tl.load(p_ptr + 3), tl.load(p_ptr + 4), tl.load(p_ptr + 5)
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if CNT_SCALAR:
        cnt = tl.load(cnt_ptr).to(tl.float64)
    else:
        cnt = tl.load(cnt_ptr + offs, mask=mask, other=0).to(tl.float64)
    mag = tl.load(mag_ptr + offs, mask=mask, other=0).to(tl.float64)
    s = lam * tl.sqrt(cnt) * acc_u * mag  # torch's order; fp64 sqrt is correctly rounded
    s = tl.where(_finite(s), s, tl.zeros_like(s))
    c = tl.load(c_ptr + offs, mask=mask, other=0).to(tl.float64)
    r = tl.load(r_ptr + offs, mask=mask, other=0).to(tl.float64)
    t = tl.load(t_ptr + offs, mask=mask, other=0)
    e = tl.abs(c - t)
    ta = tl.abs(t)
    el = factor * tl.abs(r - t) + ulps_eps * ta + s
    gross = mask & (e > kb_tol + kb_tol * ta) & (e > el)
    a = s + allowed
    over = mask & (e > a)
    z = tl.zeros_like(s)
    base = out_ptr + pid.to(tl.int64) * 4
    tl.store(base + 0, tl.max(tl.where(mask, s, z), 0))
    tl.store(base + 1, tl.max(tl.where(mask, a, z - 1.0), 0))
    tl.store(base + 2, tl.max(gross.to(tl.float64), 0))
    tl.store(base + 3, tl.max(over.to(tl.float64), 0))
