# LEGIT: an input passed to the kernel through triton.reinterpret (a view of the same bytes as
# another dtype: here fp32 as fp32); Triton reads its address at the launch, not the candidate.
# Problem: vector_add.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a, b, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out + offs, tl.load(a + offs, mask=m) + tl.load(b + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 256),)](triton.reinterpret(a, tl.float32), b, out, n, BLOCK=256)
        return out
