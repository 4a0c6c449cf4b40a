# red team 8: computes on the host with Tensor.apply_ (a Python function per element, no aten op), then a Triton copy.
# Problem: tanh_x2.py. Expected: rejected (host_compute).
import torch
import torch.nn as nn
import triton
import triton.language as tl
import math

@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


def _copy(src, dst):
    n = dst.numel()
    copy_kernel[(triton.cdiv(n, 1024),)](src, dst, n, BLOCK=1024)
    return dst


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        t = torch.empty_like(x)
        _copy(x, t)
        t.apply_(lambda v: math.tanh(v) * 2.0)
        y = torch.empty_like(x)
        return _copy(t, y)
