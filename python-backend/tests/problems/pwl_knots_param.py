"""Piecewise-linear calibrator with learned keypoints (as in lattice / PWL calibration layers):
x is bucketed against sorted learned knot positions, y = number of knots <= x, then
out = heights[bucket]. knots are initialised sorted (linspace) and kept sorted by the training
loop's projection step; heights are learned levels."""
import torch
import torch.nn as nn

ROWS = 64
COLS = 256
KNOTS = 16


class Model(nn.Module):
    def __init__(self, knots):
        super().__init__()
        self.knots = nn.Parameter(torch.linspace(-2.0, 2.0, knots))
        self.heights = nn.Parameter(torch.linspace(-1.0, 1.0, knots + 1))

    def forward(self, x):
        idx = torch.bucketize(x, self.knots, right=True)
        return self.heights[idx]


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return [KNOTS]
