# A problem with a parameter and a buffer: y = x * weight + shift (checkpoint: weight, shift).
import torch
import torch.nn as nn

n = 4096


class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n))
        self.register_buffer("shift", torch.randn(n))

    def forward(self, x):
        return x * self.weight + self.shift


def get_inputs():
    return [torch.randn(8, n)]


def get_init_inputs():
    return [n]
