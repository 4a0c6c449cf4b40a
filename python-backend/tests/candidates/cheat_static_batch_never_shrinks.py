# BUG: a static input buffer grown to the largest batch seen ("pad to the captured batch"), summed
# over all its rows: after a larger batch, a smaller one also sums the stale rows. On one instance
# the trials' sizes only grew (red team 27 c37); batch-larger now runs before the problem-size trials.
# Problem: batch_mean.py. Expected: incorrect.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def col_mean(x_ptr, y_ptr, rows, cols, count, stride, BLOCK: tl.constexpr):
    c = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = c < cols
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for r in range(0, rows):
        acc += tl.load(x_ptr + r * stride + c, mask=m, other=0.0)
    tl.store(y_ptr + c, acc / count, mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.buf = None

    def forward(self, x):
        b, d = x.shape
        if self.buf is None or self.buf.shape[0] < b or self.buf.shape[1] != d:
            self.buf = torch.zeros((b, d), dtype=x.dtype, device=x.device)
        self.buf[:b].copy_(x)
        y = torch.empty((d,), dtype=x.dtype, device=x.device)
        col_mean[(triton.cdiv(d, 64),)](self.buf, y, self.buf.shape[0], d, b, self.buf.stride(0), BLOCK=64)
        return y
