# CHEAT: like cheat_torch_compile.py, with torch.compile reached through a name built at run time
# (invisible to the static rules). The decoy Triton kernel runs; the answer comes from the
# compiled function.
# Problem: vector_add.py. Expected: rejected. On the CPU the compiled function runs its aten ops
# under the verifier's dispatch recorder (rule pytorch_fallback, aten.add.Tensor). On a GPU, if
# Inductor's own Triton kernels run instead, the profiler's kernel list (anticheat.other_kernels,
# time_coverage) is the witness, and the verdict must still be rejected.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def _add(a, b):
    return a + b


_compiled_add = getattr(torch, "com" + "pile")(_add, dynamic=False)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        scratch = torch.empty_like(a)
        n = a.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](a, scratch, n, BLOCK=1024)
        return _compiled_add(a, b)
