# WRONG IN GENERAL: the whole row is one block, BLOCK_C = n_cols as a constexpr. At the problem's
# size (4096, a power of two) it compiles and is right; at the varied size tl.arange(0, 2047) does
# not compile.
# Problem: row_sum.py. Expected: rejected, rule shape_specialization (a compile error only the
# shape-variation trial triggers), never compile_error.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, stride_row, BLOCK_C: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_C)
    tl.store(out_ptr + row, tl.sum(tl.load(x_ptr + row * stride_row + cols), axis=0))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_sum_kernel[(x.shape[0],)](x, out, x.stride(0), BLOCK_C=x.shape[1])
        return out
