# CHEAT (race, red team 17 race_rmw_sum, in our words): a split row sum where each column block adds
# its partial sum into out[row] with a plain load, add and store instead of tl.atomic_add. Whatever
# order programs run in one after another (the CPU interpreter, forward or reversed), every update
# lands: `correct`. On a GPU the blocks of a row run concurrently and updates are lost.
# Problem: row_sum.py. Expected: rejected, rule program_race (trial random-1: a program loads what
# another program of the launch stored).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def partial_sum_kernel(x_ptr, out_ptr, C, NB, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    row, blk = pid // NB, pid % NB
    cols = blk * BLOCK + tl.arange(0, BLOCK)
    part = tl.sum(tl.load(x_ptr + row * C + cols, mask=cols < C, other=0.0), axis=0)
    tl.store(out_ptr + row, tl.load(out_ptr + row) + part)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        R, C = x.shape
        out = torch.zeros(R, device=x.device, dtype=x.dtype)
        nb = triton.cdiv(C, 1024)
        partial_sum_kernel[(R * nb,)](x, out, C, nb, BLOCK=1024)
        return out
