"""Causal self-attention where the caller passes the causal mask (bool, True = attend), as many
codebases do: s = q k^T / sqrt(D); s[~mask] = -inf; softmax; @ v. get_inputs builds the standard
lower-triangular mask."""
import torch
import torch.nn as nn

B = 2
H = 2
S = 32
D = 16


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v, causal_mask):
        s = torch.matmul(q, k.transpose(-1, -2)) / (q.shape[-1] ** 0.5)
        s = s.masked_fill(~causal_mask, float("-inf"))
        return torch.matmul(torch.softmax(s, dim=-1), v)


def get_inputs():
    q = torch.randn(B, H, S, D)
    k = torch.randn(B, H, S, D)
    v = torch.randn(B, H, S, D)
    causal_mask = torch.tril(torch.ones(S, S, dtype=torch.bool))
    return [q, k, v, causal_mask]


def get_init_inputs():
    return []
