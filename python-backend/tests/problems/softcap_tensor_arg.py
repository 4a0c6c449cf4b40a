"""Soft-capped logits (Gemma-2 style): y = cap * tanh(x / cap), cap passed at construction as a
scalar tensor taken from the checkpoint config."""
import torch
import torch.nn as nn

ROWS = 64
VOCAB = 500


class Model(nn.Module):
    def __init__(self, softcap):
        super().__init__()
        self.softcap = softcap

    def forward(self, x):
        return self.softcap * torch.tanh(x / self.softcap)


def get_inputs():
    return [torch.randn(ROWS, VOCAB) * 20.0]


def get_init_inputs():
    return [torch.tensor(30.0)]
