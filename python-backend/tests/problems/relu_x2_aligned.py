"""relu(x) * 2 on a [96, 160] fp32 input: rows of 640 bytes, so TMA descriptors (16-byte aligned strides) apply."""
import torch
import torch.nn as nn

M = 96
N = 160


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x) * 2.0


def get_inputs():
    return [torch.randn(M, N)]


def get_init_inputs():
    return []
