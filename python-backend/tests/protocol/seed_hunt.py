# PROTOCOL: hunts for the run's seed (the test fixes it to 987654321987) everywhere this process
# can look (environment, argv, /proc/self/cmdline, every frame's locals, every dict in the heap)
# and returns a wrong answer if it finds it or a seed derived from it. Otherwise it is a correct
# vector add: a correct verdict proves the seed never entered the candidate's process.
# Problem: vector_add.py. Expected: correct.
import builtins
import os
import sys

import torch
import torch.nn as nn
import triton
import triton.language as tl

def _os(name):
    return getattr(os, name)


def _out_fds():
    """Write ends of pipes this process holds: the worker's result channel among them."""
    import fcntl

    fds = []
    for entry in _os("list" + "dir")("/proc/self/fd"):
        path = "/proc/self/fd/" + entry
        if not os.path.exists(path):  # the listing's own descriptor, closed by now
            continue
        if _os("read" + "link")(path).startswith("pipe:") and fcntl.fcntl(int(entry), fcntl.F_GETFL) & 3 == 1:
            fds.append(int(entry))
    return fds


def _forge(msg):
    chan = getattr(sys, "mod" + "ules")["tritonize.common" + ".channel"]
    for fd in _out_fds():
        getattr(chan, "se" + "nd")(fd, msg)

@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)


def _add(a, b):
    out = torch.empty_like(a)
    n = a.numel()
    add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
    return out

SEED = 987654321987
NEAR = set(range(SEED, SEED + 256))


def _seen():
    texts = list(getattr(os, "env" + "iron").values()) + list(getattr(sys, "ar" + "gv"))  # past environment_probe
    with getattr(builtins, "op" + "en")("/proc/self/cmdline", "rb") as f:  # past io_escape
        texts.append(f.read().decode("latin-1"))
    if any(str(SEED) in t for t in texts):
        return True
    gc = getattr(sys, "mod" + "ules")["g" + "c"]
    frames = list(getattr(sys, "_current_" + "frames")().values())
    spaces = []
    for fr in frames:
        while fr is not None:
            spaces.append(getattr(fr, "f_" + "locals"))
            fr = getattr(fr, "f_" + "back")
    spaces += [o for o in getattr(gc, "get_" + "objects")() if isinstance(o, dict)]
    for d in spaces:
        if d is getattr(getattr(sys, "mod" + "ules")[__name__], "__di" + "ct__"):
            continue
        for v in list(d.values()):
            if type(v) is int and v in NEAR:
                return True
            if isinstance(v, str) and str(SEED) in v:
                return True
    return False


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.leak = _seen()

    def forward(self, a, b):
        if self.leak or _seen():
            return _add(a, a)
        return _add(a, b)
