import torch
import torch.nn as nn


class Model(nn.Module):
    """BatchNorm1d as a module: batch statistics in training mode, running ones in eval mode."""

    def __init__(self, features):
        super().__init__()
        self.bn = nn.BatchNorm1d(features)

    def forward(self, x):
        return self.bn(x)


batch_size = 64
features = 32


def get_inputs():
    return [torch.randn(batch_size, features)]


def get_init_inputs():
    return [features]
