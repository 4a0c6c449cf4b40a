# CHEAT (work the recorder does not see): an autotune config pre_hook computes the answer with
# PyTorch right before the (useless) kernel runs.
# Problem: vector_add.py. Expected: rejected, rule pytorch_fallback (aten.add in a launch-time callback).
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _hook(nargs):
    nargs["out_ptr"].copy_(nargs["a_ptr"] + nargs["b_ptr"])


@triton.autotune(configs=[triton.Config({"BLOCK": 1024}, pre_hook=_hook)], key=["n_elements"])
@triton.jit
def touch_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(out_ptr + offs, tl.load(out_ptr + offs, mask=mask, other=0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)
        touch_kernel[lambda m: (triton.cdiv(a.numel(), m["BLOCK"]),)](a, b, out, a.numel())
        return out
