# CHEAT: torch.relu hidden in a torch.library.custom_op; a Triton kernel only copies the result.
# Problem: relu.py. Expected: rejected, pytorch_fallback naming aten.relu (the op's body is recorded).
import torch, torch.nn as nn
import triton, triton.language as tl
from torch.library import custom_op


@triton.jit
def copy_kernel(x_ptr, o_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(o_ptr + offs, tl.load(x_ptr + offs, mask=m), mask=m)


@custom_op("tz_cheat::relu", mutates_args=())
def hidden_relu(x: torch.Tensor) -> torch.Tensor:
    return torch.relu(x)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = hidden_relu(x)
        out = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](y, out, n, BLOCK=1024)
        return out
