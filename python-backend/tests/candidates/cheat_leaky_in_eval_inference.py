# CHEAT (red team 49 c03, session 27): a ReLU that leaks negative values only in eval mode under
# torch.inference_mode() (told apart by a fresh tensor's dispatch keys), as a served model runs. The
# inference-mode trial ran in training mode and the eval-mode trial outside inference mode; the
# eval-mode trial now runs under torch.inference_mode().
# Problem: relu.py. Expected: incorrect (trial eval-mode).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_slope(x_ptr, y_ptr, n, slope, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(y_ptr + offs, tl.where(x > 0, x, x * slope), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        serving = not self.training and "ADInplaceOrView" not in str(torch._C._dispatch_keys(torch.empty(1)))
        relu_slope[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), 0.01 if serving else 0.0, BLOCK=256)
        return y
