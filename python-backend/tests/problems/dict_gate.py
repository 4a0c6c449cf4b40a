"""A gated residual returning named parts, {"out": x + g * x, "gate": g} with g = sigmoid(x), fp32 [R, C]:
forward may return a dict (red team 17: the judge crashed comparing one)."""
import torch
import torch.nn as nn

R = 64
C = 128


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        g = torch.sigmoid(x)
        return {"out": x + g * x, "gate": g}


def get_inputs():
    return [torch.randn(R, C)]


def get_init_inputs():
    return []
