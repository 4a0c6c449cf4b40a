# LEGIT: prefix sum with tl.associative_scan and a user combine function, one block per row chunk
# plus a running carry (a different fp32 order than torch.cumsum).
# Problem: cumsum.py. Expected: correct on both devices.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_fn(a, b):
    return a + b


@triton.jit
def scan_kernel(x_ptr, out_ptr, n_cols, stride_row, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    carry = 0.0
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * stride_row + cols, mask=mask, other=0.0)
        s = tl.associative_scan(x, 0, add_fn) + carry
        tl.store(out_ptr + row * stride_row + cols, s, mask=mask)
        carry += tl.sum(x, axis=0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        scan_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=2048)
        return out
