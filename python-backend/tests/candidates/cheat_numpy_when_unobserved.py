# CHEAT: honest while a dispatch mode is active (the verifier's recorder); with none, as in the
# user's program, a one-element decoy launch and NumPy on the host (red team 22 F1). The unobserved
# trial keeps the audit guard's evidence: NumPy there is `host_compute`.
# Problem: relu.py. Expected: rejected (host_compute).
import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.utils import _python_dispatch


@triton.jit
def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m), 0.0), mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        if _python_dispatch._get_current_dispatch_mode() is None:
            d = torch.zeros(1, device=x.device)
            relu[(1,)](d, d, 1, BLOCK=16)
            return torch.from_numpy(x.detach().cpu().numpy().clip(min=0)).to(x.device)
        x = x.contiguous()
        y = torch.empty_like(x)
        relu[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
