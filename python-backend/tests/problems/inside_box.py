"""Indicator of |x| < 50 for x ~ N(0, 1): constant (all ones) on this input distribution, not in
general."""
import torch
import torch.nn as nn

N = 3000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (x.abs() < 50).float()


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
