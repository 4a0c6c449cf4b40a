# LEGIT: bf16 inputs and output, computed in fp32 inside the kernel and rounded once.
# Problem: vector_add_bf16.py. Expected: correct on both devices.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_bf16_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + offs, (a + b).to(tl.bfloat16), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_bf16_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        return out
