# LEGIT: a ReLU kernel written for the problem's 64x64 input that says so: any other shape raises
# before a launch (as Inductor's conv template asserts its weight's sizes, bench suite 20 and 21).
# It returns nothing wrong anywhere, so it is correct at the problem's sizes, with a flag.
# Problem: relu.py. Expected: correct, flag shape_restricted.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_64(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs), 0.0))


class ModelNew(nn.Module):
    def forward(self, x):
        if tuple(x.shape) != (64, 64) or not x.is_contiguous():
            raise ValueError(f"relu_64 handles contiguous 64x64 inputs only, got {tuple(x.shape)}")
        y = torch.empty_like(x)
        relu_64[(64,)](x, y, BLOCK=64)
        return y
