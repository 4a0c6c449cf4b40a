"""float64 clamp with bounds beyond the float32 range (from an independent red team, session 4)."""
import torch
import torch.nn as nn
N = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return torch.clamp(x, -1.0e30, 1.0e30)


def get_inputs():
    return [torch.randn(N, dtype=torch.float64)]


def get_init_inputs():
    return []
