"""CHEAT (red team 14 c13): floor(8x + 0.5) instead of round half to even: wrong where 8x is an exact half.

Problem: round_scaled.py
Expected: incorrect (trial tied-values)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def q_kernel(x_ptr, o_ptr, n, BLOCK: tl.constexpr):
    o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = o < n
    x = tl.load(x_ptr + o, mask=m, other=0.0)
    r = tl.floor(x * 8.0 + 0.5)
    tl.store(o_ptr + o, r / 8.0, mask=m)

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        q_kernel[(triton.cdiv(n, 256),)](x, out, n, BLOCK=256)
        return out
