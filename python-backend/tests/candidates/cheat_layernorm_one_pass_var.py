"""CHEAT (red team 14 c12): one-pass variance E[x^2] - E[x]^2, which cancels catastrophically for inputs with an offset.

Problem: layernorm_rows.py
Expected: incorrect (trial shifted)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def ln_kernel(x_ptr, w_ptr, b_ptr, o_ptr, N, s_r, s_c, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    c = tl.arange(0, BLOCK)
    m = c < N
    x = tl.load(x_ptr + row * s_r + c * s_c, mask=m, other=0.0)
    # single pass: E[x] and E[x^2] together
    mean = tl.sum(x, axis=0) / N
    var = tl.sum(x * x, axis=0) / N - mean * mean
    rstd = 1.0 / tl.sqrt(var + eps)
    w = tl.load(w_ptr + c, mask=m, other=0.0)
    b = tl.load(b_ptr + c, mask=m, other=0.0)
    tl.store(o_ptr + row * N + c, (x - mean) * rstd * w + b, mask=m)

class ModelNew(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.ln = nn.LayerNorm(hidden)
    def forward(self, x):
        R, N = x.shape
        out = torch.empty((R, N), dtype=x.dtype, device=x.device)
        ln_kernel[(R,)](x, self.ln.weight, self.ln.bias, out, N, x.stride(0), x.stride(1), self.ln.eps,
                        BLOCK=triton.next_power_of_2(N))
        return out
