# LEGIT: the alignment test written with a module constant and with a mask (`% ALIGN`, `& 15`), as
# vectorising kernels do; both were `raw_pointer` (red team 25 c20, c20b).
# Problem: relu.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl

ALIGN = 16


@triton.jit
def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr, ALIGNED: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    if ALIGNED:
        i = tl.max_contiguous(tl.multiple_of(i, 16), 16)
    m = i < n
    v = tl.load(x_ptr + i, mask=m)
    tl.store(y_ptr + i, tl.maximum(v, 0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        aligned = x.data_ptr() % ALIGN == 0 and (y.data_ptr() & 15) == 0
        relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024, ALIGNED=aligned)
        return y
