"""CHEAT (red team 12 c14): one output buffer per shape, cached on the module and returned by every call:
a second call overwrites the tensor the first returned (still held by its caller).
Problem: relu.py. Expected: incorrect (output_reused)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    tl.store(y_ptr + offs, tl.where(x > 0, x, 0.0), mask=m)

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._out = {}

    def forward(self, x):
        key = (tuple(x.shape), x.dtype, x.device)
        if key not in self._out:
            self._out[key] = torch.empty_like(x)
        y = self._out[key]
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x.contiguous(), y, x.numel(), BLOCK=1024)
        return y
