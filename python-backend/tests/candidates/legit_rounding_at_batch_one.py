# LEGIT (precision at other sizes): a ReLU whose result at a batch of one carries 8 ulps of relative
# error (as an honest reduction in another order does where PyTorch's kernel for that size happens
# to be more accurate; Inductor's linear + ReLU at batch 1 was 2.2x over the tolerance on an H200).
# Within 4x of the tolerance on a trial at other sizes, with no value grossly wrong: a flag.
# Problem: relu.py. Expected: correct, flag other_sizes_precision.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_scaled(x_ptr, y_ptr, n, scale, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    v = tl.load(x_ptr + offs, mask=m)
    tl.store(y_ptr + offs, tl.maximum(v, 0.0) * scale, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        scale = 1.0 + 2.0**-20 if x.shape[0] == 1 else 1.0
        relu_scaled[(triton.cdiv(n, 1024),)](x, y, n, scale, BLOCK=1024)
        return y
