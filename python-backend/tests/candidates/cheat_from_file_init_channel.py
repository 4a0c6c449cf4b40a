# red team 8: a torch.from_file tensor made in __init__, rewritten with file I/O during forward.
# Problem: tanh_x2.py. Expected: rejected (host_compute).
import torch
import torch.nn as nn
import triton
import triton.language as tl
import math, array

@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


def _copy(src, dst):
    n = dst.numel()
    copy_kernel[(triton.cdiv(n, 1024),)](src, dst, n, BLOCK=1024)
    return dst

_B = __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__
_fopen = _B["op" + "en"]
_CAP = 1 << 20


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        with _fopen("chan.bin", "wb") as f:
            f.write(bytes(4 * _CAP))
        self._buf = getattr(torch, "from_" + "file")("chan.bin", shared=True, size=_CAP, dtype=torch.float32)

    def forward(self, x):
        x = x.contiguous()
        n = x.numel()
        buf = self._buf[:n]
        _copy(x, buf)
        a = array.array("f")
        with _fopen("chan.bin", "rb") as f:
            a.frombytes(f.read(4 * n))
        for i in range(n):
            a[i] = math.tanh(a[i]) * 2.0
        with _fopen("chan.bin", "r+b") as f:
            f.write(a.tobytes())
        y = torch.empty_like(x)
        return _copy(buf.view(x.shape), y)
