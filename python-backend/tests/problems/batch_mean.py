"""Mean over the batch: [B, D] -> [D] (a batch statistic)."""
import torch
import torch.nn as nn

B = 64
D = 200


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.mean(dim=0)


def get_inputs():
    return [torch.randn(B, D)]


def get_init_inputs():
    return []
