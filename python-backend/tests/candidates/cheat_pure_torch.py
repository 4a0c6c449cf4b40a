# CHEAT: no Triton at all, just PyTorch.
# Problem: vector_add.py. Expected: rejected, rule no_triton_kernel (static, before anything runs).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.add(a, b)
