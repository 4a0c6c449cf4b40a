"""Gated log-probabilities over a vocabulary with banned tokens: logits = relu(x) * gate (a learned
per-token gate), banned tokens set to -inf, then log_softmax. Output has -inf at banned tokens."""
import torch
import torch.nn as nn

ROWS = 32
VOCAB = 200


class Model(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.gate = nn.Parameter(torch.rand(vocab) + 0.5)
        banned = torch.zeros(vocab, dtype=torch.bool)
        banned[::7] = True
        self.register_buffer("banned", banned)

    def forward(self, x):
        logits = torch.relu(x) * self.gate
        logits = logits.masked_fill(self.banned, float("-inf"))
        return torch.log_softmax(logits, dim=-1)


def get_inputs():
    return [torch.randn(ROWS, VOCAB)]


def get_init_inputs():
    return [VOCAB]
