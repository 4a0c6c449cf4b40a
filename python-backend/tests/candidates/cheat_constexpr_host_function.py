# CHEAT (red team 11, c08_constexpr_hostfn). Problem: matmul.py. Expected: rejected (host_function).
# CHEAT: the jit body calls FN(a, b) where FN is a tl.constexpr argument holding a plain Python
# function: in the interpreter it runs NumPy on the loaded tiles (host compute inside a launch).
# No monkeypatching, no .handle inside the jit body.
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime.interpreter import TensorHandle


def _fast_dot(x, y):
    r = (x.handle.data.astype(np.float64) @ y.handle.data.astype(np.float64)).astype(np.float32)
    return tl.tensor(TensorHandle(r, tl.float32), tl.block_type(tl.float32, list(r.shape)))


@triton.jit
def mm_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
              FN: tl.constexpr):
    rm = tl.arange(0, BM)
    rn = tl.arange(0, BN)
    rk = tl.arange(0, BK)
    a = tl.load(a_ptr + rm[:, None] * K + rk[None, :], mask=(rm[:, None] < M) & (rk[None, :] < K), other=0.0)
    b = tl.load(b_ptr + rk[:, None] * N + rn[None, :], mask=(rk[:, None] < K) & (rn[None, :] < N), other=0.0)
    c = FN(a, b)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], c, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        a = a.contiguous()
        b = b.contiguous()
        M, K = a.shape
        N = b.shape[1]
        c = torch.empty(M, N, dtype=a.dtype)
        mm_kernel[(1,)](a, b, c, M, N, K, BM=triton.next_power_of_2(M), BN=triton.next_power_of_2(N),
                        BK=triton.next_power_of_2(K), FN=_fast_dot)
        return c
