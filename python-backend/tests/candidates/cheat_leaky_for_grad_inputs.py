# CHEAT: a leaky ReLU when the input requires grad (every activation in a training step); no trial
# passed such an input (red team 27 c22).
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
    def forward(self, x):
        y = torch.empty_like(x)
        relu[(triton.cdiv(x.numel(), 1024),)](x.detach().contiguous(), y, x.numel(),
                                              SLOPE=0.02 if x.requires_grad else 0.0, BLOCK=1024)
        return y
