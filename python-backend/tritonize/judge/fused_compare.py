"""compare.fast_pass's figures in one pass over memory, on the GPU (Triton, which the backend
depends on anyway).

fast_pass in torch makes about 30 passes of float64 temporaries over every element: for issue 10's
6.4 GB outputs that is about 350 ms per trial, a third of a whole verify. These kernels read the
candidate, the reference and the truth once per figure set and leave per-program maxima; the
figures are the same float64 expressions in the same order, so the verdict is the torch path's
(tests/test_fused_compare.py checks them against each other).

The kernels are the judge's own code, compiled into a cache no sandboxed process can write
(judge/process.py's trusted folder): a candidate that could plant a binary in a cache this
process reads would decide every later comparison.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator

import torch

MIN_ELEMENTS = 1 << 26  # below ~64M elements the torch passes take a few ms: not worth a compile
_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_BLOCK = 2048
_KERNELS: dict[str, Any] = {}
# Triton's cache folder is process-wide: one launch at a time here, so a suite's parallel verifies
# never compile with another thread's (restored) folder in force.
_LOCK = threading.Lock()


_TEST_INTERPRET = False  # tests run the kernels under Triton's interpreter on the CPU (a subprocess)


def usable(c: torch.Tensor, r: torch.Tensor, t: torch.Tensor | None, cond: dict[str, torch.Tensor] | None) -> bool:
    if not _TEST_INTERPRET and (r.device.type != "cuda" or os.environ.get("TRITON_INTERPRET") == "1"):
        return False
    if r.numel() < MIN_ELEMENTS and not _TEST_INTERPRET:
        return False
    if c.dtype not in _DTYPES or r.dtype != c.dtype or not (c.is_contiguous() and r.is_contiguous()):
        return False
    if t is not None and (t.dtype != torch.float64 or not t.is_contiguous() or t.device != r.device):
        return False
    if cond is not None:
        mag, cnt = cond["magnitude"], cond["count"]
        if not (mag.is_contiguous() and cnt.is_contiguous() and mag.device == r.device and cnt.device == r.device):
            return False
        if not mag.dtype.is_floating_point or cnt.dtype.is_complex or cnt.dtype == torch.bool:
            return False
    return _kernels() is not None


@contextlib.contextmanager
def _trusted_cache() -> Iterator[None]:
    """Compile into the judge's own folder (the worker's trusted driver cache's sibling)."""
    from .process import trusted_triton_cache

    import triton

    folder = os.path.join(os.path.dirname(trusted_triton_cache()), "judge-kernels")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    knobs = getattr(triton, "knobs", None)
    if knobs is not None and hasattr(knobs, "cache"):
        old = knobs.cache.dir
        knobs.cache.dir = folder
        try:
            yield
        finally:
            knobs.cache.dir = old
        return
    old_env = os.environ.get("TRITON_CACHE_DIR")
    os.environ["TRITON_CACHE_DIR"] = folder
    try:
        yield
    finally:
        if old_env is None:
            os.environ.pop("TRITON_CACHE_DIR", None)
        else:
            os.environ["TRITON_CACHE_DIR"] = old_env


def _kernels() -> dict[str, Any] | None:
    if "figures" not in _KERNELS:
        try:
            from . import fused_kernels
            _KERNELS.update(figures=fused_kernels.figures, summation=fused_kernels.summation)
        except Exception:
            _KERNELS["figures"] = None
    return _KERNELS if _KERNELS.get("figures") is not None else None


def _grid(n: int) -> tuple[int]:
    return ((n + _BLOCK - 1) // _BLOCK,)


def _on(device: torch.device) -> Any:
    return torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()


# Plain IEEE operations, no multiply-add fused into one rounding: the figures are then the ones the
# torch path computes on the CPU, element for element.
_EXACT = {"enable_fp_fusion": False}


def figures(c: torch.Tensor, r: torch.Tensor, t: torch.Tensor | None, *, factor: float, ulps_eps: float,
            kb_tol: float, rtol: float, atol: float, gross: bool) -> dict[str, Any]:
    """fast_pass's maxima over the flat tensors: abs, rel, tol, ref, cand, scale (max |t|), and
    whether any element failed KernelBench's tolerance, was non-finite, was gross (with a truth and
    `gross`) or outside the dtype tolerance (without a truth)."""
    k = _kernels()
    assert k is not None
    n = r.numel()
    out = torch.empty((_grid(n)[0], 9), dtype=torch.float64, device=r.device)
    with _LOCK, _trusted_cache(), _on(r.device):
        p = torch.tensor([factor, ulps_eps, kb_tol, rtol, atol], dtype=torch.float64, device=r.device)
        k["figures"][_grid(n)](c, r, t if t is not None else r, out, p, n, HAS_T=t is not None, GROSS=gross, BLOCK=_BLOCK,
                               num_warps=8, **_EXACT)
    v = out.amax(dim=0).tolist()
    return {"abs": v[0], "rel": v[1], "tol": v[2], "kb_bad": v[3] > 0, "nonfinite": v[4] > 0, "scale": v[5],
            "ref": v[6], "cand": v[7], "bad": v[8] > 0}


def conditioned(c: torch.Tensor, r: torch.Tensor, t: torch.Tensor, mag: torch.Tensor, cnt: torch.Tensor, *,
                factor: float, ulps_eps: float, kb_tol: float, lam: float, acc_u: float, allowed: float) -> dict[str, Any]:
    k = _kernels()
    assert k is not None
    n = r.numel()
    out = torch.empty((_grid(n)[0], 4), dtype=torch.float64, device=r.device)
    with _LOCK, _trusted_cache(), _on(r.device):
        p = torch.tensor([factor, ulps_eps, kb_tol, lam, acc_u, allowed], dtype=torch.float64, device=r.device)
        k["summation"][_grid(n)](c, r, t, mag, cnt, out, p, n, CNT_SCALAR=cnt.numel() == 1 and n != 1, BLOCK=_BLOCK,
                                 num_warps=8, **_EXACT)
    v = out.amax(dim=0).tolist()
    return {"summation": v[0], "allowed": v[1], "gross": v[2] > 0, "over": v[3] > 0}
