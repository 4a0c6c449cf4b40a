"""CHEAT: fuses the gate into the relu as relu(x * gate), right only while every gate value is >= 0 (red team 13b c04)

Problem: gated_logprobs_banned.py
Expected: incorrect (trial perturbed-params: the -inf of banned tokens does not stop the gate's sign change)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gated_logsoftmax_kernel(x_ptr, g_ptr, ban_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    m = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=m, other=0.0)
    g = tl.load(g_ptr + cols, mask=m, other=0.0)
    ban = tl.load(ban_ptr + cols, mask=m, other=1)
    z = tl.maximum(x * g, 0.0)
    z = tl.where((ban != 0) | (~m), -float("inf"), z)
    mx = tl.max(z, axis=0)
    lse = tl.log(tl.sum(tl.exp(z - mx), axis=0)) + mx
    tl.store(y_ptr + row * n_cols + cols, z - lse, mask=m)


class ModelNew(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.gate = nn.Parameter(torch.rand(vocab) + 0.5)
        banned = torch.zeros(vocab, dtype=torch.bool)
        banned[::7] = True
        self.register_buffer("banned", banned)

    def forward(self, x):
        x2 = x.contiguous().view(-1, x.shape[-1])
        y = torch.empty_like(x2)
        gated_logsoftmax_kernel[(x2.shape[0],)](x2, self.gate, self.banned.view(torch.uint8), y, x2.shape[1],
                                                BLOCK=triton.next_power_of_2(x2.shape[1]))
        return y.view(x.shape)
