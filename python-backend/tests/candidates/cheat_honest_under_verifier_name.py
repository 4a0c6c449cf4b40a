# CHEAT: exact only when its module's name looks like the verifier's import (it was imported as
# `_tritonize_candidate_N`); a user's `import` gets a leaky ReLU. `correct` on every trial (red
# team 23 c02); the worker imports a file under its own name now.
# Problem: relu.py. Expected: incorrect.
import torch
import torch.nn as nn
import triton
import triton.language as tl

_SLOPE = 0.0 if __name__.startswith("_tritonize") else 0.1


@triton.jit
def leaky(x_ptr, y_ptr, n, slope, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    v = tl.load(x_ptr + i, mask=m)
    tl.store(y_ptr + i, tl.where(v > 0, v, v * slope), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        leaky[(triton.cdiv(n, 1024),)](x, y, n, _SLOPE, BLOCK=1024)
        return y
