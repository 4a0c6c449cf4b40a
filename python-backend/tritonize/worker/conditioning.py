"""Conditioning of the reference op (reference side): how much error ANY fp32 implementation of it
may have, not only the reference's own.

For sums of products (sum, mean, cumsum, matmul, linear, conv, ... : ops that are affine in each
input, "multilinear"), floating-point error analysis bounds the error of every summation order by
the same quantity: |computed - exact| <= gamma * sum_i |term_i|, where the deterministic worst
case is gamma = (n - 1) u and the probabilistic bound of Higham & Mary (SIAM J. Sci. Comput.
41(5), 2019), which holds in practice for any order (sequential, pairwise, blocked, tree), is
gamma = lambda * sqrt(n) * u (u = unit roundoff, n = number of terms). Per output element this
needs two float64 quantities, both computed here from the reference itself:

- magnitude = f_abs(|x|): the reference with |inputs| and |parameters| (for a multilinear op,
  exactly sum_i |term_i|, the condition of the sum);
- count = f_ones(1): the reference with inputs and parameters set to one (exactly n, the number of
  terms, per element: K for a matmul, k for the k-th prefix of a scan).

Both are only meaningful for multilinear ops, so they are only produced when the reference passes
a homogeneity test (f(2x) - f(0) == 2^d (f(x) - f(0)) for a degree d in 1..3); anything else
(softmax, exp, norms) keeps the plain reference-error tolerance. The judge turns these into the
allowance (judge/compare.py).
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch

from ..common.limits import SLICE_ELEMENTS


def _outs(y: Any) -> list[Any]:
    if isinstance(y, torch.Tensor):
        return [y]
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _with_params(model: torch.nn.Module, fn: Callable[[torch.Tensor], None]) -> torch.nn.Module:
    m = copy.deepcopy(model)
    with torch.no_grad():
        for t in list(m.parameters()) + list(m.buffers()):
            if t.is_floating_point():
                fn(t)
    return m


class Conditioning:
    """Built once per problem from the float64 reference; `per_trial(inputs)` gives, per output,
    {"magnitude", "count"} (float64, CPU) or None when the op is not multilinear."""

    def __init__(self, model64: torch.nn.Module, device: str):
        self.model64, self.device = model64, device
        self.degree: int | None = None
        self.note: str | None = None
        self._abs: torch.nn.Module | None = None
        self._count: list[Any] | None = None

    def _run(self, model: torch.nn.Module, xs: list[Any], fn: Callable[[torch.Tensor], torch.Tensor] | None = None) -> list[Any]:
        """float64 outputs, left on the device: a 1 GB fp32 output is 2 GB here, and each host copy
        of it (three per probe, one per trial) cost seconds and host memory the size of the run.
        `fn` changes each floating input in place on its float64 copy: no full-size temporary at
        the input's own dtype next to it (6 GB at issue 10's sizes)."""
        def up(x: torch.Tensor) -> torch.Tensor:
            d = x.to(device=self.device, dtype=torch.float64, copy=True)
            return fn(d) if fn is not None else d
        dev = [up(x) if isinstance(x, torch.Tensor) and x.is_floating_point()
               else (x.to(self.device) if isinstance(x, torch.Tensor) else x) for x in xs]
        with torch.no_grad():
            outs = _outs(model(*dev))
        del dev
        return [o.detach().double() if isinstance(o, torch.Tensor) and o.is_floating_point() else None for o in outs]

    def _probe(self, inputs: list[Any], truth: list[Any] | None = None) -> None:
        """`truth`: the float64 reference's outputs on `inputs` when the caller has them (f(x))."""
        f = lambda fn: self._run(self.model64, inputs, fn)
        # f(x) - f(0) and f(2x) - f(0), made in place one at a time: at most three float64 outputs
        # are alive at once besides the caller's truth; two where f(0) is zero (no bias: sum,
        # matmul, ReLU), the common case, which at 6 GB of input is the difference between
        # fitting an 80 GB GPU and not.
        y0 = f(lambda d: d.zero_())
        zero = all(z is None or not bool(z.any()) for z in y0)
        y1 = [t.double() if isinstance(t, torch.Tensor) and t.is_floating_point() else None for t in truth] \
            if truth is not None and len(truth) == len(y0) else f(None)
        if zero:  # f(x) - 0 is f(x) itself: no copy
            d1 = [a if z is not None and a is not None and a.shape == z.shape else None for a, z in zip(y1, y0)]
            y0 = [None if z is None else 0 for z in y0]  # which outputs there are; the zeros go now
        else:
            d1 = [a - z if a is not None and z is not None and a.shape == z.shape else None for a, z in zip(y1, y0)]
        del y1
        own = {t.untyped_storage().data_ptr() for t in list(self.model64.parameters()) + list(self.model64.buffers())}
        # In place, unless the output is the model's own parameter or buffer (forward returned it).
        d2 = []
        for b, z, a in zip(f(lambda d: d.mul_(2.0)), y0, d1):
            if b is None or z is None or a is None or b.shape != a.shape:
                d2.append(None)
            elif zero:
                d2.append(b)
            else:
                d2.append(b.sub_(z) if b.untyped_storage().data_ptr() not in own else b - z)
        del y0
        for d in (1, 2, 3):
            if all(_homogeneous(lhs, base, 2.0 ** d) for lhs, base in zip(d2, d1)) and any(a is not None for a in d1):
                self.degree = d
                break
        del d1, d2
        if self.degree is None:
            self.note = "not multilinear: tolerance from the reference's own error only"
            return
        self._abs = _with_params(self.model64, lambda t: t.abs_())
        ones = _with_params(self.model64, lambda t: t.fill_(1.0))
        self._count = [_compact_count(c) for c in self._run(ones, inputs, lambda d: d.fill_(1.0))]
        del ones

    def per_trial(self, inputs: list[Any], out_dtypes: list[Any] | None = None,
                  truth: list[Any] | None = None) -> list[dict[str, torch.Tensor] | None] | None:
        """`out_dtypes`: the reference's output dtypes; the magnitude of a non-float64 output is kept
        in float32 (a tolerance needs no more digits; half the memory of a 6 GB output's).
        `truth`: the float64 outputs on `inputs`, when the caller has them (saves a run)."""
        try:
            if self.degree is None and self.note is None:
                self._probe(inputs, truth)
            if self.degree is None or self._abs is None or self._count is None:
                return None
            mags = self._run(self._abs, inputs, lambda d: d.abs_())
            if len(mags) != len(self._count):
                return None
            out: list[dict[str, torch.Tensor] | None] = []
            for i, (m, c) in enumerate(zip(mags, self._count)):
                ok = m is not None and c is not None and (c.shape == m.shape or c.numel() == 1)
                if not ok:
                    out.append(None)
                    continue
                low = out_dtypes is not None and i < len(out_dtypes) and out_dtypes[i] != torch.float64
                m = m.abs_()
                if low:  # clamped, not overflowed to inf: an infinite allowance would pass anything
                    m = m.clamp_(max=torch.finfo(torch.float32).max).float()
                out.append({"magnitude": m, "count": c})
            return out
        except Exception as exc:  # the tolerance then falls back to the reference's own error
            self.degree, self.note = None, f"conditioning unavailable ({type(exc).__name__}: {str(exc)[:120]})"
            return None


