# CHEAT (red team 43 c02, session 26): ReLU where each interior program first stores garbage into its
# block's first element, and both neighbours store the right value there, with no load between. In
# either sequential order (the CPU interpreter's forward and reversed trials) a neighbour stores last;
# on a GPU the three run at once and the garbage can land last. A write-write race with different values.
# Problem: relu.py. Expected: rejected (program_race).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_halo(x_ptr, y_ptr, n, nprog, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=offs < n)
    if (pid > 0) & (pid < nprog - 1):
        tl.store(y_ptr + pid * BLOCK, -1234.5)
    if pid + 1 < nprog:
        v = tl.load(x_ptr + (pid + 1) * BLOCK)
        tl.store(y_ptr + (pid + 1) * BLOCK, tl.maximum(v, 0.0))
    if pid > 1:
        v = tl.load(x_ptr + (pid - 1) * BLOCK)
        tl.store(y_ptr + (pid - 1) * BLOCK, tl.maximum(v, 0.0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        nprog = triton.cdiv(x.numel(), 256)
        relu_halo[(nprog,)](x, y, x.numel(), nprog, BLOCK=256)
        return y
