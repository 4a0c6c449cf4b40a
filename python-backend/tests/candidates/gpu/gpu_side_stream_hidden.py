# GPU CHEAT: launches on a side stream obtained through names built at run time (invisible to the
# static side_stream rule) and returns without making the current stream wait, so CUDA events on
# the current stream time (almost) nothing.
# Problem: examples/softmax/problem.py (cuda, bench; 64 MB in, 64 MB out so the escaped work is
# measurable). Expected: never a clean speedup: rejected (timing_forged), incorrect (a timed
# call's output read before it was written), or timings flagged (host_event_disagreement /
# impossible_timing) with no speedup reported.
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
        cuda = getattr(torch, "cu" + "da")
        self._ctx = getattr(cuda, "str" + "eam")
        self._side = getattr(cuda, "Str" + "eam")()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        with self._ctx(self._side):
            _launch(x, y)
        return y
