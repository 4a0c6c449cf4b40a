# CHEAT (timing): inspects the call stack; under the benchmark's timer it returns the previous
# answer instead of computing (fast, but stale for new inputs).
# Problem: relu.py. Expected: incorrect (bench_output_mismatch: a secretly chosen timed call re-checked).
import sys
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


_last = []
_frame = getattr(sys, "_get" + "frame")  # hidden from the static rules: the dynamic defences must hold


def _timed():
    f = _frame(2)
    while f is not None:
        code = getattr(f, "f_co" + "de")
        if "tim" + "er" in code.co_filename or code.co_name in ("_one", "block"):
            return True
        f = getattr(f, "f_ba" + "ck")
    return False


class ModelNew(nn.Module):
    def forward(self, x):
        if _last and _timed():
            return _last[0]
        y = _relu(x)
        _last[:] = [y]
        return y
