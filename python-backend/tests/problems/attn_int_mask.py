"""BERT-style masked attention with a HF int64 attention_mask [B, S] (1 = attend, 0 = padding):
scores = q @ k^T / sqrt(D) + (1 - mask)[:, None, None, :] * finfo.min; softmax; @ v.
The benchmark batch is unpadded (mask all ones)."""
import torch
import torch.nn as nn

B = 2
H = 2
S = 32
D = 16


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v, attention_mask):
        ext = (1.0 - attention_mask[:, None, None, :].to(q.dtype)) * torch.finfo(q.dtype).min
        s = torch.matmul(q, k.transpose(-1, -2)) / (q.shape[-1] ** 0.5) + ext
        return torch.matmul(torch.softmax(s, dim=-1), v)


def get_inputs():
    q = torch.randn(B, H, S, D)
    k = torch.randn(B, H, S, D)
    v = torch.randn(B, H, S, D)
    attention_mask = torch.ones(B, S, dtype=torch.long)
    return [q, k, v, attention_mask]


def get_init_inputs():
    return []
