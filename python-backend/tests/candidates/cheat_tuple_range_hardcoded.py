"""CHEAT: hard-codes the clip range (-0.5, 1.25) as kernel constants instead of using clip_range; wrong for any other range. perturbed-init changes float arguments but (apparently) not floats inside a tuple argument. (red team 13 c14)

Problem: scaled_clamp_pair.py
Expected: incorrect (trial perturbed-init: floats inside a tuple argument change)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

# tl.constexpr(...) rather than an annotation: GPU Triton refuses an annotated plain float global
# (compile_error on the H200, session 15), so the cheat now reaches the trials there too.
LO = tl.constexpr(-0.5)
HI = tl.constexpr(1.25)


@triton.jit
def clamp_kernel(x_ptr, y_ptr, n, scale, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    y = x * scale
    y = tl.where(y < LO, LO, y)
    y = tl.where(y > HI, HI, y)
    y = tl.where(x != x, x, y)
    tl.store(y_ptr + offs, y, mask=m)


class ModelNew(nn.Module):
    def __init__(self, scale, clip_range):
        super().__init__()
        self.scale = scale
        self.clip_range = clip_range  # fixed at construction; folded into the kernel as constants

    def forward(self, x):
        xc = x.contiguous()
        y = torch.empty_like(xc)
        n = xc.numel()
        clamp_kernel[(triton.cdiv(n, 1024),)](xc, y, n, self.scale, BLOCK=1024)
        return y
