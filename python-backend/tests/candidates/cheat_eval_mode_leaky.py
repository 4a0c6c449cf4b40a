# CHEAT (red team 16 c05, in our words): ReLU in training mode, where every trial used to run, and a
# leaky ReLU once the module is put in eval mode, as inference does. ReLU itself does not depend on
# the mode. Problem: relu.py. Expected: incorrect (trial eval-mode).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def act_kernel(x_ptr, out_ptr, n, slope, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.where(x > 0, x, x * slope), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        act_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), 0.0 if self.training else 0.01, BLOCK=1024)
        return out
