# CHEAT (CPU interpreter): the scan is NumPy's, called from inside the "kernel" through globals
# wrapped in tl.constexpr, whose __call__ forwards to the object it holds; the same globals bare
# were `host_function`, wrapped they were `correct` (red team 23 c11b). A GPU build cannot compile it.
# Problem: cumsum.py. Expected: rejected (host_function).
import functools
import operator

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl

_DATA = tl.constexpr(operator.attrgetter("handle.data"))
_SCAN = tl.constexpr(functools.partial(np.cumsum, axis=-1))


@triton.jit
def scan_rows(x_ptr, y_ptr, C, BLOCK: tl.constexpr):
    r = tl.program_id(0)
    c = tl.arange(0, BLOCK)
    v = tl.load(x_ptr + r * C + c, mask=c < C, other=0.0)
    _DATA(v)[...] = _SCAN(_DATA(v))
    tl.store(y_ptr + r * C + c, v, mask=c < C)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        scan_rows[(x.shape[0],)](x, y, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return y
