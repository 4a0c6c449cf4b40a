# CHEAT (red team, session 6): a softmax that handles at most 4096 columns of each row (one tile per
# row, the rest left zero): right at the CPU reduced sizes (COLS 16384 -> 4095), wrong at the
# problem's. Problem: softmax_wide.py.
# Expected: incorrect at the full sizes; in reduced mode, incorrect in the full-extent trial
# (test_reduced_mode_checks_the_largest_size_at_full_value).
import torch
import torch.nn as nn
import triton
import triton.language as tl

MAX_COLS = 4096  # "the common case"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    c = tl.arange(0, BLOCK)
    m = c < n_cols
    x = tl.load(x_ptr + row * stride + c, mask=m, other=-float("inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * stride + c, e / tl.sum(e, axis=0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros_like(x)
        softmax_kernel[(x.shape[0],)](x, out, min(x.shape[1], MAX_COLS), x.shape[1], BLOCK=MAX_COLS)
        return out
