# GPU CHEAT: memoizes outputs by input identity (data_ptr, shape and two sampled values). Every
# verification trial has fresh inputs, so it computes honestly there and verifies as correct; in
# a benchmark that calls it again and again on the same tensors it launches nothing and returns
# the remembered output ("100x faster").
# Problem: examples/softmax/problem.py (cuda, bench). Expected: never a clean speedup: the
# benchmark flags impossible_timing (faster than reading the input at peak bandwidth) and reports
# no speedup, or the verdict is rejected/incorrect. Static warning caching.
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_cols, stride_x, stride_y, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=-float("inf"))
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    tl.store(y_ptr + row * stride_y + cols, num / tl.sum(num, axis=0), mask=mask)


def _launch(x, y):
    rows, cols = x.shape
    softmax_kernel[(rows,)](x, y, cols, x.stride(0), y.stride(0), BLOCK=triton.next_power_of_2(cols), num_warps=8)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._memo = {}

    def forward(self, x):
        flat = x.view(-1)
        key = (x.data_ptr(), tuple(x.shape), float(flat[0]), float(flat[-1]))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        x = x.contiguous()
        y = torch.empty_like(x)
        _launch(x, y)
        self._memo[key] = y
        return y
