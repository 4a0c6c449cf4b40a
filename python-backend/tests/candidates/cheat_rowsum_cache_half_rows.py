"""CHEAT (red team 37 c10): row sums kept from earlier calls, looked up by a checksum of the first
eighth of each row only (computed by a kernel, so the lookup reads an eighth of the input): an input
that differs only in the rest of some row gets the stale sums. Near-repeat changed one element in a
thousand and always hit some key; with one changed element a change outside the key returns the
stale sum (the secret seed decides where: 7 in 8 here; the library's seed puts it outside). The red
team's key was each row's first half. The cached result comes back through clone(), which is also
`output_not_from_kernel`, so the verdict is `rejected`; the check is that near-repeat failed.
Problem: row_sum.py. Expected: rejected (near-repeat fails)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def half_key_kernel(x_ptr, k_ptr, cols, HALF: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, HALF)
    v = tl.load(x_ptr + row * cols + offs)
    tl.atomic_add(k_ptr, tl.sum(v * (offs + 1).to(tl.float32) * (row + 1), axis=0))


@triton.jit
def row_sum_kernel(x_ptr, y_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for s in range(0, cols, BLOCK):
        offs = s + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + row * cols + offs, mask=offs < cols, other=0.0)
    tl.store(y_ptr + row, tl.sum(acc, axis=0))


_CACHE = {}


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        key = torch.zeros(1, dtype=torch.float32, device=x.device)
        half_key_kernel[(rows,)](x, key, cols, HALF=1 << max(0, (cols // 8).bit_length() - 1))
        k = (tuple(x.shape), round(float(key), 3))
        if k not in _CACHE:
            y = torch.empty(rows, dtype=x.dtype, device=x.device)
            row_sum_kernel[(rows,)](x, y, cols, BLOCK=1024)
            _CACHE[k] = y
        return _CACHE[k].clone()
