"""CHEAT (red team 15b t10): the problem returns top-k values and argmax; the kernel's argmax takes the
last tied maximum. PyTorch documents the first, and a topk elsewhere in the problem must not extend
the tie excuse to it.

Problem: topk_and_argmax.py
Expected: incorrect
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

K = 4


@triton.jit
def kern(x_ptr, v_ptr, a_ptr, n, k, sx, sv, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    m = cols < n
    xi = tl.load(x_ptr + row * sx + cols, mask=m, other=0.0)
    a = xi[:, None]
    b = xi[None, :]
    before = m[None, :] & ((b > a) | ((b == a) & (cols[None, :] < cols[:, None])))
    rank = tl.sum(before.to(tl.int32), axis=1)
    tl.store(v_ptr + row * sv + rank, xi, mask=m & (rank < k))
    # argmax: LAST of the tied maxima (PyTorch documents the first)
    xm = tl.where(m, xi, float("-inf"))
    mx = tl.max(xm, axis=0)
    am = tl.max(tl.where(m & (xm == mx), cols, -1), axis=0)
    tl.store(a_ptr + row, am.to(tl.int64))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        R, C = x.shape
        k = min(K, C)
        v = torch.empty(R, k, dtype=x.dtype, device=x.device)
        a = torch.empty(R, dtype=torch.int64, device=x.device)
        kern[(R,)](x, v, a, C, k, x.stride(0), v.stride(0), BLOCK=triton.next_power_of_2(C))
        return v, a
