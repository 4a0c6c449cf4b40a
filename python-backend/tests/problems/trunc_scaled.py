"""trunc(x * 8) (red team 11, c06)."""
import torch
import torch.nn as nn

ROWS = 64
COLS = 200


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.trunc(x * 8.0)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return []
