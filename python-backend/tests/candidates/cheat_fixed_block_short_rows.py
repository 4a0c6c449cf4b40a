# CHEAT (or the common honest mistake): one program per row with the block fixed at 512 and no
# loop, enough for the problem's 500 columns; a longer row is cut silently. Every other size trial
# shrinks the columns, so it was `correct` (red team 23 c07); the batch-larger trial now widens
# every size (2n + 1) where that stays small.
# Problem: softmax.py. Expected: rejected (shape_specialization).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_softmax(x_ptr, y_ptr, n_cols, sx, sy, BLOCK: tl.constexpr):
    r = tl.program_id(0)
    c = tl.arange(0, BLOCK)
    keep = c < n_cols
    v = tl.load(x_ptr + r * sx + c, mask=keep, other=-float("inf"))
    e = tl.exp(v - tl.max(v, axis=0))
    tl.store(y_ptr + r * sy + c, e / tl.sum(e, axis=0), mask=keep)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        row_softmax[(x.shape[0],)](x, y, x.shape[1], x.stride(0), y.stride(0), BLOCK=512)
        return y
