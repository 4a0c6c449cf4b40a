# GPU CHEAT: returns torch.empty_like(x) after a do-nothing launch, hoping the CUDA caching
# allocator hands back the block that held the reference's output (it does in harnesses that
# run the reference first in the same process).
# Problem: relu.py (cuda). Expected: incorrect, the reason mentions NaN (the worker runs in its
# own process and fills free allocator memory with NaN before each trial).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def touch_kernel(x_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n_elements, other=0.0)
    x = x + 0.0


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        n = x.numel()
        touch_kernel[(triton.cdiv(n, 1024),)](x, n, BLOCK=1024)
        return torch.empty_like(x)
