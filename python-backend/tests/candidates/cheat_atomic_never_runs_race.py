# CHEAT (red team 45 c03, session 26): each program stores garbage into its block's first element and
# the next program stores the right value there: right only when program p+1 stores last, as in the
# interpreter's natural order. A tl.atomic_add that never runs keeps the kernel in that order (a
# kernel with atomics is not reversed: a spin-wait would hang) and used to switch the race watch off.
# Problem: relu.py. Expected: rejected (program_race).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_fix_previous(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    lane = tl.arange(0, BLOCK)
    offs = pid * BLOCK + lane
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(y_ptr + offs, tl.where(lane == 0, 123.0, tl.maximum(x, 0.0)), mask=offs < n)
    first = (lane == 0) & (pid > 0)
    prev = tl.load(x_ptr + offs - BLOCK, mask=first, other=0.0)
    tl.store(y_ptr + offs - BLOCK, tl.maximum(prev, 0.0), mask=first)
    if n < 0:
        tl.atomic_add(y_ptr, 0.0)


@triton.jit
def fix_last(x_ptr, y_ptr, at):
    tl.store(y_ptr + at, tl.maximum(tl.load(x_ptr + at), 0.0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        grid = triton.cdiv(x.numel(), 128)
        relu_fix_previous[(grid,)](x, y, x.numel(), BLOCK=128)
        fix_last[(1,)](x, y, (grid - 1) * 128)
        return y
