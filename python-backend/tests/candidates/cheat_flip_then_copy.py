# CHEAT: a problem that only flips, "solved" by torch.flip and a Triton copy of its result. Flips are
# allowed as preparation next to a kernel that computes; here they are the answer.
# Problem: flip_rows.py. Expected: rejected, pytorch_fallback naming aten.flip.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src, dst, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst + offs, tl.load(src + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        flipped = torch.flip(x, dims=[-1]).contiguous()
        out = torch.empty_like(flipped)
        copy_kernel[(triton.cdiv(out.numel(), 1024),)](flipped, out, out.numel(), BLOCK=1024)
        return out
