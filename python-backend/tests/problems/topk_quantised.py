"""Top-k values and indices of scores quantised to six levels: ties in every trial (red team 14 h01)."""
import torch
import torch.nn as nn
ROWS = 16
COLS = 24
TOPK = 4
class Model(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k
    def forward(self, x):
        return torch.topk(x, self.k, dim=-1)
def get_inputs():
    return [torch.randint(0, 6, (ROWS, COLS)).float()]
def get_init_inputs():
    return [TOPK]
