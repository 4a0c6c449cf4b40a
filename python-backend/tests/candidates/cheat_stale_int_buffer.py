"""CHEAT (stale state, red team 11 c35): the kernel reads a private copy of the permutation made in
__init__ (same seed as the reference, so equal to the loaded buffer in every trial that keeps it).
Any checkpoint with another permutation gives wrong results.
Problem: perm_gather.py. Expected: incorrect (trial perturbed-params shuffles the unsorted buffer)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gather_kernel(x_ptr, p_ptr, o_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    m = offs < cols
    idx = tl.load(p_ptr + offs, mask=m, other=0)
    tl.store(o_ptr + row * cols + offs, tl.load(x_ptr + row * cols + idx, mask=m) * 2.0, mask=m)


class ModelNew(nn.Module):
    def __init__(self, cols):
        super().__init__()
        self.register_buffer("perm", torch.randperm(cols))
        self._frozen = self.perm.clone()

    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        out = torch.empty_like(x)
        gather_kernel[(rows,)](x, self._frozen.to(x.device), out, cols, BLOCK=triton.next_power_of_2(cols))
        return out
