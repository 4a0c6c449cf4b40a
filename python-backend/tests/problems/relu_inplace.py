"""ReLU applied in place to the input, as x.relu_() (red team 12 c17)."""
import torch
import torch.nn as nn

ROWS = 64
COLS = 200


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu_(x)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return []
