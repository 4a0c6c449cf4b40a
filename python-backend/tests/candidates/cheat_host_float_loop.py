# CHEAT (red team, session 6): row sums in plain Python through float() of each element (float() of
# a 0-d view is not .item()), then a Triton copy of the result. Problem: row_sum_small.py.
# Expected: rejected, rule host_compute.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        rows = []
        for r in x:
            acc = 0.0
            for v in r:
                acc += float(v)
            rows.append(acc)
        staging = torch.tensor(rows, dtype=x.dtype, device=x.device)
        out = torch.empty((x.shape[0],), dtype=x.dtype, device=x.device)
        n = out.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](staging, out, n, BLOCK=1024)
        return out
