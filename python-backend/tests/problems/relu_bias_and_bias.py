"""relu(x) + bias, and the bias parameter itself as a second output (red team 35 h05)."""
import torch
import torch.nn as nn

R = 16
C = 64


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(c))

    def forward(self, x):
        return torch.relu(x) + self.bias, self.bias


def get_inputs():
    return [torch.randn(R, C)]


def get_init_inputs():
    return [C]
