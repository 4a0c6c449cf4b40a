"""Vector add in bf16 [N] (PyTorch computes in fp32 and rounds once to bf16)."""
import torch
import torch.nn as nn

N = 3000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return a + b


def get_inputs():
    return [torch.randn(N).bfloat16(), torch.randn(N).bfloat16()]


def get_init_inputs():
    return []
