"""Row softmax over the last dimension: x [ROWS, COLS] fp32 (attention scores, logits).

ROWS and COLS are module-level so that tests can shrink them for the CPU interpreter.
"""
import torch
import torch.nn as nn

ROWS = 4096
COLS = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return []
