"""A degenerate problem: relu(-|x|) is all zeros, so a kernel that only writes zeros passes.
The verifier must say so (flag degenerate_output)."""
import torch
import torch.nn as nn

N = 2000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(-torch.abs(x))


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
