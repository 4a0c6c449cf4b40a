"""Inclusive prefix sum along rows of an fp32 matrix [ROWS, COLS] of positive values.

Positive values over 8192 columns are the hard case for a fixed tolerance: torch's CPU cumsum
accumulates in float64, while any blocked fp32 scan (tl.cumsum per block plus a running carry)
has an error that grows with the prefix length. Both are correct fp32 implementations.
"""
import torch
import torch.nn as nn

ROWS = 4
COLS = 8192


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.cumsum(x, dim=1)


def get_inputs():
    return [torch.rand(ROWS, COLS)]


def get_init_inputs():
    return []
