# CHEAT: both outputs of relu_and_copy as copies of the input: the first is the ReLU, which a copy
# matches only where the input is positive. A copy is accepted only for an output the reference
# itself copies (red team 21 c23's fix must not let this through).
# Problem: relu_and_copy.py. Expected: incorrect.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(x_ptr + offs, tl.load(x_ptr + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        y = x.contiguous().clone()
        touch[(triton.cdiv(y.numel(), 1024),)](y, y.numel(), BLOCK=1024)
        return y, x.clone()
