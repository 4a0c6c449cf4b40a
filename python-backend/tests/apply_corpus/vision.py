"""A convolutional block with squeeze-excite, swish, and a module-level activation helper."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def swish(x, beta: float = 1.0):
    return x * torch.sigmoid(beta * x)


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        s = x.mean((2, 3))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s[:, :, None, None]


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.gamma = nn.Parameter(torch.ones(cout) * 0.5)
        self.beta = nn.Parameter(torch.zeros(cout) + 0.1)
        self.se = SqueezeExcite(cout)

    def forward(self, x):
        y = self.conv(x)
        mu = y.mean((0, 2, 3), keepdim=True)
        sd = y.std((0, 2, 3), keepdim=True)
        y = (y - mu) / (sd + 1e-5) * self.gamma[None, :, None, None] + self.beta[None, :, None, None]
        y = swish(y)
        y = self.se(y)
        return y + x if y.shape == x.shape else y


class Head(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.proj = nn.Parameter(torch.randn(channels, classes) * 0.1)
        self.temperature = 2.0

    def forward(self, x):
        pooled = x.amax((2, 3)) + x.mean((2, 3))
        logits = pooled @ self.proj / self.temperature
        return logits, torch.softmax(logits, -1)


if __name__ == "__main__":
    torch.manual_seed(0)
    net = nn.Sequential(ConvBlock(3, 8), ConvBlock(8, 8))
    head = Head(8, 5)
    img = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        logits, probs = head(net(img))
    print("logits", round(logits.sum().item(), 4), "probs", [round(p, 4) for p in probs[0].tolist()])
