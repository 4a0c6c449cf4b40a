"""Problem for cheat_topk_other_input (red team 15b)."""
import torch
import torch.nn as nn

ROWS = 64
COLS = 256
K = 8


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        k = min(K, x.shape[-1])
        v, i = torch.topk(x + y, k, dim=-1)
        return v, i


def get_inputs():
    # x: a quantised score (4 levels), y: a small continuous bonus
    return [torch.randint(0, 4, (ROWS, COLS)).float(), torch.randn(ROWS, COLS)]


def get_init_inputs():
    return []
