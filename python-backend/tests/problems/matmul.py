"""Small fp32 matmul: [M, K] @ [K, N] with M=64, K=48, N=80."""
import torch
import torch.nn as nn

M = 64
K = 48
N = 80


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(M, K), torch.randn(K, N)]


def get_init_inputs():
    return []
