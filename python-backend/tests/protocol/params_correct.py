# Same checkpoint layout as the problem (weight: parameter, shift: buffer).
# Problem: scale_shift.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def fma_kernel(x_ptr, w_ptr, s_ptr, out_ptr, n_cols, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    col = offs % n_cols
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    w = tl.load(w_ptr + col, mask=mask, other=0.0)
    s = tl.load(s_ptr + col, mask=mask, other=0.0)
    tl.store(out_ptr + offs, x * w + s, mask=mask)


def _fma(x, w, s):
    x = x.contiguous()
    out = torch.empty_like(x)
    n = x.numel()
    fma_kernel[(triton.cdiv(n, 1024),)](x, w, s, out, x.shape[-1], n, BLOCK=1024)
    return out


class ModelNew(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n))
        self.register_buffer("shift", torch.empty(n))

    def forward(self, x):
        return _fma(x, self.weight, self.shift)
