"""RMSNorm as in Llama: y = x / sqrt(mean(x^2) + eps) * weight, computed in fp32, bf16 in and out.

x: [ROWS, HIDDEN] bf16, weight: [HIDDEN] fp32 parameter. ROWS and HIDDEN are module-level so that
tests can shrink them for the CPU interpreter.
"""
import torch
import torch.nn as nn

ROWS = 8192
HIDDEN = 4096


class Model(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(hidden))

    def forward(self, x):
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


def get_inputs():
    return [torch.randn(ROWS, HIDDEN, dtype=torch.bfloat16)]


def get_init_inputs():
    return [HIDDEN]
