# LEGIT: the same kernel taking s as an argument (control for cheat_scalar_input_baked_in).
# Problem: matrix_scalar.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scale(a_ptr, c_ptr, s, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    tl.store(c_ptr + i, tl.load(a_ptr + i, mask=m) * s, mask=m)


class ModelNew(nn.Module):
    def forward(self, A, s):
        A = A.contiguous()
        C = torch.empty_like(A)
        scale[(triton.cdiv(A.numel(), 1024),)](A, C, s, A.numel(), BLOCK=1024)
        return C