def _homogeneous(lhs: torch.Tensor | None, base: torch.Tensor | None, k: float, step: int = 1 << 24) -> bool:
    """lhs == k * base to 1e-9 of the larger magnitude, in slices (no full-size temporaries).
    Outputs that are missing or of another shape do not count against it."""
    if lhs is None or base is None or lhs.shape != base.shape:
        return True
    a, b = lhs.reshape(-1), base.reshape(-1)
    if not a.numel():
        return True
    scale = max(float(a.abs().max()), k * float(b.abs().max()))
    if scale == 0.0:
        return False
    for i in range(0, a.numel(), step):
        if not bool(((a[i:i + step] - k * b[i:i + step]).abs() <= 1e-9 * scale).all()):
            return False
    return True


def _compact_count(c: torch.Tensor | None) -> torch.Tensor | None:
    """Terms per element, at least 1, in float32 (exact up to 2^24 terms, and only its square root is
    used); one element when it is the same everywhere (K for every element of a matmul, 1 for an
    elementwise op), which the comparison broadcasts."""
    if c is None:
        return None
    c = c.abs().clamp_min_(1.0)
    if c.numel() and bool(c.min() == c.max()):
        return c.reshape(-1)[:1].float().clone()
    return c.float()


def broadened(inputs: list[Any], seed: int, widen_ints: bool = False) -> list[Any]:
    """The first trial's inputs with random signs and magnitudes spread over ~e^+-4: outside a
    distribution on which the op degenerates (relu of positive values is the identity,
    |x| < 50 on N(0,1) is constant), one element in 32 a further 10^1..10^6 larger. With
    `widen_ints`, integer inputs are drawn from a range about 9x as wide (a quarter of them up to
    2^24, 2^40 for int64), kept non-negative when they were (x % 7 is the identity on randint(0, 5));
    the caller retries without when that breaks the reference (the integers were indices)."""
    out = []
    for k, x in enumerate(inputs):
        if widen_ints and isinstance(x, torch.Tensor) and x.dtype != torch.bool and x.numel() \
                and not x.is_floating_point() and not x.is_complex():
            g = torch.Generator(device=x.device).manual_seed(seed + k)
            lo, hi = int(x.min()), int(x.max())
            span = hi - lo + 1
            info = torch.iinfo(x.dtype)
            new_lo = max(info.min, lo if lo >= 0 else lo - 4 * span - 8)
            new_hi = min(info.max - 1, hi + 4 * span + 8)
            y = torch.randint(new_lo, new_hi + 1, x.shape, generator=g, device=x.device, dtype=torch.int64)
            # A quarter of the elements from a far wider range (up to 2^28, or 2^40 for int64, within
            # the dtype's limit): x % 1000 or x & 0xFFFF on randint(0, 10) are the identity on any
            # 9x-wider range, and int64 done in int32 is right below 2^31 (red team 12 c12). Past
            # 2^24, so that integers carried through float32 lose bits (red team 27 c17).
            far_hi = min(info.max - 1, max(new_hi, 1 << (40 if x.dtype == torch.int64 else 28)))
            far_lo = max(info.min, lo if lo >= 0 else -far_hi)
            far = torch.randint(far_lo, far_hi + 1, x.shape, generator=g, device=x.device, dtype=torch.int64)
            pick = torch.rand(x.shape, generator=g, device=x.device) < 0.25
            out.append(torch.where(pick, far, y).to(x.dtype))
            continue
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            out.append(_broadened_float(x, torch.Generator(device=x.device).manual_seed(seed + k)))
        else:
            out.append(x)
    return out


