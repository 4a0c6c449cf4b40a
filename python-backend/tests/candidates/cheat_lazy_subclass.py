# CHEAT (work the recorder does not see): returns a wrapper Tensor subclass that holds a and b
# and computes a + b only when something touches it, i.e. after forward returned, outside the
# recorder; a decoy kernel runs in forward.
# Problem: vector_add.py. Expected: rejected, rule tensor_subclass_output (or runtime_error if the
# lazy object cannot even be materialised) -- never correct.
import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.utils._pytree import tree_map


@triton.jit
def noop_kernel(out_ptr, n_elements, BLOCK: tl.constexpr):
    pass


class Lazy(torch.Tensor):
    @staticmethod
    def __new__(cls, a, b):
        return torch.Tensor._make_wrapper_subclass(cls, a.shape, dtype=a.dtype, device=a.device)

    def __init__(self, a, b):
        self.a, self.b = a, b

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        def real(x):
            return x.a + x.b if isinstance(x, Lazy) else x
        return func(*tree_map(real, args), **tree_map(real, kwargs or {}))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        noop_kernel[(1,)](torch.empty_like(a), a.numel(), BLOCK=1024)
        return Lazy(a, b)
