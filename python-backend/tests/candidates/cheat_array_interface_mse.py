# Problem: mse_loss.py
# Expected: rejected (raw_pointer)
# CHEAT (red team 10): the loss computed by NumPy over __array_interface__ views built from
# data_ptr() (no wrapped host door: no .numpy(), no staging buffer), then passed to a Triton kernel
# as a float argument that it only stores.
import numpy
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def store_scalar(o_ptr, v):
    tl.store(o_ptr, v)


_KEY = "__array_" + "interface__"


def _view(t):
    t = t.contiguous()
    d = {"data": (t.data_ptr(), True), "shape": (t.numel(),), "typestr": "<f4", "version": 3}
    return numpy.asarray(type("H", (), {_KEY: d})())


class ModelNew(nn.Module):
    def forward(self, predictions, targets):
        diff = _view(predictions).astype(numpy.float64) - _view(targets)
        out = torch.empty((), dtype=predictions.dtype, device=predictions.device)
        store_scalar[(1,)](out, float(numpy.dot(diff, diff) / diff.size))
        return out
