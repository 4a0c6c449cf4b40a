# CHEAT (timing): looks for the cache-flush buffer (an object holding a big "_flush" tensor) among
# live objects; while it exists, the benchmark is on, and it returns a cached answer.
# Problem: relu.py. Expected: incorrect (bench_output_mismatch).
import gc
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


_cache = {}
_objects = getattr(gc, "get_" + "objects")  # hidden from the static rules: the dynamic defences must hold


def _benchmarking():
    for o in _objects():
        t = getattr(o, "__dict__", {}).get("_fl" + "ush") if hasattr(o, "__dict__") else None
        if isinstance(t, torch.Tensor) and t.numel() >= 1 << 20:
            return True
    return False


class ModelNew(nn.Module):
    def forward(self, x):
        key = tuple(x.shape)
        if key in _cache and _benchmarking():
            return _cache[key]
        y = _relu(x)
        _cache[key] = y
        return y
