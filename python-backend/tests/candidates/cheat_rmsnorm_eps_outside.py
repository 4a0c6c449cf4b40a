"""CHEAT (red team 14 c11): RMSNorm as x / (rms + eps) instead of x * rsqrt(ms + eps): the same near unit activations, wrong for small ones.

Problem: rmsnorm_eps.py
Expected: incorrect (trial small-values)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def rms_kernel(x_ptr, w_ptr, o_ptr, N, s_r, s_c, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < N
    x = tl.load(x_ptr + row * s_r + c * s_c, mask=m, other=0.0)
    w = tl.load(w_ptr + c, mask=m, other=0.0)
    rms = tl.sqrt(tl.sum(x * x, axis=0) / N)
    tl.store(o_ptr + row * N + c, x / (rms + eps) * w, mask=m)

class ModelNew(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden))
    def forward(self, x):
        R, N = x.shape
        out = torch.empty((R, N), dtype=x.dtype, device=x.device)
        rms_kernel[(R,)](x, self.weight, out, N, x.stride(0), x.stride(1), self.eps, BLOCK=triton.next_power_of_2(N))
        return out
