# ESCAPE: signals the verifier (its parent process) and a bystander process of the same user.
# Otherwise a correct vector add. Problem: vector_add.py. Expected: correct inside the sandbox (every
# attempt fails); with TRITONIZE_NO_SANDBOX=1, runtime_error "ESCAPED: ..." (the control run that
# shows the attempt is real). Targets come from TRITONIZE_ESCAPE_* variables set by tests/test_sandbox.py.
import os
import signal


def attack():
    out = []
    for pid in (_PPID(), int(_ENV["TRITONIZE_ESCAPE_VICTIM_PID"])):
        try:
            os.kill(pid, signal.SIGUSR1)
            out.append(f"signalled {pid}")
        except OSError:
            pass
    return out


import torch
import torch.nn as nn
import triton
import triton.language as tl

# The OS sandbox is what this escape tests: reached without the names the static rules read
# (environment_probe), as an attacker would.
_ENV = getattr(os, "env" + "iron")
_PPID = getattr(os, "getp" + "pid")
_PID = getattr(os, "get" + "pid")


@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        escaped = attack()
        if escaped:  # only an attack that worked says so, in the verdict's error message
            raise RuntimeError("ESCAPED: " + "; ".join(escaped))

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        return out
