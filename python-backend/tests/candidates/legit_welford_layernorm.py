"""LEGIT (red team 14 h08): a Welford LayerNorm; stays right on the shifted trial.

Problem: layernorm_rows.py
Expected: correct
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def ln_kernel(x_ptr, w_ptr, b_ptr, y_ptr, N, s_r, s_c, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    # per-lane Welford, then a parallel (Chan) merge of the lanes
    cnt = tl.zeros((BLOCK,), tl.float32)
    mean = tl.zeros((BLOCK,), tl.float32)
    m2 = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, N, BLOCK):
        c = start + tl.arange(0, BLOCK)
        msk = c < N
        x = tl.load(x_ptr + row * s_r + c * s_c, mask=msk, other=0.0)
        new_cnt = cnt + msk.to(tl.float32)
        delta = x - mean
        mean = tl.where(msk, mean + delta / tl.maximum(new_cnt, 1.0), mean)
        m2 = tl.where(msk, m2 + delta * (x - mean), m2)
        cnt = new_cnt
    tot = tl.sum(cnt, axis=0)
    mu = tl.sum(mean * cnt, axis=0) / tot
    d = mean - mu
    var = (tl.sum(m2, axis=0) + tl.sum(d * d * cnt, axis=0)) / tot
    rstd = 1.0 / tl.sqrt(var + eps)
    for start in range(0, N, BLOCK):
        c = start + tl.arange(0, BLOCK)
        msk = c < N
        x = tl.load(x_ptr + row * s_r + c * s_c, mask=msk, other=0.0)
        w = tl.load(w_ptr + c, mask=msk, other=0.0)
        b = tl.load(b_ptr + c, mask=msk, other=0.0)
        tl.store(y_ptr + row * N + c, (x - mu) * rstd * w + b, mask=msk)

class ModelNew(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.ln = nn.LayerNorm(hidden, eps=1e-5)
    def forward(self, x):
        R, N = x.shape
        y = torch.empty((R, N), dtype=x.dtype, device=x.device)
        ln_kernel[(R,)](x, self.ln.weight, self.ln.bias, y, N, x.stride(0), x.stride(1), self.ln.eps, BLOCK=64)
        return y
