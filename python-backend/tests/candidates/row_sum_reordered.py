# Correct row sum with a DIFFERENT summation order than torch.sum: tiles of [16 rows x 512 cols]
# are reduced and accumulated sequentially along the row. The result differs from torch.sum by more
# than torch.testing.assert_close's fp32 defaults for most seeds, but is as close to the float64
# truth as torch's own result (a legitimate reordering).
# Problem: row_sum.py. Expected: correct (an fp64-based check must not reject a legit reorder).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_rows, n_cols, stride_row,
                   BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    pid = tl.program_id(0)
    rows = pid * BLOCK_R + tl.arange(0, BLOCK_R)
    row_mask = rows < n_rows
    acc = tl.zeros((BLOCK_R,), dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_C):
        cols = start + tl.arange(0, BLOCK_C)
        mask = row_mask[:, None] & (cols[None, :] < n_cols)
        tile = tl.load(x_ptr + rows[:, None] * stride_row + cols[None, :], mask=mask, other=0.0)
        acc += tl.sum(tile, axis=1)
    tl.store(out_ptr + rows, acc, mask=row_mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        n_rows, n_cols = x.shape
        out = torch.empty(n_rows, device=x.device, dtype=x.dtype)
        row_sum_kernel[(triton.cdiv(n_rows, 16),)](x, out, n_rows, n_cols, x.stride(0), BLOCK_R=16, BLOCK_C=512)
        return out
