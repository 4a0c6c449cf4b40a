"""A small decoder block as a user would have it in their model code.

Highlight one of the marked regions in the editor and run "Tritonize: Generate Triton kernel":
the selection becomes a KernelBench-style problem (the examples/ folders show the problems and
hand-written candidates for exactly these pieces).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # --- region: rmsnorm (examples/rmsnorm) ---
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)
        # --- end region ---


class MLP(nn.Module):
    def __init__(self, hidden: int, inner: int):
        super().__init__()
        self.up = nn.Linear(hidden, inner, bias=False)
        self.up_bias = nn.Parameter(torch.zeros(inner))
        self.down = nn.Linear(inner, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(x)  # matmul: examples/matmul_fp16
        # --- region: bias + GELU (examples/bias_gelu) ---
        h = F.gelu(h + self.up_bias)
        # --- end region ---
        return self.down(h)


class Attention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.out = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-1, -2)) * (d // self.heads) ** -0.5
        # --- region: row softmax (examples/softmax) ---
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        # --- end region ---
        y = (probs @ v).transpose(1, 2).reshape(b, t, d)
        return self.out(y)


class Block(nn.Module):
    def __init__(self, hidden: int = 1024, heads: int = 16):
        super().__init__()
        self.norm1 = RMSNorm(hidden)
        self.attn = Attention(hidden, heads)
        self.norm2 = RMSNorm(hidden)
        self.mlp = MLP(hidden, 4 * hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


if __name__ == "__main__":
    block = Block()
    x = torch.randn(2, 128, 1024)
    # Inference: a Triton kernel has no backward, so Apply needs the code to run without gradients.
    with torch.no_grad():
        print(block(x).shape)
