"""A small pre-norm decoder: RMSNorm, attention with a row softmax, a GELU MLP, residual adds."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ROPE_BASE = 10000.0


class RMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden) + 0.1 * torch.randn(hidden))

    def forward(self, x):
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.out = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        pos = torch.arange(t, dtype=torch.float32)
        inv = ROPE_BASE ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
        ang = torch.cat((pos[:, None] * inv[None, :],) * 2, dim=-1)
        q = q * ang.cos() + rotate_half(q) * ang.sin()
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        y = (probs @ v).transpose(1, 2).reshape(b, t, d)
        return self.out(y)


class MLP(nn.Module):
    def __init__(self, hidden: int, inner: int):
        super().__init__()
        self.up = nn.Linear(hidden, inner, bias=False)
        self.up_bias = nn.Parameter(0.1 * torch.randn(inner))
        self.down = nn.Linear(inner, hidden)

    def forward(self, x):
        h = self.up(x)
        h = F.gelu(h + self.up_bias)
        return self.down(h)


class Block(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.norm1 = RMSNorm(hidden)
        self.attn = Attention(hidden, heads)
        self.norm2 = RMSNorm(hidden)
        self.mlp = MLP(hidden, 4 * hidden)

    def forward(self, x):
        h = self.attn(self.norm1(x))
        x = x + h
        m = self.mlp(self.norm2(x))
        x += m
        return x


if __name__ == "__main__":
    torch.manual_seed(0)
    blocks = nn.ModuleList([Block(32, 4) for _ in range(2)])
    x = torch.randn(2, 8, 32)
    with torch.no_grad():
        for blk in blocks:
            x = blk(x)
    print("out", tuple(x.shape), round(x.double().sum().item(), 3), round(x.double().abs().mean().item(), 4))
