# CHEAT (timing, session 16): while timed it enters a TorchFunctionMode and never leaves it, so every
# torch call the harness makes afterwards (the copy kept for the re-check) runs through the
# candidate's code, which can finish or replace work there, off the clock.
# Problem: relu.py. Expected: rejected (mode_left_active during the benchmark).
import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.overrides import TorchFunctionMode


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class Watch(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


_entered = []


class ModelNew(nn.Module):
    def forward(self, x):
        if x._version > 2 and not _entered:
            m = Watch()
            m.__enter__()
            _entered.append(m)
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
