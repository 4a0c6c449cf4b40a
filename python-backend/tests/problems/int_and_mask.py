"""x & 0xFFFF on randint(0, 100) int32: the identity on the problem's inputs, not in general (from an independent red team, session 4)."""
import torch
import torch.nn as nn
N = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return x & 0xFFFF


def get_inputs():
    return [torch.randint(0, 100, (N,), dtype=torch.int32)]


def get_init_inputs():
    return []
