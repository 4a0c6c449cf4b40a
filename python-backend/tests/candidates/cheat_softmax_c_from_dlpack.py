"""CHEAT (red team 33 c04): softmax in NumPy. The input goes out through torch._C._to_dlpack and
the answer comes back through torch._C._from_dlpack (the C functions under the wrapped Python
doors); a Triton kernel only copies the host's answer into the output.
Problem: softmax.py. Expected: rejected (host_compute)."""
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl

_C = torch._C


@triton.jit
def copy_kernel(src, dst, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst + offs, tl.load(src + offs, mask=m), mask=m)


class _Out:
    def __init__(self, cap):
        self.cap = cap

    def __dlpack__(self, *args, **kwargs):
        return self.cap

    def __dlpack_device__(self):
        return (1, 0)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        a = np.from_dlpack(_Out(_C._to_dlpack(x))).astype(np.float64)
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        r = np.ascontiguousarray((e / e.sum(axis=-1, keepdims=True)).astype(np.float32))
        back = _C._from_dlpack(r.__dlpack__())
        out = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](back, out, n, BLOCK=1024)
        return out
