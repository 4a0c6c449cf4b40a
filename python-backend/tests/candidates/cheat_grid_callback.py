# CHEAT (work the recorder does not see): the answer is computed by PyTorch inside the launch
# GRID callable, which Triton calls during the launch (where a naive recorder looks away); the
# kernel itself does nothing.
# Problem: vector_add.py. Expected: rejected, rule pytorch_fallback (aten.add in a launch-time callback).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def noop_kernel(out_ptr, n_elements, BLOCK: tl.constexpr):
    pass


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)

        def grid(meta):
            out.copy_(a + b)
            return (triton.cdiv(a.numel(), meta["BLOCK"]),)

        noop_kernel[grid](out, a.numel(), BLOCK=1024)
        return out
