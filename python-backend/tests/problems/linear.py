"""nn.Linear: x [B, IN] -> [B, OUT] with weight and bias."""
import torch
import torch.nn as nn

B = 32
IN = 96
OUT = 40


class Model(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.linear(x)


def get_inputs():
    return [torch.randn(B, IN)]


def get_init_inputs():
    return [IN, OUT]
