# red team 8: reads the inputs from captured tl.device_print output, sums in Python, stores by scalar launches.
# Problem: c31_rt8_problem.py. Expected: rejected (kernel_host_code).
import torch
import torch.nn as nn
import triton
import triton.language as tl
import io, struct, re

_B = __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__
_s = _B["__imp" + "ort__"]("s" + "ys")


@triton.jit
def dump_kernel(x_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    v = tl.load(x_ptr.to(tl.pointer_type(tl.int32)) + offs, mask=offs < n, other=0)
    tl.device_print("v", v, hex=True)


@triton.jit
def store_kernel(y_ptr, i, val):
    tl.store(y_ptr + i, val)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        n = x.numel()
        cap = io.StringIO()
        old = getattr(_s, "std" + "out")
        setattr(_s, "std" + "out", cap)
        dump_kernel[(triton.cdiv(n, 256),)](x, n, BLOCK=256)
        setattr(_s, "std" + "out", old)
        vals = {}
        for m in re.finditer(r"\((\d+), \d+, \d+\)\s+v:?\s+\[(.*?)\]", cap.getvalue(), re.S):
            pid = int(m.group(1))
            for j, w in enumerate(m.group(2).split()):
                vals[pid * 256 + j] = struct.unpack("<f", struct.pack("<I", int(w.replace("0x", ""), 16) & 0xFFFFFFFF))[0]
        y = torch.empty(rows, dtype=x.dtype, device=x.device)
        for r in range(rows):
            store_kernel[(1,)](y, r, float(sum(vals[r * cols + c] for c in range(cols))))
        return y
