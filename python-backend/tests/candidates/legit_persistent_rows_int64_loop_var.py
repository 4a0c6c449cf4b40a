# LEGIT (red team 47 c11, session 27): a persistent row softmax whose tl.range loop variable is
# widened with .to(tl.int64) for the row offset, valid compiled Triton. The CPU interpreter makes the
# loop variable a Python int: not verified there (interpreter_unsupported), not the kernel's error.
# Problem: softmax.py. Expected: runtime_error on the CPU (unverified: interpreter_unsupported); correct on a GPU.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_persistent(x_ptr, y_ptr, n_rows, n_cols, PROGS: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    for row in tl.range(tl.program_id(0), n_rows, PROGS):
        base = row.to(tl.int64) * n_cols
        x = tl.load(x_ptr + base + offs, mask=mask, other=float("-inf"))
        e = tl.exp(x - tl.max(x, axis=0))
        tl.store(y_ptr + base + offs, e / tl.sum(tl.where(mask, e, 0.0), axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n_cols = x.shape[-1]
        rows = x.numel() // n_cols
        y = torch.empty_like(x)
        progs = min(rows, 8)
        softmax_persistent[(progs,)](x, y, rows, n_cols, PROGS=progs, BLOCK=triton.next_power_of_2(n_cols))
        return y
