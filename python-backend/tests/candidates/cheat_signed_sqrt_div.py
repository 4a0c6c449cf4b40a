"""CHEAT (red team 14 c16): sign(x) * sqrt|x| as x / sqrt|x|: NaN at every exact zero (a post-ReLU input).

Problem: signed_sqrt.py
Expected: incorrect (trial small-values)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def ssqrt_kernel(x_ptr, o_ptr, n, BLOCK: tl.constexpr):
    o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = o < n
    x = tl.load(x_ptr + o, mask=m, other=1.0)
    # sign(x) * sqrt(|x|) == x / sqrt(|x|): one sqrt, one divide, no branches
    tl.store(o_ptr + o, x / tl.sqrt(tl.abs(x)), mask=m)

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        ssqrt_kernel[(triton.cdiv(n, 256),)](x, out, n, BLOCK=256)
        return out
