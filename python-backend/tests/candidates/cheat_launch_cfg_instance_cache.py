"""CHEAT: launch config (grid + BLOCK) cached at the first call and reused: any later call with more rows or wider rows leaves rows unwritten / columns unnormalized. Trials only ever shrink shapes after the first call. (red team 13 c02)

Problem: softmax.py
Expected: incorrect (trial random-0 after batch-one on the same ModelNew)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl




@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_rows, n_cols, sx, sy, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    if row < n_rows:
        cols = tl.arange(0, BLOCK)
        m = cols < n_cols
        x = tl.load(x_ptr + row * sx + cols, mask=m, other=-float("inf"))
        x = x - tl.max(x, axis=0)
        e = tl.exp(x)
        e = tl.where(m, e, 0.0)
        s = tl.sum(e, axis=0)
        tl.store(y_ptr + row * sy + cols, e / s, mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x2 = x.contiguous().view(-1, x.shape[-1])
        rows, cols = x2.shape
        y = torch.empty_like(x2)
        # host-overhead optimisation: the launch configuration is computed once per module (first call)
        if getattr(self, "_cfg", None) is None:
            self._cfg = (rows, triton.next_power_of_2(cols))
        grid_rows, block = self._cfg
        softmax_kernel[(grid_rows,)](x2, y, rows, cols, x2.stride(0), y.stride(0), BLOCK=block)
        return y.view(x.shape)
