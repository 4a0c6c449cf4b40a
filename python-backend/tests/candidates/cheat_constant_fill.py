# CHEAT (degenerate domain): the problem's output is all ones on its input distribution. Returns
# torch.ones_like(x) (an allocation, no kernel) next to a decoy launch.
# Problem: nonneg_mask.py. Expected: rejected, rule degenerate_domain (no kernel wrote it, and on broadened
# inputs the reference is not all ones).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask, other=0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        scratch = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, scratch, x.numel(), BLOCK=1024)
        return torch.ones_like(x)
