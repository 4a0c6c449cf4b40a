# CHEAT (red team 16 c12, in our words): when an input starts past the beginning of its storage (a
# slice or chunk of a larger buffer) it reads from the storage's start instead, which no trial used
# to try. Problem: relu.py. Expected: incorrect (trial random-2, whose inputs sit at an offset).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask, other=0.0), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        if x.storage_offset():
            x = x.as_strided(x.shape, x.stride(), 0)
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
