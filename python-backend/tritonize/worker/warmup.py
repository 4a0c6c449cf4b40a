"""Triton's one-time start-up in an idle pool worker (CUDA), before any job: its GPU driver object,
the compiler's cache key (a hash of libtriton and the backends) and the compiler's imports. A
candidate's first launch paid them, 1.1-1.4 s of a verify on the H100; after this warm-up it was
0.24-0.39 s, its own kernel's compile and launcher (session 27, `.gpu/compile_warm.py`). Only for
pool workers, which wait for a job anyway: a worker started for one verify would only move the cost."""
from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def _touch(p, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(p + offs, tl.load(p + offs, mask=offs < n) + 1, mask=offs < n)


def run() -> None:
    import torch

    buf = torch.zeros(16, device="cuda")
    _touch[(1,)](buf, 16, BLOCK=16)
    torch.cuda.synchronize()
