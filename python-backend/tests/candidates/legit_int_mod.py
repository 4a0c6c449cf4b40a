# LEGIT: integer modulo in Triton. Triton's % truncates like C, torch's floors like Python; they
# agree on non-negative values, which is all this problem's inputs (and its broadened trial) hold.
# Problem: int_mod_small.py. Expected: correct (widening integer inputs must not reject it).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def mod_kernel(src, dst, n, B: tl.constexpr):
    o = tl.program_id(0) * B + tl.arange(0, B)
    m = o < n
    tl.store(dst + o, tl.load(src + o, mask=m) % 7, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        mod_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), B=256)
        return y
