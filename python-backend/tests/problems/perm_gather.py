"""Columns gathered through a permutation buffer, times 2 (red team 11, c35: an integer buffer whose
order is the model's state)."""
import torch
import torch.nn as nn

ROWS = 16
COLS = 48


class Model(nn.Module):
    def __init__(self, cols):
        super().__init__()
        self.register_buffer("perm", torch.randperm(cols))

    def forward(self, x):
        return x[:, self.perm] * 2.0


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return [COLS]
