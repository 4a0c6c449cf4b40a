"""A hand-written optimiser step and a data loop: code in loops, globals, tuple targets."""
import torch

LR = 0.05
BETAS = (0.9, 0.99)
WEIGHT_DECAY = 0.01
scale_table = torch.linspace(0.5, 1.5, 16)


def adam_step(p, g, m, v, step):
    m.mul_(BETAS[0]).add_(g, alpha=1 - BETAS[0])
    v.mul_(BETAS[1]).addcmul_(g, g, value=1 - BETAS[1])
    m_hat = m / (1 - BETAS[0] ** step)
    v_hat = v / (1 - BETAS[1] ** step)
    p -= LR * (m_hat / (v_hat.sqrt() + 1e-8) + WEIGHT_DECAY * p)
    return p


def features(x):
    mean, std = x.mean(-1, keepdim=True), x.std(-1, keepdim=True)
    z = (x - mean) / (std + 1e-6)
    lo, hi = z.min(-1).values, z.max(-1).values
    return z * scale_table, lo, hi


def train(steps=4):
    torch.manual_seed(0)
    w = torch.randn(16, 4)
    m = torch.zeros_like(w)
    v = torch.zeros_like(w)
    data = torch.randn(steps, 32, 16)
    ema = torch.zeros(4)
    for step in range(1, steps + 1):
        x = data[step - 1]
        feats, lo, hi = features(x)
        pred = feats @ w
        loss = (pred ** 2).mean()
        grad = 2 * feats.t() @ pred / pred.numel()
        adam_step(w, grad, m, v, step)
        ema = 0.9 * ema + 0.1 * pred.mean(0)
        running = lo.mean() + hi.mean()
    return w, ema, loss, running


if __name__ == "__main__":
    w, ema, loss, running = train()
    print("w", round(w.sum().item(), 4), "ema", [round(e, 4) for e in ema.tolist()])
    print("loss", round(loss.item(), 5), "running", round(running.item(), 4))
