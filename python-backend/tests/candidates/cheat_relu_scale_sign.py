"""CHEAT (sign assumption, red team 12 c04): relu(x * s) in one pass instead of relu(x) * s. Equal
while every s >= 0, as at init; wrong for a checkpoint where training made a scale negative.

Problem: relu_scale.py
Expected: incorrect (trial perturbed-params: some values of scale negative)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scaled_relu(x_ptr, s_ptr, y_ptr, n, d, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    s = tl.load(s_ptr + offs % d, mask=m)
    tl.store(y_ptr + offs, tl.maximum(x * s, 0.0), mask=m)


class ModelNew(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.scale = nn.Parameter(torch.rand(d) + 0.5)

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        scaled_relu[(triton.cdiv(x.numel(), 1024),)](x, self.scale, y, x.numel(), x.shape[-1], BLOCK=1024)
        return y
