"""int64 elementwise add (red team 12 c12)."""
import torch
import torch.nn as nn
N = 4096

class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return a + b

def get_inputs():
    return [torch.randint(0, 1000, (N,)), torch.randint(0, 1000, (N,))]

def get_init_inputs():
    return []
