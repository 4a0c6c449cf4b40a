"""fp16 problem: out = a * b + c on fp16 vectors of N elements."""
import torch
import torch.nn as nn

N = 4000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b, c):
        return a * b + c


def get_inputs():
    return [torch.randn(N, dtype=torch.float16), torch.randn(N, dtype=torch.float16),
            torch.randn(N, dtype=torch.float16)]


def get_init_inputs():
    return []
