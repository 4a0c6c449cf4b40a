"""ReLU of a NON-contiguous input: get_inputs hands over a transposed view [C, R]."""
import torch
import torch.nn as nn

R = 48
C = 80


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(R, C).t()]


def get_init_inputs():
    return []
