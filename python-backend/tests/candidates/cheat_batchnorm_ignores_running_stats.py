# red team 8: BatchNorm in eval uses weight/bias but ignores running_mean/running_var (0/1 at init).
# Problem: batchnorm_eval.py. Expected: incorrect (trial perturbed-params: constant buffers are perturbed too).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bn_kernel(x_ptr, w_ptr, b_ptr, y_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        m = cols < n_cols
        x = tl.load(x_ptr + row * n_cols + cols, mask=m)
        w = tl.load(w_ptr + cols, mask=m)
        b = tl.load(b_ptr + cols, mask=m)
        tl.store(y_ptr + row * n_cols + cols, x / tl.sqrt(1.0 + eps) * w + b, mask=m)


class ModelNew(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.bn = nn.BatchNorm1d(features)

    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        y = torch.empty_like(x)
        bn_kernel[(rows,)](x, self.bn.weight, self.bn.bias, y, cols, self.bn.eps, BLOCK=256)
        return y
