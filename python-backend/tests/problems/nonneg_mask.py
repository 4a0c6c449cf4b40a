"""Indicator of x >= 0 for x ~ U(0, 1): constant (all ones) on this input distribution (the
heavy-tailed trial keeps signs, so it stays constant there too), not in
general."""
import torch
import torch.nn as nn

N = 3000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (x >= 0).float()


def get_inputs():
    return [torch.rand(N)]


def get_init_inputs():
    return []
