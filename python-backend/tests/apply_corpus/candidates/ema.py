import torch
import triton
import triton.language as tl


@triton.jit
def _ema_kernel(ema_ptr, p_ptr, out_ptr, rows, cols, BLOCK: tl.constexpr):
    c = tl.arange(0, BLOCK)
    cm = c < cols
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for r in range(0, rows):
        acc += tl.load(p_ptr + r * cols + c, mask=cm, other=0.0)
    e = tl.load(ema_ptr + c, mask=cm)
    tl.store(out_ptr + c, 0.9 * e + 0.1 * (acc / rows), mask=cm)


class ModelNew(torch.nn.Module):
    """ema = 0.9 * ema + 0.1 * pred.mean(0)."""

    def forward(self, ema, pred):
        pred = pred.contiguous()
        out = torch.empty_like(ema)
        rows, cols = pred.shape
        _ema_kernel[(1,)](ema.contiguous(), pred, out, rows, cols, BLOCK=triton.next_power_of_2(cols))
        return out
