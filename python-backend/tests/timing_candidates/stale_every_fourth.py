# CHEAT (timing, red team 15): on every 4th timed call (told from trials by the input's version counter) returns the previous call's output. One re-checked call a block missed it with
# probability ~0.42. Problem: relu.py. Expected: incorrect (bench_output_mismatch).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


_state = {"k": 0, "last": None}


class ModelNew(nn.Module):
    def forward(self, x):
        timed = x._version > 2  # the benchmark refills its buffers in place before every call
        if timed:
            _state["k"] += 1
            if _state["k"] % 4 == 0 and _state["last"] is not None:
                return _state["last"]
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        _state["last"] = out
        return out
