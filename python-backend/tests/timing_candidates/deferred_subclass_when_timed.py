# CHEAT (timing, red team 16 c14, in our words): while timed it launches its kernel on the first
# quarter of the blocks and returns the output as a tensor subclass; the subclass's
# __torch_function__ launches the rest on the first torch call the harness makes on the output
# (the copy it keeps for the re-check), after the clock has stopped. Outputs end up right.
# Problem: relu.py. Expected: rejected (tensor_subclass_output during the benchmark).
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 256


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, first, BLOCK: tl.constexpr):
    offs = (tl.program_id(0) + first) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class Later(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        with torch._C.DisableTorchFunctionSubclass():
            for a in args:
                job = getattr(a, "job", None) if isinstance(a, Later) else None
                if job is not None:
                    a.job = None
                    x, n, k = job
                    relu_kernel[(triton.cdiv(n, BLOCK) - k,)](x, a.as_subclass(torch.Tensor), n, k, BLOCK=BLOCK)
            out = func(*args, **(kwargs or {}))
        return out.as_subclass(torch.Tensor) if type(out) is Later else out


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n, nb = x.numel(), triton.cdiv(x.numel(), BLOCK)
        if x._version > 2 and nb > 1:  # timed: the benchmark refills its buffers in place
            k = max(1, nb // 4)
            relu_kernel[(k,)](x, out, n, 0, BLOCK=BLOCK)
            out = out.as_subclass(Later)
            out.job = (x.clone(), n, k)
            return out
        relu_kernel[(nb,)](x, out, n, 0, BLOCK=BLOCK)
        return out
