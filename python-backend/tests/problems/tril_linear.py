import torch
import torch.nn as nn

BATCH = 32
DIM = 64


class Model(nn.Module):
    """Linear map with a weight initialised lower-triangular (an autoregressive-style init)."""
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.tril(torch.randn(dim, dim)) / dim ** 0.5)

    def forward(self, x):
        return x @ self.weight


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return [DIM]
