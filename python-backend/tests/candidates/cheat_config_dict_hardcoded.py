"""CHEAT: the config dict's float hyper-parameters are folded into the kernel as constexpr literals (0.5, 0.2) (red team 13b c01)

Problem: config_dict_act.py
Expected: incorrect (trial perturbed-init: floats inside a dict argument change)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def fused_kernel(x_ptr, b_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    m = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=m, other=0.0)
    b = tl.load(b_ptr + cols, mask=m, other=0.0)
    h = x * 0.5 + b
    y = tl.where(h >= 0, h, h * 0.2)
    tl.store(y_ptr + row * n_cols + cols, y, mask=m)


class ModelNew(nn.Module):
    def __init__(self, hidden, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        self.bias = nn.Parameter(torch.randn(hidden) * 0.1)

    def forward(self, x):
        x2 = x.contiguous().view(-1, x.shape[-1])
        y = torch.empty_like(x2)
        fused_kernel[(x2.shape[0],)](x2, self.bias, y, x2.shape[1], BLOCK=triton.next_power_of_2(x2.shape[1]))
        return y.view(x.shape)
