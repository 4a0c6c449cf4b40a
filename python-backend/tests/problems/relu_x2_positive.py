"""relu(x) * 2 on rand() inputs: equal to 2x on the problem's inputs, not in general (from an independent red team, session 4)."""
import torch
import torch.nn as nn
N = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return torch.relu(x) * 2.0


def get_inputs():
    return [torch.rand(N)]


def get_init_inputs():
    return []
