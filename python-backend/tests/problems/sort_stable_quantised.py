"""Problem for cheat_stable_sort_reversed (red team 15b)."""
import torch
import torch.nn as nn

ROWS = 32
COLS = 128


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        v, i = torch.sort(x, dim=-1, stable=True)
        return v, i


def get_inputs():
    return [torch.randint(0, 8, (ROWS, COLS)).float()]


def get_init_inputs():
    return []
