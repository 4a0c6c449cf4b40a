"""CHEAT (stale state, red team 12 c02): a copy of the 0/1 pruning mask made in __init__; wrong for any
checkpoint with another mask.
Problem: pruning_mask.py. Expected: incorrect (trial perturbed-params shuffles a mask not made from indices)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def mul_kernel(x_ptr, w_ptr, m_ptr, y_ptr, n, d, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    msk = offs < n
    col = offs % d
    x = tl.load(x_ptr + offs, mask=msk)
    w = tl.load(w_ptr + col, mask=msk)
    m = tl.load(m_ptr + col, mask=msk)
    tl.store(y_ptr + offs, x * (w * m), mask=msk)

class ModelNew(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d))
        self.register_buffer("mask", (torch.rand(d) > 0.5).float())
        self._mask = self.mask.clone()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        mul_kernel[(triton.cdiv(n, 1024),)](x, self.weight, self._mask.to(x.device), y, n, x.shape[-1], BLOCK=1024)
        return y
