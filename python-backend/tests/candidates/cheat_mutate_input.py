# CHEAT-ish: writes the sum into its first input in place and returns it (saves an allocation,
# but the caller's tensor is destroyed; the reference does not do that).
# Problem: vector_add.py. Expected: incorrect with flag input_mutated (the values are right).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_inplace_kernel(a_ptr, b_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(a_ptr + offs, a + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        n = a.numel()
        add_inplace_kernel[(triton.cdiv(n, 1024),)](a, b, n, BLOCK=1024)
        return a
