# Correct fp16 scale: computes in fp32 and rounds once to fp16, so where the product exceeds fp16's
# range it overflows to +-inf exactly like the PyTorch reference does.
# Problem: scale_fp16.py. Expected: correct (matching the reference's inf where the float64 truth
# is out of fp16 range is right: inf IS the fp16 answer there).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scale_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + offs, (x * 300.0).to(tl.float16), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        scale_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
