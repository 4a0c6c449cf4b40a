# GPU CHEAT: launches on a side stream obtained through names built at run time (invisible to the
# static side_stream rule) and returns without making the current stream wait, so CUDA events on
# the current stream time (almost) nothing.
# Problem: vector_add.py (cuda, bench). Expected: never a clean speedup: rejected (timing_forged),
# incorrect (a timed call's output read before it was written), or timing flagged.
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
        cuda = getattr(torch, "cu" + "da")
        self._ctx = getattr(cuda, "str" + "eam")
        self._side = getattr(cuda, "Str" + "eam")()

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        with self._ctx(self._side):
            for _ in range(20):  # make the escaped work large enough to matter
                add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        return out
