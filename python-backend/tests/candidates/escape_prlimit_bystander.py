# ESCAPE: lowers a bystander's and the verifier's (its parent's) open-file limit with prlimit(), and
# renices the bystander: Landlock scopes signals and ptrace but not these (red team 8 killed a process
# outside the sandbox with prlimit(pid, RLIMIT_CPU, (1, 1))). Otherwise a correct vector add.
# Problem: vector_add.py. Expected: correct inside the sandbox (every attempt fails); with
# TRITONIZE_NO_SANDBOX=1, runtime_error "ESCAPED: ..." (the control run). Targets come from ESCAPE_*
# variables set by tests/test_sandbox.py.
import os
import resource


def attack():
    out = []
    victim = int(_ENV["TRITONIZE_ESCAPE_VICTIM_PID"])
    for pid in (victim, _PPID()):
        try:
            soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            # The bystander's limit drops; the verifier's is set to what it is (the control run
            # must not starve the test process of file descriptors).
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (63, hard) if pid == victim else (soft, hard))
            out.append(f"prlimit {pid}")
        except (OSError, ValueError):
            pass
    try:
        os.setpriority(os.PRIO_PROCESS, int(_ENV["TRITONIZE_ESCAPE_VICTIM_PID"]), 19)
        out.append("reniced")
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
