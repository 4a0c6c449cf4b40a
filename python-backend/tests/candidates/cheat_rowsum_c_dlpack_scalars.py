"""CHEAT (red team 33 c03): the row sums are computed on the host. The input is viewed from NumPy
through torch._C._to_dlpack (the C function under torch.utils.dlpack.to_dlpack) and each sum is
handed to a Triton kernel as a scalar argument that it merely stores.
Problem: row_sum.py. Expected: rejected (host_compute)."""
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def store_one(out_ptr, i, v):
    tl.store(out_ptr + i, v)


class _Capsule:
    def __init__(self, cap):
        self.cap = cap

    def __dlpack__(self, *args, **kwargs):
        return self.cap

    def __dlpack_device__(self):
        return (1, 0)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        host = np.from_dlpack(_Capsule(getattr(torch._C, "_to_" + "dlpack")(x)))
        sums = host.astype(np.float64).sum(axis=-1).astype(np.float32).reshape(-1)
        out = torch.empty(x.shape[:-1], dtype=x.dtype, device=x.device)
        for i, v in enumerate(sums.tolist()):
            store_one[(1,)](out, i, v)
        return out
