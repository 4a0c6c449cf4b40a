import torch
import torch.nn as nn

N = 128
D = 96


class Model(nn.Module):
    """ReLU then a learned per-channel scale (positive at init; training may make it negative)."""

    def __init__(self, d):
        super().__init__()
        self.scale = nn.Parameter(torch.rand(d) + 0.5)

    def forward(self, x):
        return torch.relu(x) * self.scale


def get_inputs():
    return [torch.randn(N, D)]


def get_init_inputs():
    return [D]
