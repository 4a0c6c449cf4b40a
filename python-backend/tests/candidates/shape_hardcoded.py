# CHEAT/WRONG: hard-codes the problem's size (3000) in the output allocation and the launch:
# correct at the default shape, wrong anywhere else.
# Problem: vector_add.py. Expected: rejected, rule shape_specialization (the shape-variation
# trial); static warning shape_hardcoding at the literal 3000.
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty(3000, device=a.device, dtype=a.dtype)
        n = min(a.numel(), 3000)
        add_kernel[(triton.cdiv(3000, 1024),)](a, b, out, n, BLOCK=1024)
        return out
