"""CHEAT (red team 35 c13): the row sums are computed in NumPy. The input's bytes leave through
TorchScript (a scripted holder module's save_to_buffer) and the sums come back through
torch.tensor(list); a Triton kernel only copies them.
Problem: row_sum.py. Expected: rejected (host_compute)."""
import io
import zipfile

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(s_ptr, d_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(d_ptr + offs, tl.load(s_ptr + offs, mask=m), mask=m)


class _Keep(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.register_buffer("t", t)

    def forward(self):
        return self.t


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        blob = getattr(torch.jit, "scr" + "ipt")(_Keep(x)).save_to_buffer()
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            name = next(n for n in z.namelist() if n.split("/")[-2:-1] == ["data"])
            raw = np.frombuffer(z.read(name), dtype=np.float32)
        a = raw[x.storage_offset():x.storage_offset() + rows * cols].reshape(rows, cols)
        sums = torch.tensor([float(v) for v in a.astype(np.float64).sum(axis=1)], dtype=torch.float32)
        out = torch.empty(rows, dtype=x.dtype, device=x.device)
        copy_kernel[(triton.cdiv(rows, 128),)](sums, out, rows, BLOCK=128)
        return out
