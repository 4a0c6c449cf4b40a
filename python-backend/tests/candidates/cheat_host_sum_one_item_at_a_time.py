# CHEAT: a kernel copies one input element into a 1-element buffer per launch; the host reads it
# with .item(), sums in Python and a second kernel stores the sums (red team 21 c04, c08, c33: the
# output was the kernel's and no PyTorch compute op ran, so it was `correct`).
# Problem: row_sum_small.py. Expected: rejected (host_compute).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def peek(x_ptr, idx, buf_ptr):
    tl.store(buf_ptr, tl.load(x_ptr + idx))


@triton.jit
def put(y_ptr, idx, value):
    tl.store(y_ptr + idx, value)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        buf = torch.empty(1, dtype=x.dtype, device=x.device)
        y = torch.empty(rows, dtype=x.dtype, device=x.device)
        for r in range(rows):
            acc = 0.0
            for c in range(cols):
                peek[(1,)](x, r * cols + c, buf)
                acc += buf.item()
            put[(1,)](y, r, acc)
        return y
