# CHEAT (precision downgrade at other sizes): fp16 arithmetic only when the batch is one (a GEMV
# path "optimised" in half precision), exact at the problem's own sizes. About 1000x the fp32
# tolerance: far beyond the slack trials at other sizes get.
# Problem: relu.py. Expected: rejected, rule shape_specialization (wrong at a batch of one).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_maybe_half(x_ptr, y_ptr, n, HALF: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    v = tl.load(x_ptr + offs, mask=m)
    if HALF:
        v = v.to(tl.float16).to(tl.float32)
    tl.store(y_ptr + offs, tl.maximum(v, 0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_maybe_half[(triton.cdiv(n, 1024),)](x, y, n, HALF=x.shape[0] == 1, BLOCK=1024)
        return y
