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
    old = triton.knobs.cache.dir  # Triton 3.6-3.8 all have knobs
    triton.knobs.cache.dir = folder
    try:
        yield
    finally:
        triton.knobs.cache.dir = old


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


def _launch(kernel: str, width: int, params: list[float], n: int, device: torch.device, *args: Any,
            **meta: Any) -> list[float] | None:
    """Per-program figures of one kernel, reduced to their maxima; None when it cannot compile or
    launch here (no compiler, an unwritable cache folder, ...): the caller's torch passes decide."""
    k = _kernels()
    if k is None:
        return None
    try:
        out = torch.empty((_grid(n)[0], width), dtype=torch.float64, device=device)
        with _LOCK, _trusted_cache(), _on(device):
            p = torch.tensor(params, dtype=torch.float64, device=device)
            k[kernel][_grid(n)](*args, out, p, n, BLOCK=_BLOCK, num_warps=8, **meta, **_EXACT)
        return out.amax(dim=0).tolist()
    except Exception:
        return None


def figures(c: torch.Tensor, r: torch.Tensor, t: torch.Tensor | None, *, factor: float, ulps_eps: float,
            kb_tol: float, rtol: float, atol: float, gross: bool) -> dict[str, Any] | None:
    """fast_pass's maxima over the flat tensors: abs, rel, tol, ref, cand, scale (max |t|), and
    whether any element failed KernelBench's tolerance, was non-finite, was gross (with a truth and
    `gross`) or outside the dtype tolerance (without a truth). None: use the torch passes."""
    v = _launch("figures", 9, [factor, ulps_eps, kb_tol, rtol, atol], r.numel(), r.device,
                c, r, t if t is not None else r, HAS_T=t is not None, GROSS=gross)
    if v is None:
        return None
    return {"abs": v[0], "rel": v[1], "tol": v[2], "kb_bad": v[3] > 0, "nonfinite": v[4] > 0, "scale": v[5],
            "ref": v[6], "cand": v[7], "bad": v[8] > 0}


def conditioned(c: torch.Tensor, r: torch.Tensor, t: torch.Tensor, mag: torch.Tensor, cnt: torch.Tensor, *,
                factor: float, ulps_eps: float, kb_tol: float, lam: float, acc_u: float,
                allowed: float) -> dict[str, Any] | None:
    n = r.numel()
    v = _launch("summation", 4, [factor, ulps_eps, kb_tol, lam, acc_u, allowed], n, r.device,
                c, r, t, mag, cnt, CNT_SCALAR=cnt.numel() == 1 and n != 1)
    if v is None:
        return None
    return {"summation": v[0], "allowed": v[1], "gross": v[2] > 0, "over": v[3] > 0}
