"""C = A * s with s a Python float from get_inputs (KernelBench level 1, problem 5's shape of call)."""
import torch
import torch.nn as nn

M = 64
N = 96


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, A, s):
        return A * s


def get_inputs():
    return [torch.randn(M, N), 3.14]


def get_init_inputs():
    return []
