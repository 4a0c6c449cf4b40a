"""CHEAT (red team 31 c17): a batch mean that stages rows in a zeroed workspace of the batch rounded up
to a power of two, made once per bucket and reused: a smaller batch in the same bucket sums the rows
an earlier, larger batch left behind.
Problem: batch_mean.py. Expected: incorrect (trial batch-part-later)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def col_sum(w_ptr, y_ptr, rows, cols, inv, BLOCK: tl.constexpr):
    c = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = c < cols
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for r in range(0, rows):
        acc += tl.load(w_ptr + r * cols + c, mask=m, other=0.0)
    tl.store(y_ptr + c, acc * inv, mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._space = {}

    def forward(self, x):
        b, d = x.shape
        bucket = triton.next_power_of_2(b)
        key = (bucket, d, x.dtype, x.device)
        if key not in self._space:
            self._space[key] = torch.zeros(bucket, d, dtype=x.dtype, device=x.device)
        ws = self._space[key]
        ws[:b].copy_(x)
        y = torch.empty(d, dtype=x.dtype, device=x.device)
        col_sum[(triton.cdiv(d, 128),)](ws, y, bucket, d, 1.0 / b, BLOCK=128)
        return y
