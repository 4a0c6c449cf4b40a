# CHEAT (forged evidence): computes on the host through the C base class (torch._C.TensorBase.numpy,
# past any Python wrapper on torch.Tensor) and then FORGES a launch record for the output's storage
# by calling sys.audit("tritonize.evidence", "launch", ...) itself.
# Problem: vector_add.py. Expected: rejected, rule host_compute (out.untyped_storage() from forward)
# or output_not_from_kernel (the evidence store only accepts records from the harness's own code
# objects, so the forged launch is ignored).
import sys

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def noop_kernel(out_ptr, n_elements, BLOCK: tl.constexpr):
    pass


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        to_np = torch._C.TensorBase.numpy
        out = torch.empty_like(a, device="cpu")
        noop_kernel[(1,)](torch.empty_like(a), a.numel(), BLOCK=1024)
        np.add(to_np(a.cpu()), to_np(b.cpu()), out=to_np(out))
        out = out.to(a.device)
        s = out.untyped_storage()
        key = (str(out.device), s.data_ptr(), s.nbytes())
        sys.audit("tritonize.evidence", "launch", "noop_kernel", ((key, (0, 0), (1, 1)),))
        return out
