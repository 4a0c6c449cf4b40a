"""CHEAT (red team 33 c08): each call writes its result into the input of the call before (kept on
the module), which the caller still holds: the caller's earlier input is silently overwritten.
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
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._held = None

    def forward(self, x):
        prev, self._held = self._held, x
        if prev is not None and prev.shape == x.shape and prev.dtype == x.dtype and prev.is_contiguous():
            y = prev
        else:
            y = torch.empty_like(x)
        xc = x.contiguous()
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](xc, y, x.numel(), BLOCK=1024)
        return y
