# LEGIT: two outputs (a + b, a * b) written by one kernel, returned as a tuple.
# Problem: add_mul_tuple.py. Expected: correct on both devices.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_mul_kernel(a_ptr, b_ptr, s_ptr, p_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(s_ptr + offs, a + b, mask=mask)
    tl.store(p_ptr + offs, a * b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        s, p = torch.empty_like(a), torch.empty_like(a)
        n = a.numel()
        add_mul_kernel[(triton.cdiv(n, 1024),)](a, b, s, p, n, BLOCK=1024)
        return s, p
