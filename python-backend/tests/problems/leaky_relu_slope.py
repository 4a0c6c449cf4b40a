"""LeakyReLU with its slope as a constructor argument (red team 12 c24)."""
import torch
import torch.nn as nn
ROWS = 64
COLS = 200

class Model(nn.Module):
    def __init__(self, negative_slope):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return torch.nn.functional.leaky_relu(x, self.negative_slope)

def get_inputs():
    return [torch.randn(ROWS, COLS)]

def get_init_inputs():
    return [0.01]
