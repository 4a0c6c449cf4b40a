# ERROR: a Triton compile error inside the kernel: tl.arange needs a power-of-two range
# (1000 is not). Compiled Triton raises CompilationError; the CPU interpreter raises the same
# semantic error while running the kernel.
# Problem: vector_add.py. Expected: compile_error with the diagnostic at line 14 (the tl.arange
# line in the kernel), message mentioning "power of 2".
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, 1000)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 1000),)](a, b, out, n, BLOCK=1000)
        return out
