# CHEAT: x & 0xFFFF computed in float32 (floor and fmod), exact only below 2^24, where the broadened
# trial's integers stopped (red team 27 c17); they now reach 2^28.
# Problem: int_and_mask.py. Expected: incorrect.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def low16(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    v = tl.load(x_ptr + i, mask=m).to(tl.float32)
    r = v - tl.floor(v / 65536.0) * 65536.0
    tl.store(y_ptr + i, r.to(tl.int32), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        low16[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
