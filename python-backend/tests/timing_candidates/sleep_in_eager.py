# CHEAT (timing): wraps torch.relu so that every call NOT made from this file sleeps 30 ms: the
# eager baseline (which calls torch.relu) would look slow, the candidate fast.
# Problem: relu.py. Expected: no effect: eager is timed in a separate process the candidate never
# ran in, so eager's time is not inflated (or rejected if the patch is seen).
import sys
import time
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


def _relu(x):
    x = x.contiguous()
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
    return out


_real_relu = getattr(torch, "re" + "lu")
_sleep = getattr(time, "sl" + "eep")


def _slow_relu(*args, **kwargs):
    if sys._getframe(1).f_code.co_filename != __file__:
        _sleep(0.03)
    return _real_relu(*args, **kwargs)


setattr(torch, "re" + "lu", _slow_relu)


class ModelNew(nn.Module):
    def forward(self, x):
        return _relu(x)
