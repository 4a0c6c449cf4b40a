"""Indices that differ from PyTorch's only in the order of ties.

topk, sort and friends leave the order of equal values open, so on inputs with ties of their own
(scores quantised to a few levels: red team 14 h01) an honest kernel's indices differ from
PyTorch's while pointing at the same values. `same_values` checks exactly that, against the
trial's inputs: the candidate's indices are in range, select the values the reference's indices
select from the op's own input (see same_values), and stay distinct where PyTorch's are, so
returning one index k times for a tied row, or indices of the wrong values, is still a mismatch.
"""

from __future__ import annotations

from typing import Any

import torch


def _gathered(x: torch.Tensor, dim: int, idx: torch.Tensor) -> torch.Tensor | None:
    """x's values at idx along dim (idx with dim kept or removed), or None if the shapes do not fit."""
    if idx.dim() == x.dim() - 1:  # argmax-style: the reduced dimension removed
        idx = idx.unsqueeze(dim)
    if idx.dim() != x.dim() or any(idx.shape[j] != x.shape[j] for j in range(x.dim()) if j != dim):
        return None
    return x.gather(dim, idx)


def _equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


def _distinct_like(cand: torch.Tensor, ref: torch.Tensor, dim: int) -> bool:
    """Where the reference's indices along `dim` are all distinct, the candidate's are too."""
    if cand.dim() == 0 or cand.shape[dim] < 2:
        return True
    dup = lambda t: (t.sort(dim=dim).values.diff(dim=dim) == 0).any(dim=dim)  # noqa: E731
    return not bool((dup(cand) & ~dup(ref)).any())


def same_values(cand: torch.Tensor, ref: torch.Tensor, inputs: list[Any], values: list[Any] | None = None) -> bool:
    """True when `cand` (integer indices) differs from `ref` only in which of equal values it picks.

    The input the indices point into must be the op's own: where the reference also returned values
    of the indices' shape (topk, sort, kthvalue, ...), an input and dimension qualify only if the
    reference's indices gather exactly those values from it; with indices alone (argsort), only if
    one (input, dimension) pair fits the indices at all. Otherwise a quantised second input could
    excuse indices that are wrong for the first."""
    if cand.shape != ref.shape or cand.dtype != ref.dtype or cand.dtype.is_floating_point or not cand.numel():
        return False
    outs = [v for v in values or [] if isinstance(v, torch.Tensor) and v.is_floating_point() and v.shape == ref.shape]
    fits = []
    for x in inputs:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() == 0 or x.device != cand.device:
            continue
        for dim in range(x.dim()):
            n = x.shape[dim]
            if bool(((ref < 0) | (ref >= n)).any()):
                continue
            b = _gathered(x, dim, ref.long())
            if b is None or (outs and not any(_equal(b, v.to(b.dtype)) for v in outs)):
                continue
            fits.append((x, dim, b))
    if not fits or (not outs and len(fits) > 1):
        return False
    for x, dim, b in fits:
        if bool(((cand < 0) | (cand >= x.shape[dim])).any()):
            continue
        a = _gathered(x, dim, cand.long())
        if a is not None and _equal(a, b) and (cand.dim() != x.dim() or _distinct_like(cand, ref, dim)):
            return True
    return False
