"""Loss functions written out by hand, as research code often has them."""
import torch
import torch.nn.functional as F

LABEL_SMOOTHING = 0.1
IGNORE_INDEX = -100


def cross_entropy(logits, target):
    logp = torch.log_softmax(logits.float(), dim=-1)
    nll = -logp.gather(-1, target.clamp_min(0)[:, None]).squeeze(-1)
    valid = target != IGNORE_INDEX
    return (nll * valid).sum() / valid.sum().clamp_min(1)


def smoothed_cross_entropy(logits, target, smoothing: float = LABEL_SMOOTHING):
    n = logits.shape[-1]
    logp = torch.log_softmax(logits, dim=-1)
    true = torch.full_like(logp, smoothing / (n - 1))
    true.scatter_(-1, target[:, None], 1.0 - smoothing)
    return -(true * logp).sum(-1).mean()


def focal_loss(logits, target, gamma: float = 2.0, alpha: float = 0.25):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    a_t = alpha * target + (1 - alpha) * (1 - target)
    return (a_t * loss).mean()


def huber(pred, y, delta=1.0):
    err = pred - y
    abs_err = err.abs()
    quad = torch.clamp(abs_err, max=delta)
    lin = abs_err - quad
    return (0.5 * quad ** 2 + delta * lin).mean()


def kl_div(p_logits, q_logits, temperature=2.0):
    p = torch.log_softmax(p_logits / temperature, dim=-1)
    q = torch.log_softmax(q_logits / temperature, dim=-1)
    kl = (p.exp() * (p - q)).sum(-1)
    return kl.mean() * temperature ** 2


if __name__ == "__main__":
    torch.manual_seed(0)
    logits = torch.randn(16, 10)
    target = torch.randint(0, 10, (16,))
    target[3] = IGNORE_INDEX
    print("ce", round(cross_entropy(logits, target).item(), 4))
    print("smooth", round(smoothed_cross_entropy(logits, target.clamp_min(0)).item(), 4))
    y = (torch.rand(16, 10) > 0.5).float()
    print("focal", round(focal_loss(logits, y).item(), 4))
    print("huber", round(huber(logits, y * 2).item(), 4))
    print("kl", round(kl_div(logits, logits.flip(0)).item(), 4))
