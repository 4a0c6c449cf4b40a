# CHEAT (timing): counts calls; the checks make only a few, so from the 13th call on it returns
# the first answer it computed (instant, stale).
# Problem: relu.py. Expected: incorrect (bench_output_mismatch).
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


_state = {"n": 0, "y": None}


class ModelNew(nn.Module):
    def forward(self, x):
        _state["n"] += 1
        if _state["n"] > 12 and _state["y"] is not None and _state["y"].shape == x.shape:
            return _state["y"]
        y = _relu(x)
        _state["y"] = y
        return y
