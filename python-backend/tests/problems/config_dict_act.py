"""Scaled residual + LeakyReLU with a config dict, HF-style: y = leaky_relu(x * cfg['residual_scale'] + bias, cfg['slope'])."""
import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS = 64
HIDDEN = 256


class Model(nn.Module):
    def __init__(self, hidden, cfg):
        super().__init__()
        self.residual_scale = cfg["residual_scale"]
        self.slope = cfg["slope"]
        self.bias = nn.Parameter(torch.randn(hidden) * 0.1)

    def forward(self, x):
        return F.leaky_relu(x * self.residual_scale + self.bias, self.slope)


def get_inputs():
    return [torch.randn(ROWS, HIDDEN)]


def get_init_inputs():
    return [HIDDEN, {"residual_scale": 0.5, "slope": 0.2}]
