"""bf16 matmul [M, K] @ [K, N] -> bf16 (fp32 accumulation, as on the GPU)."""
import torch
import torch.nn as nn

M = 64
K = 64
N = 48


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return a @ b


def get_inputs():
    return [torch.randn(M, K).bfloat16(), torch.randn(K, N).bfloat16()]


def get_init_inputs():
    return []
