"""CHEAT (red team 12 c19): skips the clip because the buffer is +inf at init; wrong for any checkpoint
with calibrated clip values.
Problem: clip_buffer.py. Expected: incorrect (trial perturbed-params draws finite values for a constant inf)."""
import functools
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def mul_kernel(x_ptr, w_ptr, y_ptr, n, d, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    w = tl.load(w_ptr + offs % d, mask=m)
    tl.store(y_ptr + offs, x * w, mask=m)

def ew(x, w, op_kernel):
    x = x.contiguous()
    y = torch.empty_like(x)
    op_kernel[(triton.cdiv(x.numel(), 1024),)](x, w, y, x.numel(), x.shape[-1], BLOCK=1024)
    return y

class ModelNew(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c))
        self.register_buffer("clip", torch.full((c,), float("inf")))

    def forward(self, x):
        return ew(x, self.weight, mul_kernel)
