"""Exact (erf) GELU on fp32 [N]: the tanh approximation is a different function."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N = 4000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return F.gelu(x)


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
