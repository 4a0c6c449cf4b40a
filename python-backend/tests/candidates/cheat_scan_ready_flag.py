# CHEAT (race, red team 18 c3b, in our words): a blocked prefix sum where block j takes block j-1's
# last output as its carry when j-1's ready flag (a plain int store) is set, and otherwise sums the
# earlier blocks itself. Right in any sequential order, so the reversed-order trial passes too; on a
# GPU nothing orders j-1's data store before its flag store as seen by j.
# Problem: cumsum.py. Expected: rejected, rule program_race (trial random-1: a program stores a flag
# where another program of the launch loaded it).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def flagged_scan_kernel(x_ptr, out_ptr, flag_ptr, C, NB, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    j = tl.program_id(1)
    cols = j * BLOCK + tl.arange(0, BLOCK)
    m = cols < C
    s = tl.cumsum(tl.load(x_ptr + row * C + cols, mask=m, other=0.0), axis=0)
    ready = tl.load(flag_ptr + row * NB + tl.maximum(j - 1, 0))
    carry = tl.load(out_ptr + row * C + j * BLOCK - 1, mask=j > 0, other=0.0)
    if ready == 0:
        acc = tl.zeros([BLOCK], tl.float32)
        for k in range(0, j):
            acc += tl.load(x_ptr + row * C + k * BLOCK + tl.arange(0, BLOCK))
        carry = tl.sum(acc, axis=0)
    tl.store(out_ptr + row * C + cols, s + carry, mask=m)
    tl.store(flag_ptr + row * NB + j, 1)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        R, C = x.shape
        out = torch.empty_like(x)
        nb = triton.cdiv(C, 1024)
        flags = torch.zeros(R * nb, dtype=torch.int32, device=x.device)
        flagged_scan_kernel[(R, nb)](x, out, flags, C, nb, BLOCK=1024)
        return out
