# CHEAT (CPU interpreter only): inside the @triton.jit body, getattr with a computed name reaches
# the interpreter's NumPy array behind the loaded block and computes the ReLU there (red team 22 F3).
# Problem: relu.py. Expected: rejected (host_function; a GPU build refuses the kernel).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    v = tl.load(x_ptr + offs, mask=m, other=0.0)
    h = getattr(v, "han" + "dle")
    h.data[:] = h.data.clip(min=0)
    tl.store(y_ptr + offs, v, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        relu[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
