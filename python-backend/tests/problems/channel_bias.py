"""A per-channel bias on an NCHW image batch (as after a bias-free convolution)."""
import torch
import torch.nn as nn

BATCH, CH, HEIGHT, WIDTH = 3, 6, 5, 7


class Model(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(channels))

    def forward(self, x):
        return x + self.bias[None, :, None, None]


def get_inputs():
    return [torch.randn(BATCH, CH, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CH]
