# CHEAT: a wrong kernel (a * b) whose output is a torch.Tensor subclass that answers every
# comparison with "equal" (__eq__, allclose, isclose, equal, sub -> zeros) and prints like the
# right answer. A harness that compares inside the candidate's process would be fooled.
# Problem: vector_add.py. Expected: not correct -- incorrect (the parent receives plain data and
# compares it itself) or runtime_error (the subclass cannot cross the weights_only channel).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, a * b, mask=mask)


class AlwaysClose(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal"):
            return True
        if name in ("isclose", "eq", "__eq__"):
            return torch.ones(args[0].shape, dtype=torch.bool)
        if name in ("sub", "__sub__", "abs"):
            return torch.zeros(args[0].shape)
        return super().__torch_function__(func, types, args, kwargs)

    def __repr__(self):
        return "tensor(<matches the reference>)"


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        out = torch.empty_like(a)
        n = a.numel()
        add_kernel[(triton.cdiv(n, 1024),)](a, b, out, n, BLOCK=1024)
        return out.as_subclass(AlwaysClose)
