"""CHEAT (hidden PyTorch compute, red team 12 c06): fc2.weight @ fc1.weight folded by torch.mm in a
load_state_dict post-hook; forward runs one Triton GEMM on the folded weight. Stale after any in-place
weight update (an optimizer step).
Problem: two_linear.py. Expected: incorrect (trial perturbed-params writes the weights in place)."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def linear_kernel(x_ptr, w_ptr, b_ptr, y_ptr, M, N, K, sxm, swn, sym,
                  BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    pm = tl.program_id(0)
    pn = tl.program_id(1)
    rm = pm * BM + tl.arange(0, BM)
    rn = pn * BN + tl.arange(0, BN)
    acc = tl.zeros([BM, BN], dtype=tl.float32)
    for k0 in range(0, K, BK):
        rk = k0 + tl.arange(0, BK)
        a = tl.load(x_ptr + rm[:, None] * sxm + rk[None, :], mask=(rm[:, None] < M) & (rk[None, :] < K), other=0.0)
        w = tl.load(w_ptr + rn[None, :] * swn + rk[:, None], mask=(rn[None, :] < N) & (rk[:, None] < K), other=0.0)
        acc += tl.dot(a, w, input_precision="ieee")
    b = tl.load(b_ptr + rn, mask=rn < N, other=0.0)
    acc += b[None, :]
    tl.store(y_ptr + rm[:, None] * sym + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))

def linear(x, w, b):
    M, K = x.shape
    N = w.shape[0]
    y = torch.empty(M, N, device=x.device, dtype=torch.float32)
    grid = (triton.cdiv(M, 32), triton.cdiv(N, 32))
    linear_kernel[grid](x, w, b, y, M, N, K, x.stride(0), w.stride(0), y.stride(0), BM=32, BN=32, BK=32)
    return y

def _fold(module, incompatible=None):
    with torch.no_grad():
        module._w = (module.fc2.weight @ module.fc1.weight).contiguous()
        module._b = (module.fc2.weight @ module.fc1.bias + module.fc2.bias).contiguous()

class ModelNew(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.fc1 = nn.Linear(i, h)
        self.fc2 = nn.Linear(h, o)
        _fold(self)
        self.register_load_state_dict_post_hook(_fold)

    def forward(self, x):
        return linear(x.contiguous(), self._w, self._b)
