"""SiLU over a 1024-vector (from an independent red team, session 4)."""
import torch
import torch.nn as nn
N = 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return x * torch.sigmoid(x)


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
