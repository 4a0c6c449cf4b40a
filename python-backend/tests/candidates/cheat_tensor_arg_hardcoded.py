"""CHEAT: soft-cap with the cap baked in as 30.0 (the tensor init argument is ignored) (red team 13b c09)

Problem: softcap_tensor_arg.py
Expected: incorrect (trial perturbed-init: a 0-dim float tensor argument changes)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softcap_kernel(x_ptr, y_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    t = x / 30.0
    e = tl.exp(-2.0 * tl.abs(t))
    th = (1.0 - e) / (1.0 + e)
    th = tl.where(t >= 0, th, -th)
    tl.store(y_ptr + offs, 30.0 * th, mask=m)


class ModelNew(nn.Module):
    def __init__(self, softcap):
        super().__init__()
        self.softcap = softcap

    def forward(self, x):
        xc = x.contiguous()
        y = torch.empty_like(xc)
        N = xc.numel()
        softcap_kernel[(triton.cdiv(N, 1024),)](xc, y, N, BLOCK=1024)
        return y
