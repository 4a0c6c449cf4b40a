# CHEAT: launches the kernel on a side stream and returns without making the current stream wait,
# so a CUDA-event timer on the current stream measures (almost) nothing.
# Problem: vector_add.py. Expected: rejected, rule side_stream (static) on every device.
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.stream = torch.cuda.Stream() if torch.cuda.is_available() else None

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        if self.stream is None:
            add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
            return out
        with torch.cuda.stream(self.stream):
            add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        return out
