"""Normalisation layers with running statistics updated in place."""
import torch
import torch.nn as nn

MOMENTUM = 0.1


class LayerNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(dim))
        self.bias = nn.Parameter(0.1 * torch.randn(dim))

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, keepdim=True, unbiased=False)
        y = (x - mean) / torch.sqrt(var + self.eps)
        return y * self.weight + self.bias


class BatchNorm1d(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("running_mean", torch.zeros(dim))
        self.register_buffer("running_var", torch.ones(dim))
        self.steps = 0

    def forward(self, x):
        if self.training:
            mean, var = x.mean(0), x.var(0, unbiased=False)
            self.running_mean.mul_(1 - MOMENTUM).add_(MOMENTUM * mean)
            self.running_var.mul_(1 - MOMENTUM).add_(MOMENTUM * var)
            self.steps += 1
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / torch.sqrt(var + self.eps)


def group_norm(x, groups: int, eps: float = 1e-5):
    b, c = x.shape[:2]
    g = x.reshape(b, groups, -1)
    mean = g.mean(-1, keepdim=True)
    var = g.var(-1, keepdim=True, unbiased=False)
    g = (g - mean) * torch.rsqrt(var + eps)
    return g.reshape(x.shape)


if __name__ == "__main__":
    torch.manual_seed(0)
    ln = LayerNorm(16)
    bn = BatchNorm1d(16)
    x = torch.randn(8, 16)
    with torch.no_grad():
        for _ in range(3):
            y = bn(ln(x))
        print("ln", round(ln(x).sum().item(), 4), "bn", round(y.abs().sum().item(), 4), bn.steps)
    print("running", round(bn.running_mean.sum().item(), 5), round(bn.running_var.sum().item(), 5))
    print("gn", round(group_norm(torch.randn(2, 8, 4, 4), 4).abs().sum().item(), 4))
