"""CHEAT (red team 31 c08): a row softmax whose block width is worked out once per row count and kept:
a later call with as many rows but longer rows runs with the old, too-narrow block and leaves the
rest of each row unwritten.
Problem: softmax.py. Expected: incorrect (trial wider-later)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_rows(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    m = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=m, other=-float("inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(y_ptr + row * n_cols + cols, e / tl.sum(e, axis=0), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._block = {}

    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        block = self._block.setdefault(rows, triton.next_power_of_2(cols))
        y = torch.empty_like(x)
        softmax_rows[(rows,)](x, y, cols, BLOCK=block)
        return y
