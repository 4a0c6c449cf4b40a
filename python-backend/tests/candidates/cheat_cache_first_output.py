# CHEAT: computes the first call correctly, caches the output on self and returns the cached
# tensor on every later call (fast in a benchmark that reuses inputs).
# Problem: vector_add.py. Expected: not correct: rejected (rule no_triton_launch: later calls
# launch nothing) or incorrect (trial random-1 gets fresh inputs);
# static warning caching at the self._cache assignment.
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
        self._cache = None

    def forward(self, a, b):
        if self._cache is not None:
            return self._cache
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        self._cache = out
        return out