def _broadened_float(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """x with random signs and magnitudes e^(2z), one element in 32 a further 10^1..10^6 larger
    (clamp(x, -1e4, 1e4) on randn is the identity even at e^+-4 magnitudes), made slice by slice:
    at issue 10's sizes whole-tensor factors were several times the input on the GPU."""
    wide = torch.float64 if x.dtype == torch.float64 else torch.float32  # float64's limit does not fit a float32
    lim = torch.finfo(x.dtype).max / 64
    y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    xf, yf = x.reshape(-1), y.view(-1)
    for a in range(0, xf.numel(), SLICE_ELEMENTS):
        xs = xf[a:a + SLICE_ELEMENTS]
        m, dev = xs.numel(), xs.device
        sign = torch.randint(0, 2, (m,), generator=g, device=dev, dtype=torch.int8).to(wide).mul_(2).sub_(1)
        scale = torch.randn(m, generator=g, device=dev, dtype=wide).mul_(2.0).exp_()
        far = torch.rand(m, generator=g, device=dev) < 1 / 32
        boost = torch.rand(m, generator=g, device=dev, dtype=wide).mul_(5.0).add_(1.0).mul_(math.log(10.0)).exp_()
        scale = torch.where(far, scale * boost, scale)
        yf[a:a + m] = xs.to(wide, copy=True).mul_(sign).mul_(scale).clamp_(-lim, lim).to(x.dtype)
    return y


def domain_facts(trials_in: list[dict[str, Any]], trials_out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per output: is it, on every trial at the problem's own distribution, equal to one of the
    inputs (`identity_of`) or constant (`constant`)? Then a copy or a fill passes the check."""
    facts: list[dict[str, Any]] = []
    n_out = len(trials_out[0]["outputs"]) if trials_out else 0
    for i in range(n_out):
        ident, const = None, True
        outs = [t["outputs"][i] for t in trials_out]
        if not all(isinstance(o, torch.Tensor) for o in outs):
            facts.append({"identity_of": None, "constant": False})
            continue
        for j in range(len(trials_in[0]["inputs"])):
            if all(isinstance(t["inputs"][j], torch.Tensor) and t["inputs"][j].shape == o.shape
                   and t["inputs"][j].dtype == o.dtype and torch.equal(t["inputs"][j], o)
                   for t, o in zip(trials_in, outs)):
                ident = j
                break
        for o in outs:
            if o.numel() < 2 or not bool((o == o.flatten()[0]).all()):
                const = False
                break
        facts.append({"identity_of": ident, "constant": const})
    return facts
