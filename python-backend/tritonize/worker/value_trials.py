"""Value-range trials on the reference side (red team 14): random-0's inputs moved to values where a
kernel fitted to randn-like data breaks while the op itself stays well defined.

- shifted: floats offset by 1024x their RMS (a power of two), up for non-negative inputs, down
  otherwise (the other way where that makes the reference's outputs constant or non-finite). One-pass variance E[x^2] - E[x]^2 cancels there; a max padded with 0 meets rows that
  are all negative.
- small: floats scaled by 2^-12 (float16: 2^-4, its subnormals start at 6e-5), one element in 128
  exactly zero. An epsilon in the wrong place (x / (rms + eps)), exp(x) - 1 for expm1, or x / sqrt|x|
  at zero show here; next to values near 1 the same errors sat inside the tolerance.
- tied: floats rounded to 1/16 of their RMS's power of two (zeros moved one step): equal values and
  exact halves, where tie-breaking (argmax's first index) and rounding (half to even) show.

Masks, constant tensors, integers and non-finite inputs stay as they are. The trial is skipped when
the reference's outputs are not all finite on these inputs (the op left its domain), and above
512 MB of inputs, as the special-values trial is. A small-values mismatch that is only a loss of
relative precision near zero is a flag (the judge's rule): tanh as (1 - e^-2x) / (1 + e^-2x) is
common in honest kernels.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from . import masks
from ..common.trial_kinds import VALUE_TRIALS

KINDS = tuple(VALUE_TRIALS)


def _changeable(x: Any) -> bool:
    return (isinstance(x, torch.Tensor) and x.is_floating_point() and x.numel() > 1
            and not masks.constant(x) and bool(torch.isfinite(x).all()))


def _rms_pow2(x: torch.Tensor) -> float | None:
    rms = float(torch.linalg.vector_norm(x, dtype=torch.float64)) / math.sqrt(x.numel())
    if not math.isfinite(rms) or rms == 0.0:
        return None
    return 2.0 ** round(math.log2(rms))


def make(kind: str, xs: list[Any], seed: int, second: bool = False) -> tuple[list[Any], list[str]]:
    """The inputs for trial `kind`, and a description per changed input (empty: nothing to change).
    `second`: the fallback when the first set leaves the reference non-finite or constant: shifted
    the other way (relu of a downward shift is all zeros), small values without exact zeros."""
    zeros = not second
    out, changed = [], []
    for k, x in enumerate(xs):
        scale = _rms_pow2(x) if _changeable(x) else None
        if scale is None:
            out.append(x)
            continue
        if kind == "shifted":
            lim = torch.finfo(x.dtype).max / 64
            off = min(1024.0 * scale, lim) * (1.0 if float(x.min()) >= 0 else -1.0) * (-1.0 if second else 1.0)
            out.append(x + off)
            changed.append(f"input {k} {'+' if off > 0 else '-'}{abs(off):g}")
        elif kind == "small":
            f = 2.0 ** -4 if x.dtype == torch.float16 else 2.0 ** -12
            y = x * f
            if zeros:
                g = torch.Generator(device=x.device).manual_seed(seed + k)
                # torch.where, not a boolean-mask assignment: on a GPU each new family of PyTorch kernels
                # costs the process host memory for the driver's copy of its module (mask indexing
                # about 40 MB more than where, H100, session 26: .gpu/mem_ops.py)
                torch.where(torch.rand(y.shape, generator=g, device=y.device) < 1 / 128, y.new_zeros(()), y, out=y)
            out.append(y)
            changed.append(f"input {k} x{f:g}" + (", 1/128 zeros" if zeros else ""))
        elif kind == "tied":
            q = scale / 16
            steps = torch.round(x.double() / q)
            torch.where(steps == 0, steps.new_ones(()), steps, out=steps)  # ties, not zeros: a division or log stays defined
            out.append((steps * q).to(x.dtype))
            del steps
            changed.append(f"input {k} on a {q:g} grid")
        else:
            raise ValueError(f"unknown value trial {kind!r}")
    return out, changed
