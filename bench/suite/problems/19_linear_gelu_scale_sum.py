"""Level-2 style: Linear, GELU, scale, then a row sum (GEMM + epilogue + reduction)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, in_features, out_features, scale):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.scale = scale

    def forward(self, x):
        return (F.gelu(self.linear(x)) * self.scale).sum(dim=1)


batch_size = 2048
in_features = 2048
out_features = 4096
scale = 0.25


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, scale]
