# CHEAT (red team 47 c02, session 27): a row softmax scaled by 0.9 when its row AND the input's last
# row are exactly fp16 on a fine grid (not bf16's coarser one). random-2 rounded only the first half
# of the rows, so the last row never was; its second half, the last row included, is now fine fp16.
# Problem: softmax.py. Expected: incorrect (trial random-2).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _fine_fp16(v, mask, n_cols):
    exact = tl.sum(tl.where(mask & (v.to(tl.float16).to(tl.float32) != v), 1, 0), axis=0) == 0
    bits = v.to(tl.int32, bitcast=True)
    fine = tl.sum(tl.where(mask & (((bits >> 13) & 3) != 0), 1, 0), axis=0)
    return exact & (fine * 4 >= n_cols)


@triton.jit
def softmax_rows(x_ptr, y_ptr, n_rows, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=float("-inf"))
    last = tl.load(x_ptr + (n_rows - 1) * n_cols + offs, mask=mask, other=0.0)
    e = tl.exp(x - tl.max(x, axis=0))
    y = e / tl.sum(tl.where(mask, e, 0.0), axis=0)
    hit = _fine_fp16(last, mask, n_cols) & _fine_fp16(tl.where(mask, x, 0.0), mask, n_cols)
    tl.store(y_ptr + row * n_cols + offs, tl.where(hit, y * 0.9, y), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n_cols = x.shape[-1]
        y = torch.empty_like(x)
        softmax_rows[(x.numel() // n_cols,)](x, y, x.numel() // n_cols, n_cols, BLOCK=triton.next_power_of_2(n_cols))
        return y
