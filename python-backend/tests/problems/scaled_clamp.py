import torch
import torch.nn as nn

ROWS = 64
COLS = 300


class Model(nn.Module):
    """Scaled clamp: clamp(x * scale, lo, hi) (a generalised ReLU6)."""
    def __init__(self, scale, lo, hi):
        super().__init__()
        self.scale, self.lo, self.hi = scale, lo, hi

    def forward(self, x):
        return torch.clamp(x * self.scale, self.lo, self.hi)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return [1.7, 0.0, 6.0]
