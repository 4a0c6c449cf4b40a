"""Two outputs from one pass: (a + b, a * b), fp32 [N]."""
import torch
import torch.nn as nn

N = 3000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return a + b, a * b


def get_inputs():
    return [torch.randn(N), torch.randn(N)]


def get_init_inputs():
    return []
