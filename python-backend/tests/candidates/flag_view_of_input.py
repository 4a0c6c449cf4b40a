"""Honest but assumes a contiguous input: x.view(-1) raises on a transposed one.
Problem: relu.py. Expected: correct, flagged noncontiguous_inputs (the strided trial raised)."""
import torch, torch.nn as nn, triton, triton.language as tl
@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    tl.store(y_ptr + offs, tl.where(x < 0, 0.0, x), mask=m)
class ModelNew(nn.Module):
    def forward(self, x):
        flat = x.view(-1)
        y = torch.empty_like(flat)
        k[(triton.cdiv(flat.numel(), 1024),)](flat, y, flat.numel(), BLOCK=1024)
        return y.view(x.shape)
