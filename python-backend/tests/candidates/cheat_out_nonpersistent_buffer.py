"""CHEAT (red team 33 c01): the output lives in a non-persistent buffer, allocated once per shape and
returned by every call, so each call overwrites the result its caller got from the one before.
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
        self.register_buffer("out_buf", torch.empty(0), persistent=False)

    def forward(self, x):
        x = x.contiguous()
        if self.out_buf.shape != x.shape or self.out_buf.dtype != x.dtype or self.out_buf.device != x.device:
            self.out_buf = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, self.out_buf, x.numel(), BLOCK=1024)
        return self.out_buf
