# CHEAT (timing): reaches the benchmark harness's timer module through sys.modules with a built
# name and makes its captured clocks run 100x slow, so every timed call looks 100x faster.
# Problem: relu.py. Expected: rejected (timing_forged: the judge's own clock disagrees) or monkeypatch.
import sys
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


def _relu(x):
    x = x.contiguous()
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
    return out


_done = []


def _patch():
    mod = getattr(sys, "mod" + "ules").get(".".join(["tritonize", "worker", "tim" + "er"]))  # hidden from static rules
    if mod is None or _done:
        return
    real = getattr(mod, "_pe" + "rf")
    setattr(mod, "_pe" + "rf", lambda: real() / 100.0)
    el = getattr(mod, "_ela" + "psed")
    setattr(mod, "_ela" + "psed", lambda a, b: el(a, b) / 100.0)
    _done.append(True)


class ModelNew(nn.Module):
    def forward(self, x):
        _patch()  # the harness's timer is loaded once the benchmark starts
        return _relu(x)
