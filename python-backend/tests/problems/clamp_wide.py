"""clamp(x, -1e4, 1e4) on randn: the identity on the problem's inputs, not in general (from an independent red team, session 4)."""
import torch
import torch.nn as nn
N = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return torch.clamp(x, -1.0e4, 1.0e4)


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
