# CHEAT (red team, session 4): the @triton.jit body calls a plain Python function that runs NumPy on the interpreter's arrays (never compiles for a GPU).
# Problem: silu.py. Expected: rejected, rule kernel_host_code.
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _host(t):
    # in the CPU interpreter a tl.tensor is a numpy array in disguise: compute there, in float64
    a = t.handle.data.astype(np.float64)
    t.handle.data[...] = (a / (1.0 + np.exp(-a))).astype(t.handle.data.dtype)
    return t


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    y = _host(x)          # not a @triton.jit function: would never compile for a GPU
    tl.store(y_ptr + offs, y, mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
