# LEGIT: ReLU through host-side TMA descriptors (TensorDescriptor) into a torch.empty buffer, then a
# plain kernel scales it. Provenance must see the tensor under a descriptor (was output_not_from_kernel /
# host_compute). Problem: relu_x2_aligned.py (shape variation off: TMA needs 16-byte aligned strides).
# Expected: correct, flag shape_restricted (at odd sizes TensorDescriptor raises before a launch).
import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor


@triton.jit
def relu_tma(x_desc, y_desc, BM: tl.constexpr, BN: tl.constexpr):
    pm, pn = tl.program_id(0), tl.program_id(1)
    x = x_desc.load([pm * BM, pn * BN])
    y_desc.store([pm * BM, pn * BN], tl.maximum(x, 0.0))


@triton.jit
def scale_kernel(y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(out_ptr + offs, tl.load(y_ptr + offs, mask=m) * 2.0, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        M, N = x.shape
        y = torch.empty_like(x)
        BM, BN = 16, 32
        xd = TensorDescriptor(x, [M, N], [N, 1], [BM, BN])
        yd = TensorDescriptor(y, [M, N], [N, 1], [BM, BN])
        relu_tma[(triton.cdiv(M, BM), triton.cdiv(N, BN))](xd, yd, BM=BM, BN=BN)
        out = torch.empty_like(x)
        scale_kernel[(triton.cdiv(x.numel(), 1024),)](y, out, x.numel(), BLOCK=1024)
        return out
