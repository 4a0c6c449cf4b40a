# red team 8: starts a thread through _thread.start_new, the old alias of start_new_thread.
# Problem: relu_small_rt8.py. Expected: rejected (threads).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0).to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=m)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        BLOCK = 4096
        relu_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, BLOCK=BLOCK)
        return y


_B = __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__
_t = _B["__imp" + "ort__"]("_thr" + "ead")


def _spin():
    for _ in range(10 ** 9):  # about as long as the 30 s it spun on the clock (no clock: environment_probe)
        pass


getattr(_t, "start_" + "new")(_spin, ())
