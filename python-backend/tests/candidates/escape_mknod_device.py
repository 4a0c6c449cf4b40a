# ESCAPE: makes character-device nodes in its own scratch folder (where it may write) and opens
# them: as root (the GPU boxes run as root) that reached /dev/kmsg, kvm and a block device (red team
# 8). Otherwise a correct vector add. Problem: vector_add.py. Expected: correct inside the sandbox
# (every attempt fails); with TRITONIZE_NO_SANDBOX=1 and root, runtime_error "ESCAPED: ..." (the
# control run).
import os
import stat


def attack():
    out = []
    for name, major, minor in (("kmsg", 1, 11), ("null2", 1, 3)):
        path = os.path.join(_ENV.get("HOME", "/tmp"), f"tz-node-{name}")
        try:
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(major, minor))
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
            out.append(f"opened device node {name}")
        except OSError:
            pass
        finally:
            try:
                os.unlink(path)
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
