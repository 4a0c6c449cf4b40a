"""Attention-score style: softmax(x * scale + mask) over the last dim, mask broadcast over heads."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x, mask):
        return torch.softmax(x * self.scale + mask, dim=-1)


batch_size = 16
num_heads = 16
seq_len = 1024
scale = 0.125


def get_inputs():
    return [torch.randn(batch_size, num_heads, seq_len, seq_len), torch.randn(batch_size, 1, seq_len, seq_len)]


def get_init_inputs():
    return [scale]
