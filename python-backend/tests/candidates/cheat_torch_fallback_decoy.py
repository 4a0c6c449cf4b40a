# CHEAT: a decoy Triton launch (copies a into a scratch buffer) next to the real answer computed by
# PyTorch (a + b). Launch counting alone would be fooled.
# Problem: vector_add.py. Expected: rejected, rule pytorch_fallback naming aten.add.Tensor.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        scratch = torch.empty_like(a)
        n = a.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](a, scratch, n, BLOCK=1024)
        return a + b
