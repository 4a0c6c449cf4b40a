# ESCAPE: plants a file in every Triton cache it can reach (its own, the verifier's trusted driver-stub cache, the user's ~/.triton), and fails if a planted file from an earlier run is visible.
# Otherwise a correct vector add. Problem: vector_add.py. Expected: correct inside the sandbox (every
# attempt fails); with TRITONIZE_NO_SANDBOX=1, runtime_error "ESCAPED: ..." (the control run that
# shows the attempt is real). Targets come from TRITONIZE_ESCAPE_* variables set by tests/test_sandbox.py.
import os


def _caches():
    # The trusted driver-stub cache is at a known place under the user's XDG cache folder (the
    # worker no longer shows its variable to candidates; the test names the folder).
    return [_ENV.get("TRITON_CACHE_DIR", ""),
            os.path.join(_ENV.get("TRITONIZE_ESCAPE_XDG", "/nonexistent"), "tritonize", "triton-driver"),
            os.path.join(_ENV["TRITONIZE_ESCAPE_HOME"], ".triton", "cache")]


_done = []


def attack():
    if _done:  # once per process: ModelNew is built again for the shape-variation trial
        return []
    _done.append(1)
    out = []
    tag = "poison-" + _ENV["TRITONIZE_ESCAPE_TAG"]
    for cache in _caches():
        if cache and os.path.exists(os.path.join(cache, tag)):
            out.append(f"saw an earlier candidate's {tag} in {cache}")
    for cache in _caches():
        try:
            os.makedirs(cache, exist_ok=True)
            with open(os.path.join(cache, tag), "w") as f:
                f.write("poison")
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
