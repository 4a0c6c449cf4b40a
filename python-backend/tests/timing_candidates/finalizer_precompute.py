# CHEAT (timing, red team 17, in our words): hangs a finalizer on each timed input. The harness
# dropped the last call's input objects only after refilling the buffers with the next call's
# inputs, so the finalizer ran off the clock on the NEXT inputs and computed 3/4 of the next output;
# the timed call launched the last quarter. Right outputs, about 1/4 of the time (CPU).
# Problem: relu.py. Expected: incorrect (bench_output_mismatch): now the old objects go before the
# refill and no garbage collection runs inside a timed block, so what it precomputes is stale.
import weakref

import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def relu_kernel(x_ptr, out_ptr, start, n, BLOCK: tl.constexpr):
    offs = start + tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m, other=0.0), 0.0), mask=m)


def _run(x, out, start, stop):
    if stop > start:
        relu_kernel[(triton.cdiv(stop - start, BLOCK),)](x, out, start, stop, BLOCK=BLOCK)


_ahead = {}


def _precompute(storage, offset, shape, stride, dtype):
    x = torch.empty(0, dtype=dtype, device=storage.device).set_(storage, offset, shape, stride)
    out = torch.empty(shape, dtype=dtype, device=storage.device)
    _run(x, out, 0, x.numel() * 3 // 4 // BLOCK * BLOCK)
    _ahead[x.data_ptr()] = out


class ModelNew(nn.Module):
    def forward(self, x):
        if x._version > 2 and x.is_contiguous():  # the benchmark refills its buffers in place
            weakref.finalize(x, _precompute, x.untyped_storage(), x.storage_offset(), x.shape, x.stride(), x.dtype)
            out = _ahead.pop(x.data_ptr(), None)
            if out is not None and out.shape == x.shape:
                _run(x, out, x.numel() * 3 // 4 // BLOCK * BLOCK, x.numel())
                return out
        x = x.contiguous()
        out = torch.empty_like(x)
        _run(x, out, 0, x.numel())
        return out
