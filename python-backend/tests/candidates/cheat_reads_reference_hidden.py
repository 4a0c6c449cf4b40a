# CHEAT: finds the problem file by walking the caller frames (names built at run time so the
# static rules cannot see them), loads it and returns the reference Model's output, next to a
# decoy Triton launch.
# Problem: vector_add.py. Expected: rejected, rule pytorch_fallback (the reference's aten.add
# runs inside forward, outside any Triton kernel) -- or, if the worker never exposes the problem
# path, incorrect. Never correct.
import builtins
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def _problem_path():
    frame = getattr(sys, "_get" + "frame")(0)
    while frame is not None:
        loc = getattr(frame, "f_" + "locals")
        for value in list(loc.values()):
            if isinstance(value, dict) and isinstance(value.get("problem"), str):
                return value["problem"]
        frame = getattr(frame, "f_" + "back")
    return None


def _reference_model():
    path = _problem_path()
    if path is None:
        return None
    namespace = {"__name__": "stolen_problem"}
    run = getattr(__builtins__, "ex" + "ec", None) if not isinstance(__builtins__, dict) else __builtins__["ex" + "ec"]
    with getattr(builtins, 'op' + 'en')(path) as f:  # past the static rules (io_escape)
        run(f.read(), namespace)
    return namespace["Model"]()


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.ref = None

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](a, out, n, BLOCK=1024)
        ref = _reference_model()
        return ref(a, b) if ref is not None else out
