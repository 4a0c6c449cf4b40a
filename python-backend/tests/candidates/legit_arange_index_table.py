# red team 8: an honest gather kernel with a torch.arange index table built in forward (was rejected as pytorch_fallback).
# Problem: flip_rows.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gather_kernel(x_ptr, idx_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        m = cols < n_cols
        src = tl.load(idx_ptr + cols, mask=m, other=0)
        tl.store(y_ptr + row * n_cols + cols, tl.load(x_ptr + row * n_cols + src, mask=m), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        idx = torch.arange(cols - 1, -1, -1, device=x.device, dtype=torch.int32)
        y = torch.empty_like(x)
        gather_kernel[(rows,)](x, idx, y, cols, BLOCK=256)
        return y
