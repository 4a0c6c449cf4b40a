"""Fused bias + exact (erf) GELU, the activation of a transformer MLP: y = gelu(x + bias).

x: [M, N] fp16, bias: [N] (a parameter, fp16). Memory-bound: one read of x, one write of y.
M and N are module-level so that tests can shrink them (the CPU interpreter is slow at 4096^2).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

M = 4096
N = 4096


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(n, dtype=torch.float16))

    def forward(self, x):
        return F.gelu(x + self.bias)


def get_inputs():
    return [torch.randn(M, N, dtype=torch.float16)]


def get_init_inputs():
    return [N]
