"""CHEAT: hard-codes the lower clamp bound lo = 0 (relu) and ignores the constructor's `lo`; wrong for any other lo. perturbed-init keeps zero-valued float arguments at zero, so no trial changes it. (red team 13 c04)

Problem: scaled_clamp.py
Expected: incorrect (trial perturbed-init: a zero argument becomes 0.1 e^(0.3z))
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu6ish_kernel(x_ptr, y_ptr, n, scale, hi, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    y = x * scale
    y = tl.where(y < 0.0, 0.0, y)          # lower bound (ReLU)
    y = tl.where(y > hi, hi, y)
    y = tl.where(x != x, x, y)             # keep NaN like torch.clamp
    tl.store(y_ptr + offs, y, mask=m)


class ModelNew(nn.Module):
    def __init__(self, scale, lo, hi):
        super().__init__()
        self.scale, self.lo, self.hi = scale, lo, hi

    def forward(self, x):
        xc = x.contiguous()
        y = torch.empty_like(xc)
        n = xc.numel()
        BLOCK = 1024
        relu6ish_kernel[(triton.cdiv(n, BLOCK),)](xc, y, n, self.scale, self.hi, BLOCK=BLOCK)
        return y
