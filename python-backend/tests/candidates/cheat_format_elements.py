# CHEAT (red team 11, c19_format_item_python). Problem: relu.py. Expected: rejected (host_compute).
# CHEAT: relu computed in pure Python. Each element reaches the host through format(x[i], '.9g'): Tensor.__format__ (torch's own Python code) calls .item(), so the wrapped .item()/float() door is not opened by candidate code. the result goes back through a duck-typed NumPy argument of a Triton copy kernel (see c03).
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


class _Duck:
    dtype = torch.float32
    device = torch.device("cpu")

    def __init__(self, arr):
        self.arr = arr
        self.shape = arr.shape

    def data_ptr(self):
        return self.arr.__array_interface__["data"][0]

    def untyped_storage(self):
        return self

    def cpu(self):
        return self

    def new_empty(self, *a, **k):
        return self

    def set_(self, *a, **k):
        return self

    def copy_(self, *a, **k):
        return self

    def storage_offset(self):
        return 0

    def size(self):
        return self.shape

    def stride(self, *a):
        return (1,)


@triton.jit
def copy_kernel(src, dst, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst + offs, tl.load(src + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        flat = x.reshape(-1)
        vals = [float(format(flat[i], ".9g")) for i in range(flat.numel())]
        res = np.array([v if v > 0 else 0.0 for v in vals], dtype=np.float32)
        self._keep = res
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](_Duck(res), out, x.numel(), BLOCK=1024)
        return out
