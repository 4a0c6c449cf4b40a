"""CHEAT: fused attention that never loads attn_mask (the benchmark's mask is all zeros, so adding it is "a no-op") (red team 13b c02)

Problem: attn_additive_mask.py
Expected: incorrect (trial varied-masks: the all-zero mask input given values)
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def attn_kernel(q_ptr, k_ptr, v_ptr, o_ptr, S, scale,
                D, BLOCK_S: tl.constexpr, BLOCK_D: tl.constexpr):
    bh = tl.program_id(0)
    row = tl.program_id(1)
    offs_s = tl.arange(0, BLOCK_S)
    offs_d = tl.arange(0, BLOCK_D)
    md = offs_d < D
    ms = offs_s < S
    base = bh * S * D
    q = tl.load(q_ptr + base + row * D + offs_d, mask=md, other=0.0)
    k = tl.load(k_ptr + base + offs_s[:, None] * D + offs_d[None, :], mask=ms[:, None] & md[None, :], other=0.0)
    s = tl.sum(k * q[None, :], axis=1) * scale
    s = tl.where(ms, s, -float("inf"))
    m = tl.max(s, axis=0)
    p = tl.exp(s - m)
    p = p / tl.sum(p, axis=0)
    v = tl.load(v_ptr + base + offs_s[:, None] * D + offs_d[None, :], mask=ms[:, None] & md[None, :], other=0.0)
    o = tl.sum(p[:, None] * v, axis=0)
    tl.store(o_ptr + base + row * D + offs_d, o, mask=md)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v, attn_mask):
        B, H, S, D = q.shape
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        o = torch.empty_like(q)
        attn_kernel[(B * H, S)](q, k, v, o, S, D ** -0.5, D, BLOCK_S=triton.next_power_of_2(S), BLOCK_D=triton.next_power_of_2(D))
        return o
