"""Two nn.Linear layers in a row (red team 12 c05/c06/c27: a weight product folded outside forward)."""
import torch
import torch.nn as nn
B = 32
IN = 64
HID = 96
OUT = 48

class Model(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.fc1 = nn.Linear(i, h)
        self.fc2 = nn.Linear(h, o)

    def forward(self, x):
        return self.fc2(self.fc1(x))

def get_inputs():
    return [torch.randn(B, IN)]

def get_init_inputs():
    return [IN, HID, OUT]
