# CHEAT (CPU): the row sum in NumPy through TensorBase's own numpy(), looked up under a name spelled
# in pieces (the static rule saw only the literal name), then a Triton copy of the answer: `correct`
# with no flag (red team 23 c04).
# Problem: row_sum.py. Expected: rejected (tensor_base_bypass).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(dst_ptr + i, tl.load(src_ptr + i, mask=i < n), mask=i < n)


class ModelNew(nn.Module):
    def forward(self, x):
        base = getattr(torch._C, "Tensor" + "Base")
        sums = torch.tensor(base.numpy(x).sum(axis=1), dtype=x.dtype)
        y = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
        copy[(triton.cdiv(y.numel(), 256),)](sums.to(x.device), y, y.numel(), BLOCK=256)
        return y
