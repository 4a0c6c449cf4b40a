"""Integer modulo with small non-negative inputs (randint(0, 5)): x % 7 is the identity on this
input distribution, though not in general."""
import torch
import torch.nn as nn

ROWS, COLS = 16, 100


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x % 7


def get_inputs():
    return [torch.randint(0, 5, (ROWS, COLS), dtype=torch.int32)]


def get_init_inputs():
    return []
