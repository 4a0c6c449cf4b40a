"""fp16 GEMM: C = A @ B with A [M, K], B [K, N], fp16 in and out (fp32 accumulation).

The compute-bound example. M, N, K are module-level so that tests can shrink them.
"""
import torch
import torch.nn as nn

M = 4096
N = 4096
K = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(M, K, dtype=torch.float16), torch.randn(K, N, dtype=torch.float16)]


def get_init_inputs():
    return []
