# CHEAT (red team 10): honest only under torch.no_grad(), the verifier's mode; a user's plain
# model(a, b) gets half the sum. Problem: vector_add.py. Expected: incorrect (one trial runs with
# gradients on).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a, b, out, n, scale, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out + offs, (tl.load(a + offs, mask=m) + tl.load(b + offs, mask=m)) * scale, mask=m)


class ModelNew(nn.Module):
    def forward(self, a, b):
        out = torch.empty_like(a)
        scale = 1.0 if not torch.is_grad_enabled() else 0.5
        add_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, out, a.numel(), scale, BLOCK=1024)
        return out
