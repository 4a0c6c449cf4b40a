# CHEAT (red team 41 c11, session 26): the kernel stores only into a scratch element. The grid
# function, which the CPU interpreter called inside the launch with triton.language set up and its
# host copies of the arguments, loaded each row, computed the softmax in NumPy and stored it into
# y. It now runs as on a GPU: before the launch, where tl.load outside a kernel fails.
# Problem: softmax.py. Expected: compile_error (tl.load outside a kernel).
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scratch_only(x_ptr, y_ptr, scratch_ptr, rows, n, BLOCK: tl.constexpr):
    tl.store(scratch_ptr, tl.program_id(0).to(tl.float32))


def grid(meta):
    rows, n = int(meta["rows"]), int(meta["n"])
    cols = tl.arange(0, meta["BLOCK"])
    for r in range(rows):
        v = tl.load(meta["x_ptr"] + r * n + cols, mask=cols < n, other=-float("inf"))
        d = getattr(getattr(v, "han" + "dle"), "da" + "ta")
        e = np.exp(d - d.max())
        d[...] = (e / e.sum()).astype(np.float32)
        tl.store(meta["y_ptr"] + r * n + cols, v, mask=cols < n)
    return (1,)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        scratch = torch.empty(1, device=x.device)
        scratch_only[grid](x, y, scratch, x.shape[0], x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return y
