"""LEGIT (red team 14b var_welford): a Welford variance; far from zero it loses fp32 precision as honest
kernels do (norm-relative 1.5e-5), which the shifted trial flags and does not reject.

Problem: var_rows_scaled.py
Expected: correct (flag shifted_values_precision)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _welford_combine(mean_a, m2_a, n_a, mean_b, m2_b, n_b):
    n = n_a + n_b
    delta = mean_b - mean_a
    w_b = tl.where(n > 0, n_b / tl.maximum(n, 1.0), 0.0)
    return mean_a + delta * w_b, m2_a + m2_b + delta * delta * n_a * w_b, n


@triton.jit
def var_welford_kernel(x_ptr, y_ptr, n_cols, stride, BLOCK: tl.constexpr):
    # Welford per lane over column chunks, then a tree combine (as PyTorch's CUDA reduction does)
    row = tl.program_id(0).to(tl.int64)
    mean = tl.zeros((BLOCK,), tl.float32)
    m2 = tl.zeros((BLOCK,), tl.float32)
    cnt = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        msk = cols < n_cols
        x = tl.load(x_ptr + row * stride + cols, mask=msk, other=0.0)
        cnt_new = cnt + tl.where(msk, 1.0, 0.0)
        delta = x - mean
        mean = tl.where(msk, mean + delta / tl.maximum(cnt_new, 1.0), mean)
        m2 = tl.where(msk, m2 + delta * (x - mean), m2)
        cnt = cnt_new
    mean_r, m2_r, n_r = tl.reduce((mean, m2, cnt), 0, _welford_combine)
    tl.store(y_ptr + row, m2_r / n_r)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        var_welford_kernel[(x.shape[0],)](x, y, x.shape[1], x.stride(0), BLOCK=32)
        return y
