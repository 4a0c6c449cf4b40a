# WRONG: ReLU written to the transposed position (out[j, i] = relu(x[i, j])). The problem is
# square, so the shape is right and only the values give it away.
# Problem: relu.py. Expected: incorrect (rule mismatch).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_t_kernel(x_ptr, out_ptr, n_rows, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    tl.store(out_ptr + cols * n_rows + row, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        n_rows, n_cols = x.shape
        out = torch.empty((n_cols, n_rows), device=x.device, dtype=x.dtype)
        relu_t_kernel[(n_rows,)](x, out, n_rows, n_cols, BLOCK=triton.next_power_of_2(n_cols))
        return out
