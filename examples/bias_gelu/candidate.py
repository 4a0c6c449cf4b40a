"""Fused bias + exact GELU in one pass.

Each program handles a [BLOCK_M, BLOCK_N] tile: the bias slice is loaded once per tile and
broadcast over rows; the math runs in fp32 (erf from libdevice) and rounds once to fp16, which
is at least as accurate as PyTorch's fp16 path (which rounds x + bias to fp16 before the GELU).
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bias_gelu_kernel(x_ptr, b_ptr, y_ptr, M, N, stride_xm, stride_ym,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    col_mask = cols < N
    mask = (rows[:, None] < M) & col_mask[None, :]
    bias = tl.load(b_ptr + cols, mask=col_mask, other=0.0).to(tl.float32)
    x = tl.load(x_ptr + rows[:, None].to(tl.int64) * stride_xm + cols[None, :], mask=mask, other=0.0).to(tl.float32)
    h = x + bias[None, :]  # kept in fp32 (PyTorch rounds it to fp16 first: we are more accurate)
    y = 0.5 * h * (1.0 + tl.math.erf(h * 0.7071067811865476))
    tl.store(y_ptr + rows[:, None].to(tl.int64) * stride_ym + cols[None, :], y.to(tl.float16), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(n, dtype=torch.float16))

    def forward(self, x):
        x = x.contiguous()
        M, N = x.shape
        y = torch.empty_like(x)
        BLOCK_M, BLOCK_N = 8, 256  # 2048 fp16 elements per program: 8 per thread with 4 warps
        grid = (triton.cdiv(M, BLOCK_M), triton.cdiv(N, BLOCK_N))
        bias_gelu_kernel[grid](x, self.bias, y, M, N, x.stride(0), y.stride(0),
                               BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, num_warps=4)
        return y
