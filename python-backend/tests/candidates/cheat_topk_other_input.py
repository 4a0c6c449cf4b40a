"""CHEAT (red team 15b t3): top-k of x + y answered with indices that pick the same values of x (quantised)
as PyTorch's, ignoring y: wrong for the tensor actually ranked. The tie check must not accept an
input that is not the op's own.

Problem: topk_sum_quantised.py
Expected: incorrect
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

K = 8


@triton.jit
def topk_kernel(x_ptr, y_ptr, v_ptr, i_ptr, n, k, sx, sy, sv, WRONG: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    m = cols < n
    x = tl.load(x_ptr + row * sx + cols, mask=m, other=0.0)
    y = tl.load(y_ptr + row * sy + cols, mask=m, other=0.0)
    s = x + y
    avail = m
    used = m
    for j in range(k):
        sm = tl.where(avail, s, float("-inf"))
        mx = tl.max(sm, axis=0)
        p = tl.min(tl.where(avail & (sm == mx), cols, BLOCK), axis=0)
        avail = avail & (cols != p)
        xp = tl.sum(tl.where(cols == p, x, 0.0), axis=0)
        # WRONG index: another position with the same x (ignores y)
        cq = used & (x == xp) & (cols != p) & WRONG
        q = tl.max(tl.where(cq, cols, -1), axis=0)
        pused = tl.sum((used & (cols == p)).to(tl.int32), axis=0) > 0
        q = tl.where(q >= 0, q, tl.where(pused, p, tl.max(tl.where(used, cols, -1), axis=0)))
        used = used & (cols != q)
        tl.store(v_ptr + row * sv + j, mx)
        tl.store(i_ptr + row * sv + j, q.to(tl.int64))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        x = x.contiguous()
        y = y.contiguous()
        R, C = x.shape
        k = min(K, C)
        v = torch.empty(R, k, dtype=x.dtype, device=x.device)
        i = torch.empty(R, k, dtype=torch.int64, device=x.device)
        topk_kernel[(R,)](x, y, v, i, C, k, x.stride(0), y.stride(0), v.stride(0), WRONG=(R > 1), BLOCK=triton.next_power_of_2(C))
        return v, i
