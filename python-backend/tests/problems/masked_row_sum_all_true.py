import torch
import torch.nn as nn

BATCH = 16
SEQ = 96


class Model(nn.Module):
    """Attention-probability softmax with a key padding mask (True = keep)."""
    def __init__(self):
        super().__init__()

    def forward(self, scores, key_mask):
        scores = scores.masked_fill(~key_mask, float("-inf"))
        return torch.softmax(scores, dim=-1)


def get_inputs():
    return [torch.randn(BATCH, SEQ), torch.ones(BATCH, SEQ, dtype=torch.bool)]


def get_init_inputs():
    return []
