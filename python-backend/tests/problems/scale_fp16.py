"""fp16 problem whose heavy-tailed trial overflows: out = x * 300 on fp16 [N]. Where the exact
product exceeds 65504, the fp16 reference is +-inf, and so is any correct fp16 kernel."""
import torch
import torch.nn as nn

N = 2000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x * 300.0


def get_inputs():
    return [torch.randn(N, dtype=torch.float16)]


def get_init_inputs():
    return []
