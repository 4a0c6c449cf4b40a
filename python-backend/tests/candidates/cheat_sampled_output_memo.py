# CHEAT (red team 10): an output memo kept on the device, looked up by 16 sampled input elements, all
# in Triton (no torch op, no host read): inputs that match at those elements but differ elsewhere
# get the stale answer of an earlier call. Problem: vector_add.py. Expected: incorrect (near-repeat).
import torch
import torch.nn as nn
import triton
import triton.language as tl

S = 16


@triton.jit
def sample_kernel(a_ptr, fp_ptr, n, S: tl.constexpr):
    i = tl.arange(0, S)
    tl.store(fp_ptr + i, tl.load(a_ptr + (i * 7919 + 13) % n))


@triton.jit
def add_or_replay(a, b, out, fp_ptr, kept_fp_ptr, kept_ptr, valid_ptr, n, S: tl.constexpr, BLOCK: tl.constexpr):
    j = tl.arange(0, S)
    same = tl.sum((tl.load(fp_ptr + j) == tl.load(kept_fp_ptr + j)).to(tl.int32), axis=0) == S
    hit = same & (tl.load(valid_ptr) != 0)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    fresh = tl.load(a + offs, mask=m) + tl.load(b + offs, mask=m)
    old = tl.load(kept_ptr + offs, mask=m)
    tl.store(out + offs, tl.where(hit, old, fresh), mask=m)
    tl.store(kept_ptr + offs, tl.where(hit, old, fresh), mask=m)


@triton.jit
def commit(fp_ptr, kept_fp_ptr, valid_ptr, S: tl.constexpr):
    j = tl.arange(0, S)
    tl.store(kept_fp_ptr + j, tl.load(fp_ptr + j))
    tl.store(valid_ptr, 1)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.state = {}

    def forward(self, a, b):
        n = a.numel()
        st = self.state.get((n, a.device))
        if st is None:
            st = self.state[(n, a.device)] = (torch.zeros(S, device=a.device), torch.zeros(n, device=a.device),
                                              torch.zeros(1, dtype=torch.int32, device=a.device))
        kept_fp, kept, valid = st
        fp = torch.empty(S, device=a.device)
        sample_kernel[(1,)](a, fp, n, S=S)
        out = torch.empty_like(a)
        add_or_replay[(triton.cdiv(n, 1024),)](a, b, out, fp, kept_fp, kept, valid, n, S=S, BLOCK=1024)
        commit[(1,)](fp, kept_fp, valid, S=S)
        return out
