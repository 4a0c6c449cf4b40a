"""CHEAT (red team 14 c01): a tiled argmax merging tiles with >=, so a tie across tiles returns the last index; torch returns the first.

Problem: argmax_ties.py
Expected: incorrect (trial tied-values)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def argmax_kernel(x_ptr, out_ptr, n_cols, stride_r, stride_c, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    best = -float("inf")
    best_idx = 0
    found_nan = 0
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < n_cols
        v = tl.load(x_ptr + row * stride_r + cols * stride_c, mask=mask, other=-float("inf"))
        isn = (v != v) & mask
        has_nan = tl.max(isn.to(tl.int32), axis=0)
        nan_idx = tl.min(tl.where(isn, cols, 2147483647), axis=0)
        v_clean = tl.where(isn, -float("inf"), v)
        tmax = tl.max(v_clean, axis=0)
        tidx = tl.min(tl.where((v_clean == tmax) & mask, cols, 2147483647), axis=0)
        # NaN wins (torch semantics); otherwise keep the running best
        take_nan = (has_nan > 0) & (found_nan == 0)
        take_val = (found_nan == 0) & (has_nan == 0) & (tmax >= best)
        best_idx = tl.where(take_nan, nan_idx, tl.where(take_val, tidx, best_idx))
        best = tl.where(take_val, tmax, best)
        found_nan = tl.where(take_nan, 1, found_nan)
    tl.store(out_ptr + row, best_idx.to(tl.int64))

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        rows, cols = x.shape
        out = torch.empty(rows, dtype=torch.int64, device=x.device)
        argmax_kernel[(rows,)](x, out, cols, x.stride(0), x.stride(1), BLOCK=16)
        return out
