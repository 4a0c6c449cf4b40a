# LEGIT (training mode only): BatchNorm1d with batch statistics, the running statistics updated in
# the kernel; it never branches on self.training, so in eval mode it still normalises by the batch.
# Problem: batchnorm_train.py. Expected: correct, flag eval_mode_differs (PyTorch's own output changes
# with the mode, so a training-mode kernel is told, not rejected).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bn_train_kernel(x_ptr, w_ptr, b_ptr, out_ptr, rm_ptr, rv_ptr, N, C, eps, momentum, BLOCK: tl.constexpr):
    c = tl.program_id(0)
    rows = tl.arange(0, BLOCK)
    m = rows < N
    x = tl.load(x_ptr + rows * C + c, mask=m, other=0.0)
    mean = tl.sum(x, 0) / N
    d = tl.where(m, x - mean, 0.0)
    var = tl.sum(d * d, 0) / N
    y = d / tl.sqrt(var + eps) * tl.load(w_ptr + c) + tl.load(b_ptr + c)
    tl.store(out_ptr + rows * C + c, y, mask=m)
    tl.store(rm_ptr + c, (1 - momentum) * tl.load(rm_ptr + c) + momentum * mean)
    tl.store(rv_ptr + c, (1 - momentum) * tl.load(rv_ptr + c) + momentum * var * N / (N - 1))


class ModelNew(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.bn = nn.BatchNorm1d(features)

    def forward(self, x):
        x = x.contiguous()
        n, c = x.shape
        out = torch.empty_like(x)
        bn = self.bn
        bn_train_kernel[(c,)](x, bn.weight, bn.bias, out, bn.running_mean, bn.running_var, n, c, bn.eps, bn.momentum,
                              BLOCK=triton.next_power_of_2(n))
        return out
