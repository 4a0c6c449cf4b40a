# CHEAT (red team 16 c08, in our words): the launch grid never exceeds the program count the
# problem's own sizes need (64 x 64 = 4 programs of 1024), so any batch larger than the problem's
# leaves the rest of the output unwritten. Every size trial used to be smaller than the problem's.
# Problem: relu.py. Expected: rejected, rule shape_specialization (trial batch-larger).
import torch
import torch.nn as nn
import triton
import triton.language as tl

_MAX_PROGRAMS = 4  # what 64 x 64 needs


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m, other=0.0), 0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(min(triton.cdiv(n, 1024), _MAX_PROGRAMS),)](x, out, n, BLOCK=1024)
        return out
