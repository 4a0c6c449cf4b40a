# LEGIT: clone the input, then a ReLU kernel that loads and stores the clone in place, one program
# per row. On trial `shifted` every input is positive, so the kernel stores back the bytes the clone
# already held: no checksum changes, yet the kernel wrote the output (red team 19 f13, f15: it was
# rejected, output_not_from_kernel).
# Problem: relu.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_rows_inplace(y_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    ptrs = y_ptr + row * stride + cols
    v = tl.load(ptrs, mask=mask, other=0.0)
    tl.store(ptrs, tl.maximum(v, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = x.contiguous().clone()
        rows, cols = y.shape
        relu_rows_inplace[(rows,)](y, cols, y.stride(0), BLOCK=triton.next_power_of_2(cols))
        return y
