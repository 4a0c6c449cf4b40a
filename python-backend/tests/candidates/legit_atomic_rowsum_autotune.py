# LEGIT: row sum split over column blocks, partial sums combined with tl.atomic_add into a zeroed
# output; autotuned over two configs with reset_to_zero (Triton zeroes the output between
# benchmark runs). Autotune + atomics + a different summation order.
# Problem: row_sum.py. Expected: correct on both devices.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.autotune(configs=[triton.Config({"BLOCK_C": 512}), triton.Config({"BLOCK_C": 1024})],
                 key=["n_cols"], reset_to_zero=["out_ptr"])
@triton.jit
def partial_sum_kernel(x_ptr, out_ptr, n_cols, stride_row, BLOCK_C: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
    x = tl.load(x_ptr + row * stride_row + cols, mask=cols < n_cols, other=0.0)
    tl.atomic_add(out_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        out = torch.zeros(rows, device=x.device, dtype=torch.float32)
        grid = lambda meta: (rows, triton.cdiv(cols, meta["BLOCK_C"]))
        partial_sum_kernel[grid](x, out, cols, x.stride(0))
        return out
