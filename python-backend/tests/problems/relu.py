"""ReLU on a square fp32 matrix [R, C] (square so that a transposed result keeps the shape)."""
import torch
import torch.nn as nn

R = 64
C = 64


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(R, C)]


def get_init_inputs():
    return []
