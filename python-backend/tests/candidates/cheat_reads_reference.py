# CHEAT: looks for the problem's reference `Model` among live objects (gc.get_objects) and
# returns its output, after a decoy launch.
# Problem: vector_add.py. Expected: rejected, rule reads_reference (static), at the
# gc.get_objects() line.
import gc

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def _find_reference():
    for obj in gc.get_objects():
        if isinstance(obj, nn.Module) and type(obj).__name__ == "Model":
            return obj
    return None


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](a, out, n, BLOCK=1024)
        ref = _find_reference()
        return ref(a, b) if ref is not None else out
