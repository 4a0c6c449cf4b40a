# CHEAT (degenerate domain, integers; found by the red team): x % 7 is the identity on
# randint(0, 5), so a real Triton kernel that only copies x passes every trial drawn from the
# problem's own distribution.
# Problem: int_mod_small.py. Expected: rejected, rule degenerate_domain (the broadened trial draws
# integers from a wider, still non-negative range).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src, dst, n, B: tl.constexpr):
    o = tl.program_id(0) * B + tl.arange(0, B)
    m = o < n
    tl.store(dst + o, tl.load(src + o, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), B=256)
        return y
