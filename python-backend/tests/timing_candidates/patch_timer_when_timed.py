# CHEAT (timing, session 16): like patch_timer, but rebinds the harness timer's clocks only once the
# benchmark runs (told by the input's version counter: the timed buffers are refilled in place), so
# every trial sees an untouched harness. Problem: relu.py.
# Expected: rejected (monkeypatch: the candidate worker's integrity check covers the timer module at
# the end of the benchmark) or flag timing_forged; never a speedup.
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


_done = []


def _patch():
    mod = getattr(sys, "mod" + "ules").get(".".join(["tritonize", "worker", "tim" + "er"]))
    if mod is None or _done:
        return
    real, el = getattr(mod, "_pe" + "rf"), getattr(mod, "_ela" + "psed")
    setattr(mod, "_pe" + "rf", lambda: real() / 100.0)
    setattr(mod, "_ela" + "psed", lambda a, b: el(a, b) / 100.0)
    _done.append(True)


class ModelNew(nn.Module):
    def forward(self, x):
        if x._version > 2:
            _patch()
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
