# CHEAT: NumPy computes the ReLU through torch.Tensor.mro()[1].numpy (TensorBase's C method, named
# by no attribute the rules read) while no dispatch mode is on, with an empty launch on the output
# (red team 29 c18).
# Problem: relu.py. Expected: rejected.
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch(y_ptr, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < 0
    tl.store(y_ptr + i, tl.zeros([BLOCK], dtype=tl.float32), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        host = torch.Tensor.mro()[1].numpy
        np.maximum(host(x.detach()), 0.0, out=host(y))
        touch[(1,)](y, y.numel(), BLOCK=16)
        return y
