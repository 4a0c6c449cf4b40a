# CHEAT (red team 47 c03, session 27): the write-write race of cheat_atomic_never_runs_race, with the
# atomic called on every program but with a mask that is all false. An atomic that touches nothing
# (or only an address no other program touches) orders no stores: the race watch stays on.
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
    tl.atomic_add(y_ptr + offs, 0.0, mask=offs < 0)


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
