"""Masks on the reference side: which ones a kernel may compute from indices instead of loading
(a causal or window pattern), which ones `get_inputs` makes constant, and the varied-masks trial's
inputs. Shared by perturbed-params (buffers), near-repeat and varied-masks (inputs)."""

from __future__ import annotations

from typing import Any

import torch


def two_valued(x: torch.Tensor) -> bool:
    """bool, or an integer tensor holding only 0 and 1."""
    return x.dtype == torch.bool or (not x.is_floating_point() and not x.is_complex()
                                     and bool(((x == 0) | (x == 1)).all()))


def constant(x: torch.Tensor) -> bool:
    flat = x.detach().reshape(-1)
    return bool((flat == flat[0]).all())


def index_structured(t: torch.Tensor) -> bool:
    """A two-valued pattern a kernel may compute from indices instead of loading it: every 2-D slice
    the same, each row's set entries one contiguous run whose ends move by 0 or 1 per row (causal,
    its transpose, the identity, a sliding window). A random pruning mask is not."""
    if t.dim() < 2 or t.numel() < 2:
        return False
    m = t.detach().reshape(-1, t.shape[-2], t.shape[-1])
    if not bool((m == m[:1]).all()):
        return False
    b = (m[0] == m[0].max()).to(torch.int8)
    edge = torch.diff(b, dim=1, prepend=torch.zeros_like(b[:, :1]), append=torch.zeros_like(b[:, :1]))
    if bool(((edge == 1).sum(1) > 1).any()):
        return False  # a row with two runs
    full = (edge == 1).any(1)
    lo, hi = (edge == 1).int().argmax(1)[full], (edge == -1).int().argmax(1)[full]
    return all(bool(((s[1:] - s[:-1] >= 0) & (s[1:] - s[:-1] <= 1)).all()) for s in (lo, hi))


def from_indices(x: torch.Tensor) -> bool:
    """A mask input a kernel may compute instead of loading: two-valued, index-structured and not
    constant (an all-ones mask is the degenerate case varied-masks flips, red team 13 c11 / 13b c03)."""
    return two_valued(x) and not constant(x) and index_structured(x)


def varied(inputs: list[Any], seed: int) -> tuple[list[Any], list[str]]:
    """The inputs with what get_inputs makes constant varied: a quarter of each bool input flipped and
    of an int input that is all 0 or all 1, an all-zero float input given N(0,1) values. A kernel
    that ignores such an input (an all-True key mask, an all-ones attention_mask, an additive mask
    of zeros) is right on every other trial (red team 13 c11, 13b c02, c03). A mask a kernel may
    compute from indices (causal, a window) stays as it is. Also returns what changed."""
    out, changed = [], []
    for k, x in enumerate(inputs):
        g = torch.Generator(device=x.device).manual_seed(seed + k) if isinstance(x, torch.Tensor) else None
        # bool, or an int input that is all 0 or all 1 (widening a constant 1 never gives 0; 0/1 ints
        # that vary are widened by broadened as other ints are)
        if isinstance(x, torch.Tensor) and x.numel() > 1 and two_valued(x) and (x.dtype == torch.bool or constant(x)) \
                and not from_indices(x):
            flip = torch.rand(x.shape, generator=g, device=x.device) < 0.25
            x = x ^ flip if x.dtype == torch.bool else torch.where(flip, 1 - x, x)
            changed.append(f"input {k} ({str(x.dtype).replace('torch.', '')} mask, a quarter flipped)")
        elif isinstance(x, torch.Tensor) and x.is_floating_point() and x.numel() > 1 and not bool(x.any()):
            x = torch.randn(x.shape, generator=g, device=x.device, dtype=torch.float32).to(x.dtype)
            changed.append(f"input {k} (all zeros, given N(0,1) values)")
        out.append(x)
    return out, changed
