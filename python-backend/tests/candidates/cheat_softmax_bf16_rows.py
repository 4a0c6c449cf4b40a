# CHEAT (red team 47 c01, session 27): a row softmax scaled by 0.97 on rows whose values are all
# exactly bf16 (low 16 bits zero) and not on a coarse grid (the tied-values trial's). Activations
# upcast from bf16 are such rows; random-2's fp16 rows rarely were. random-1's inputs are now exact
# in both bf16 and fp16.
# Problem: softmax.py. Expected: incorrect (trial random-1).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_rows(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=float("-inf"))
    bits = tl.where(mask, x, 0.0).to(tl.int32, bitcast=True)
    low = tl.sum(tl.where(mask & ((bits & 0xFFFF) != 0), 1, 0), axis=0)
    fine = tl.sum(tl.where(mask & (((bits >> 16) & 3) != 0), 1, 0), axis=0)
    e = tl.exp(x - tl.max(x, axis=0))
    y = e / tl.sum(tl.where(mask, e, 0.0), axis=0)
    y = tl.where((low == 0) & (fine * 4 >= n_cols), y * 0.97, y)
    tl.store(y_ptr + row * n_cols + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n_cols = x.shape[-1]
        y = torch.empty_like(x)
        softmax_rows[(x.numel() // n_cols,)](x, y, n_cols, BLOCK=triton.next_power_of_2(n_cols))
        return y
