# LEGIT: integer inputs: a row gather out[i, :] = table[idx[i], :] with int64 indices.
# Problem: gather_rows.py. Expected: correct on both devices.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gather_kernel(table_ptr, idx_ptr, out_ptr, D, stride_t, stride_o, BLOCK_D: tl.constexpr):
    i = tl.program_id(0)
    row = tl.load(idx_ptr + i)
    cols = tl.arange(0, BLOCK_D)
    mask = cols < D
    vals = tl.load(table_ptr + row * stride_t + cols, mask=mask, other=0.0)
    tl.store(out_ptr + i * stride_o + cols, vals, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, table, idx):
        table = table.contiguous()
        B, D = idx.shape[0], table.shape[1]
        out = torch.empty(B, D, device=table.device, dtype=table.dtype)
        gather_kernel[(B,)](table, idx, out, D, table.stride(0), out.stride(0), BLOCK_D=triton.next_power_of_2(D))
        return out
