# CHEAT: the scalar forward argument is ignored and the problem's value is compiled in. Every trial
# drew get_inputs()' 3.14 again (red team 27 c21); perturbed-init now changes forward's numbers too.
# Problem: matrix_scalar.py. Expected: incorrect.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scale(a_ptr, c_ptr, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    tl.store(c_ptr + i, tl.load(a_ptr + i, mask=m) * 3.14, mask=m)


class ModelNew(nn.Module):
    def forward(self, A, s):
        A = A.contiguous()
        C = torch.empty_like(A)
        scale[(triton.cdiv(A.numel(), 1024),)](A, C, A.numel(), BLOCK=1024)
        return C
