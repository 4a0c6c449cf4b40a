"""Row gather with integer indices: out = table[idx] for an fp32 table [V, D] and int64 idx [B]."""
import torch
import torch.nn as nn

V = 500
D = 64
B = 300


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, table, idx):
        return table[idx]


def get_inputs():
    return [torch.randn(V, D), torch.randint(0, V, (B,))]


def get_init_inputs():
    return []
