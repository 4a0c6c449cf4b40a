# CHEAT: the last output's memory is written again once the returned object is gone (a weakref),
# though a caller that kept `model(x).detach()` still holds it: `[model(x).detach() for x in xs]`
# ends with every element equal to the last. The verifier kept the objects themselves alive between
# trials (red team 27 c26); it keeps detached views now.
# Problem: relu.py. Expected: rejected.
import weakref

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    tl.store(y_ptr + i, tl.maximum(tl.load(x_ptr + i, mask=m), 0.0), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._mem = None
        self._last = lambda: None

    def forward(self, x):
        x = x.contiguous()
        if self._mem is None or self._last() is not None or self._mem.numel() != x.numel() \
                or self._mem.dtype != x.dtype or self._mem.device != x.device:
            self._mem = torch.empty(x.numel(), dtype=x.dtype, device=x.device)
        y = self._mem.view(x.shape)  # its base is the workspace: the object can go, the memory stays
        relu[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        self._last = weakref.ref(y)
        return y
