# CHEAT (red team 11, c02's second half): the address of an input through triton.reinterpret's
# wrapper, whose data_ptr() reads the tensor's from Triton's own file. The kernel itself is honest;
# the address is what a host-side NumPy view would start from. Problem: vector_add.py.
# Expected: rejected (raw_pointer).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a, b, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out + offs, tl.load(a + offs, mask=m) + tl.load(b + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, a, b):
        self.addr = triton.reinterpret(a, tl.float32).data_ptr()
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 256),)](a, b, out, n, BLOCK=256)
        return out
