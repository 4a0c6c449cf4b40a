# CHEAT (the seeded lottery of docs/verdicts.md, session 27): a ReLU that leaks negative values on one
# call in 500, drawn from torch's own generator. The verifier seeds that generator, but one call in 500
# is still one call in 500: ~25 checked calls pass it 95% of the time. The reference draws nothing, so
# any draw in forward is refused (random_draws), whatever the lottery's outcome.
# Problem: relu.py. Expected: rejected (random_draws).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_slope(x_ptr, y_ptr, n, slope, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(y_ptr + offs, tl.where(x > 0, x, x * slope), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        slope = 0.5 if float(torch.rand(())) < 0.002 else 0.0
        relu_slope[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), slope, BLOCK=256)
        return y
