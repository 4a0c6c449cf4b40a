"""CHEAT (red team 35 c10): an honest ReLU kernel, but importing the file makes every nn.ReLU of
the user's program a leaky one (its forward replaced, by a computed setattr).
Problem: relu.py. Expected: rejected (monkeypatch)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

setattr(getattr(torch.nn, "Re" + "LU"), "for" + "ward", lambda self, x: torch.where(x > 0, x, 0.01 * x))


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m), 0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
