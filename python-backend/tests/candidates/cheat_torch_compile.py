# CHEAT: launches its own (decoy) Triton kernel, but the answer comes from torch.compile, i.e.
# from Inductor's generated code (on a GPU: Inductor's own Triton kernels), not from the
# candidate's kernels. A "speedup vs Inductor" of ~1x would be presented as a hand-written kernel.
# Problem: vector_add.py. Expected: rejected, rule torch_compile at the torch.compile line (static).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def _add(a, b):
    return a + b


_compiled_add = torch.compile(_add, dynamic=False)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        scratch = torch.empty_like(a)
        n = a.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](a, scratch, n, BLOCK=1024)
        return _compiled_add(a, b)
