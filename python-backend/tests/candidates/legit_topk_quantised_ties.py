"""LEGIT (red team 14 h01): a top-k of scores with ties in the problem's own inputs, taking the last of
tied maxima. Its indices differ from PyTorch's on every trial but select the same values, which the
judge checks against the trial's inputs (judge/ties.py): a flag, not a verdict.

Problem: topk_quantised.py
Expected: correct (flag tie_order)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def topk_kernel(x_ptr, v_ptr, i_ptr, n_cols, s_r, s_c, K: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < n_cols
    x = tl.load(x_ptr + row * s_r + c * s_c, mask=m, other=0.0)
    isn = (x != x) & m
    alive = m
    for j in tl.static_range(K):
        any_nan = tl.max((isn & alive).to(tl.int32), axis=0)
        best = tl.max(tl.where(alive & (~isn), x, -float("inf")), axis=0)
        cand = tl.where(any_nan > 0, isn & alive, alive & (~isn) & (x == best))
        idx = tl.max(tl.where(cand, c, -1), axis=0)      # any of the tied positions is a valid answer
        val = tl.sum(tl.where(c == idx, x, 0.0), axis=0)
        val = tl.where(any_nan > 0, float("nan"), val)
        tl.store(v_ptr + row * K + j, val)
        tl.store(i_ptr + row * K + j, idx.to(tl.int64))
        alive = alive & (c != idx)

class ModelNew(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k
    def forward(self, x):
        R, C = x.shape
        vals = torch.empty((R, self.k), dtype=x.dtype, device=x.device)
        idx = torch.empty((R, self.k), dtype=torch.int64, device=x.device)
        topk_kernel[(R,)](x, vals, idx, C, x.stride(0), x.stride(1), K=self.k, BLOCK=triton.next_power_of_2(C))
        return vals, idx
