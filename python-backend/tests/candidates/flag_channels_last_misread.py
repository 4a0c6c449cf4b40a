"""FLAG (red team 31 c21): handles contiguous and transposed inputs, but reads any other layout in
storage order as if it were NCHW: a channels-last batch gets the wrong bias per element.
Problem: channel_bias.py. Expected: correct, flagged noncontiguous_inputs (strided-inputs is a flag)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bias_kernel(x_ptr, b_ptr, y_ptr, n, C, HW, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    c = (offs // HW) % C
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) + tl.load(b_ptr + c, mask=m), mask=m)


class ModelNew(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(channels))

    def forward(self, x):
        if not x.is_contiguous() and x.transpose(-1, -2).is_contiguous():
            x = x.contiguous()  # the transposed layout is the one it was taught about
        n, C = x.numel(), x.shape[1]
        y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        bias_kernel[(triton.cdiv(n, 256),)](x, self.bias, y, n, C, x.shape[2] * x.shape[3], BLOCK=256)
        return y
