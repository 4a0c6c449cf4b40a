"""Random 0/1 pruning mask buffer (red team 12 c02)."""
import torch
import torch.nn as nn
N = 256
D = 128

class Model(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d))
        self.register_buffer("mask", (torch.rand(d) > 0.5).float())

    def forward(self, x):
        return x * (self.weight * self.mask)

def get_inputs():
    return [torch.randn(N, D)]

def get_init_inputs():
    return [D]
