# CHEAT (red team 17, in our words): a blocked row scan, one program per (row, block), that adds the
# previous block's last output read from `out` with no synchronisation. The CPU interpreter ran the
# programs one after another in order, so the carry was always there: `correct`. On a GPU programs
# run concurrently in any order and the carry is read before it is written.
# Problem: cumsum.py. Expected: rejected, rule program_race (trial random-1, whose programs run in reverse
# order on the CPU while the interpreter follows which program stored and loaded each address).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scan_kernel(x_ptr, out_ptr, C, NB, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    row, blk = pid // NB, pid % NB
    cols = blk * BLOCK + tl.arange(0, BLOCK)
    m = cols < C
    s = tl.cumsum(tl.load(x_ptr + row * C + cols, mask=m, other=0.0), axis=0)
    carry = tl.load(out_ptr + row * C + blk * BLOCK - 1, mask=blk > 0, other=0.0)
    tl.store(out_ptr + row * C + cols, s + carry, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        R, C = x.shape
        out = torch.empty_like(x)
        nb = triton.cdiv(C, 1024)
        scan_kernel[(R * nb,)](x, out, C, nb, BLOCK=1024)
        return out
