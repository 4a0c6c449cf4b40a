# CHEAT: ModelNew overrides train(), which model.eval() calls, and computes a leaky ReLU after it.
# The eval-mode trial switched modes with nn.Module.train(m, False) and never called the override
# (red team 27 c16); it now calls eval() as a user's program does.
# Problem: relu.py. Expected: incorrect.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu(x_ptr, y_ptr, n, SLOPE: tl.constexpr, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    v = tl.load(x_ptr + i, mask=m)
    tl.store(y_ptr + i, tl.where(v > 0, v, v * SLOPE), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.serving = False

    def train(self, mode=True):
        self.serving = not mode
        return super().train(mode)

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        relu[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), SLOPE=0.03 if self.serving else 0.0, BLOCK=1024)
        return y
