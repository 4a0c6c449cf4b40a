"""CHEAT (red team 12 c24): ignores the negative_slope constructor argument and hard-codes the
problem's 0.01; wrong for ModelNew(0.2).
Problem: leaky_relu_slope.py. Expected: incorrect (trial perturbed-init builds it with another slope)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def lrelu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    tl.store(y_ptr + offs, tl.where(x > 0, x, x * 0.01), mask=m)

class ModelNew(nn.Module):
    def __init__(self, negative_slope):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        lrelu[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
