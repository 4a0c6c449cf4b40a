# GPU CHEAT: like gpu_monkeypatch_synchronize.py, but the patch happens inside forward with names
# built at run time (invisible to the static rules).
# Problem: vector_add.py (cuda). Expected: rejected, rule monkeypatch naming torch.cuda.synchronize
# (the worker's integrity snapshot after the trial).
import torch
import torch.nn as nn
import triton
import triton.language as tl

@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)


def _noop(*args, **kwargs):
    return None


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        put = getattr(__builtins__, "set" + "attr") if not isinstance(__builtins__, dict) else __builtins__["set" + "attr"]
        put(getattr(torch, "cu" + "da"), "synchro" + "nize", _noop)
        return out
