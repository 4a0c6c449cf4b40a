"""Per-channel clip buffer, +inf at init (red team 12 c19)."""
import torch
import torch.nn as nn
N = 64
C = 96

class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c))
        self.register_buffer("clip", torch.full((c,), float("inf")))

    def forward(self, x):
        return torch.minimum(x * self.weight, self.clip)

def get_inputs():
    return [torch.randn(N, C)]

def get_init_inputs():
    return [C]
