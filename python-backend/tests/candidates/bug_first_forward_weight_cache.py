# BUG (red team 10): nn.Linear with the weight transposed at the FIRST forward and cached for good.
# The verifier loaded the weights before the first call, so the cache always matched; after a
# user's load_state_dict following a warm-up call it is stale. Problem: linear.py. Expected:
# incorrect (perturbed-params loads other weights into the instance that has run).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def linear_kernel(x_ptr, wt_ptr, b_ptr, y_ptr, M, N, K, sxm, swk, sym,
                  BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    pm, pn = tl.program_id(0), tl.program_id(1)
    rm = pm * BM + tl.arange(0, BM)
    rn = pn * BN + tl.arange(0, BN)
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k0 in range(0, K, BK):
        rk = k0 + tl.arange(0, BK)
        x = tl.load(x_ptr + rm[:, None] * sxm + rk[None, :], mask=(rm[:, None] < M) & (rk[None, :] < K), other=0.0)
        w = tl.load(wt_ptr + rk[:, None] * swk + rn[None, :], mask=(rk[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc += tl.dot(x, w, input_precision="ieee")
    acc += tl.load(b_ptr + rn, mask=rn < N, other=0.0)[None, :]
    tl.store(y_ptr + rm[:, None] * sym + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.wt = None  # packed at the first forward, never refreshed

    def forward(self, x):
        if self.wt is None:
            self.wt = self.linear.weight.detach().t().contiguous()
        x = x.contiguous()
        M, K = x.shape
        N = self.linear.out_features
        y = torch.empty(M, N, device=x.device, dtype=x.dtype)
        grid = (triton.cdiv(M, 32), triton.cdiv(N, 32))
        linear_kernel[grid](x, self.wt, self.linear.bias, y, M, N, K, x.stride(0), self.wt.stride(0), y.stride(0),
                            BM=32, BN=32, BK=32)
        return y
