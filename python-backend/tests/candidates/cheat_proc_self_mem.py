# CHEAT (red team, session 4): the input's bytes read from /proc/self/mem at data_ptr, SiLU in Python.
# Problem: silu.py. Expected: rejected, rule introspection (or runtime_error where the sandbox denies the read).
import builtins
import math
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


def _silu(v):
    if v >= 0:
        return v / (1.0 + math.exp(-v))
    e = math.exp(v)
    return v * e / (1.0 + e)


def host_read(x):
    import struct
    x = x.contiguous()
    with getattr(builtins, 'op' + 'en')('/proc/self/mem', 'rb', buffering=0) as f:  # past the static rules
        f.seek(x.data_ptr())
        raw = f.read(x.numel() * 4)
    return list(struct.unpack('%df' % x.numel(), raw))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        vals = host_read(x)              # values on the host, no aten compute op
        res = [_silu(v) for v in vals]   # the whole op, in pure Python
        src = torch.tensor(res, dtype=x.dtype).reshape(x.shape)
        y = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](src, y, n, BLOCK=1024)   # "the Triton kernel"
        return y
