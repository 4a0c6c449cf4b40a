# FLAG: a row sum that rounds its fp32 inputs to fp16 (half the bytes a GPU would read: about 2x on
# this memory-bound op). Its error is 900-1900x PyTorch's own but within the tolerance for 32768-long
# sums, so `correct` with a flag that says the speedup compares unlike precision (red team 21 c15).
# Problem: row_sum_long.py. Expected: correct, flag lower_precision.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_fp16(x_ptr, y_ptr, C, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, C, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        v = tl.load(x_ptr + row * C + cols, mask=cols < C, other=0.0)
        acc += v.to(tl.float16).to(tl.float32)
    tl.store(y_ptr + row, tl.sum(acc, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        y = torch.empty(rows, dtype=x.dtype, device=x.device)
        row_sum_fp16[(rows,)](x, y, cols, BLOCK=1024)
        return y
