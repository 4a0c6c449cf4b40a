# Correct fp16 fused multiply-add: loads fp16, computes in fp32, stores fp16 (at least as accurate
# as PyTorch's fp16 result).
# Problem: fma_fp16.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def fma_kernel(a_ptr, b_ptr, c_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    c = tl.load(c_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + offs, (a * b + c).to(tl.float16), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b, c):
        out = torch.empty_like(a)
        n = a.numel()
        fma_kernel[(triton.cdiv(n, 1024),)](a, b, c, out, n, BLOCK=1024)
        return out
