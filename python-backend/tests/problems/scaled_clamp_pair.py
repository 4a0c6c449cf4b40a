import torch
import torch.nn as nn

ROWS = 64
COLS = 300


class Model(nn.Module):
    """Scaled clamp with the range given as a (lo, hi) pair: clamp(x * scale, lo, hi)."""
    def __init__(self, scale, clip_range):
        super().__init__()
        self.scale = scale
        self.lo, self.hi = clip_range

    def forward(self, x):
        return torch.clamp(x * self.scale, self.lo, self.hi)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return [1.7, (-0.5, 1.25)]
