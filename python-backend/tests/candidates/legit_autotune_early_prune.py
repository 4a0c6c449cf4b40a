# LEGIT: @triton.autotune whose unmasked config is only valid when the block divides n; the
# kernel's own early_config_prune drops it otherwise, as Triton's autotuner would. Checking every
# config in turn must respect that pruning. Problem: vector_add.py. Expected: correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl


def _prune(configs, nargs, **kwargs):
    n = nargs["n"]
    return [c for c in configs if c.kwargs["MASKED"] or n % c.kwargs["BLOCK"] == 0]


@triton.autotune(configs=[triton.Config({"BLOCK": 64, "MASKED": 0}), triton.Config({"BLOCK": 128, "MASKED": 1}),
                          triton.Config({"BLOCK": 256, "MASKED": 1})],
                 key=["n"], prune_configs_by={"early_config_prune": _prune})
@triton.jit
def add_kernel(a, b, out, n, BLOCK: tl.constexpr, MASKED: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    if MASKED:
        m = offs < n
        tl.store(out + offs, tl.load(a + offs, mask=m) + tl.load(b + offs, mask=m), mask=m)
    else:
        tl.store(out + offs, tl.load(a + offs) + tl.load(b + offs))


class ModelNew(nn.Module):
    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](a, b, out, n)
        return out
