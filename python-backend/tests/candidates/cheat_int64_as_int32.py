"""CHEAT/shortcut (red team 12 c12): int64 addition done in int32 (values truncated): right below 2^31,
wrong for ids or offsets above it.
Problem: int64_add.py. Expected: incorrect (broadened_mismatch: int64 inputs up to 2^40 in the broadened trial)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def k(a_ptr, b_ptr, c_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    a = tl.load(a_ptr + offs, mask=m).to(tl.int32)
    b = tl.load(b_ptr + offs, mask=m).to(tl.int32)
    tl.store(c_ptr + offs, (a + b).to(tl.int64), mask=m)

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        c = torch.empty_like(a)
        k[(triton.cdiv(a.numel(), 1024),)](a, b, c, a.numel(), BLOCK=1024)
        return c
