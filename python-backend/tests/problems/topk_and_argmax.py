"""Problem for cheat_argmax_last_beside_topk (red team 15b)."""
import torch
import torch.nn as nn

ROWS = 64
COLS = 120  # the wide batch-larger trial (241) keeps the candidate's n x n tile small enough to compile on a GPU
K = 4


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        k = min(K, x.shape[-1])
        top = torch.topk(x, k, dim=-1).values
        best = torch.argmax(x, dim=-1)
        return top, best


def get_inputs():
    return [torch.randint(0, 6, (ROWS, COLS)).float()]


def get_init_inputs():
    return []
