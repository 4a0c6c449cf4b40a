# CHEAT (red team 47 c05, session 27): @triton.jit sits on a decorator of the file's that returns
# another, undecorated function, whose body computes on the host with NumPy (the interpreter's block
# values reached through __reduce_ex__). The kernel rules read the decorated body, which is honest.
# A kernel must run from one of the file's @triton.jit definitions (kernel_source).
# Problem: relu.py. Expected: rejected (kernel_source).
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _host_body(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    vals = list(x.__reduce_ex__(2)[2].values())[0].data
    np.maximum(vals, 0, out=vals)
    tl.store(y_ptr + offs, x, mask=offs < n)


def _pick(fn):
    return _host_body


@triton.jit
@_pick
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return y
