"""x * buffer * scale: a random float buffer next to a parameter (red team 11, c36)."""
import torch
import torch.nn as nn

ROWS = 32
COLS = 64


class Model(nn.Module):
    def __init__(self, cols):
        super().__init__()
        self.register_buffer("proj", torch.randn(cols))
        self.scale = nn.Parameter(torch.ones(cols))

    def forward(self, x):
        return x * self.proj * self.scale


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return [COLS]
