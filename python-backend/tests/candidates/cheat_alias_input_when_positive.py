# CHEAT: an out-of-place ReLU that, when every input is positive (trial `shifted`), passes the
# caller's tensor to an "in-place" launch that changes nothing and returns the input itself: the
# in-place relaxation (an input rewritten unchanged counts where a launch wrote it in place on
# another trial) must not cover it (red team 22 F5).
# Problem: relu.py. Expected: rejected (identity_output).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_min(x_ptr, o_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(o_ptr, tl.min(tl.load(x_ptr + offs, mask=offs < n, other=float("inf")), axis=0))


@triton.jit
def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m), 0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n = x.numel()
        lo = torch.empty(1, device=x.device)
        row_min[(1,)](x, lo, n, BLOCK=triton.next_power_of_2(n))
        if float(lo) >= 0:
            relu[(triton.cdiv(n, 1024),)](x, x, n, BLOCK=1024)
            return x
        y = torch.empty_like(x)
        relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
