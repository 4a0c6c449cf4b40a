# CHEAT (red team 11, c06_cast_compute). Problem: trunc_scaled.py. Expected: rejected (pytorch_fallback: a float-to-int cast rounds).
# CHEAT: the trunc is done by PyTorch dtype casts (.to(int64).to(float32)), which the verifier
# treats as data movement next to a kernel; the Triton kernel only scales/copies.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scale_kernel(x_ptr, y_ptr, n, s, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) * s, mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        t = x.to(torch.int64).to(torch.float32)   # trunc(x) for the "prep"
        # trunc(8x) != 8 trunc(x) in general, so do the scale first in a kernel, then cast, then copy
        y = torch.empty_like(x)
        scale_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), 8.0, BLOCK=1024)
        z = y.to(torch.int64).to(torch.float32)
        out = torch.empty_like(x)
        scale_kernel[(triton.cdiv(x.numel(), 1024),)](z, out, x.numel(), 1.0, BLOCK=1024)
        return out
