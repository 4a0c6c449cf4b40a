"""Comparing one trial's outputs with bounded memory, on the device the outputs live on.

`compare.compare_output` works in float64 with a dozen temporaries the size of the output (about
16x a float32 output's bytes); for a 6 GB output that is over 100 GB. Above `budget_bytes` the
output is compared in slices. The tolerance depends on two whole-tensor maxima (the reference's
own error vs fp64 and the fp64 magnitude), so every slice carries two anchor elements, the
positions of those maxima: each slice then sees the same maxima as the whole tensor and the
verdict is the one an unsliced comparison would give. Counts in a failing slice's `reason` are
that slice's.
"""

from __future__ import annotations

from typing import Any

import torch

from .compare import Policy, compare_output, fast_pass

_BYTES_PER_ELEMENT = 160  # compare_output's float64 temporaries, measured roughly, with margin
_FAST_BYTES_PER_ELEMENT = 40  # fast_pass's: two float64 buffers and one float64 expression at a time


def default_budget(device: torch.device | str) -> int:
    dev = torch.device(device)
    if dev.type == "cuda":
        free, _ = torch.cuda.mem_get_info(dev)
        return int(max(256 << 20, min(8 << 30, free // 4)))
    return 256 << 20


def compare_outputs(cands: list[Any], refs: list[Any], truths: list[Any] | None, policy: Policy,
                    budget_bytes: int | None = None, conds: list[Any] | None = None) -> list[dict[str, Any]]:
    """`conds`: per output, the summation allowance's {"magnitude", "count"} (or None)."""
    out = []
    for i, (c, r) in enumerate(zip(cands, refs)):
        t = truths[i] if truths else None
        cond = conds[i] if conds and i < len(conds) else None
        out.append(compare_one(i, c, r, t, policy, budget_bytes, cond))
    return out


def compare_one(i: int, c: Any, r: torch.Tensor, t: torch.Tensor | None, policy: Policy,
                budget_bytes: int | None = None, cond: dict[str, torch.Tensor] | None = None) -> dict[str, Any]:
    if not isinstance(r, torch.Tensor):  # a number, None, a string (a dict's keys): equal or not
        if type(c) is float and type(r) is float:  # loss.item(): as close as fp32 rounding allows
            same = (c != c and r != r) or abs(c - r) <= 1e-6 + 1e-5 * abs(r)
        else:
            same = type(c) is type(r) and c == r
        return {"index": i, "shape": None, "dtype": type(r).__name__, "ok": bool(same), "first_mismatch": None,
                "reason": None if same else f"output {i} is {str(c)[:80]!r}, expected {str(r)[:80]!r}"}
    if isinstance(c, torch.Tensor) and c.device.type == "meta":
        if tuple(c.shape) == tuple(r.shape) and c.dtype == r.dtype:
            # The worker describes only outputs whose shape or dtype is wrong; this one is not.
            return {"index": i, "shape": list(r.shape), "dtype": str(r.dtype).replace("torch.", ""), "ok": False,
                    "reason": f"output {i} was described but not sent", "first_mismatch": None}
        return compare_output(i, c, r, t, policy)  # shape/dtype reason, no data needed
    if not isinstance(c, torch.Tensor) or tuple(c.shape) != tuple(r.shape) or c.dtype != r.dtype:
        return compare_output(i, c, r, t, policy)
    if c.device != r.device:
        c = c.to(r.device)
    budget = budget_bytes or default_budget(r.device)
    step = max(1024, budget // _BYTES_PER_ELEMENT)
    n = r.numel()
    if cond is not None and cond["magnitude"].device != r.device:
        cond = {k: v.to(r.device) for k, v in cond.items()}
    if n <= step or not r.is_floating_point():
        return compare_output(i, c, r, t, policy, cond)
    # Every value finite and within tolerance: the fast pass, in slices of its own (fewer float64
    # temporaries per element); anything else gets the general path's diagnosis.
    base = {"index": i, "shape": list(r.shape), "dtype": str(r.dtype).replace("torch.", ""), "ok": False,
            "reason": None, "first_mismatch": None}
    fast = fast_pass(i, c, r, t if policy.precision != "dtype" else None, policy, cond, base,
                     step=max(1024, budget // _FAST_BYTES_PER_ELEMENT))
    if fast is not None:
        return fast
    return _sliced(i, c, r, t, policy, step, cond)


def _anchors(r: torch.Tensor, t: torch.Tensor, step: int) -> torch.Tensor:
    """Flat indices of max |t| and max |r - t| over positions where both are finite."""
    best = [(-1.0, 0), (-1.0, 0)]
    for a in range(0, r.numel(), step):
        rs, ts = r[a:a + step].double(), t[a:a + step].double()
        fin = torch.isfinite(rs) & torch.isfinite(ts)
        for k, v in enumerate((ts.abs(), (rs - ts).abs())):
            v = v.where(fin, torch.zeros_like(v))
            j = int(v.argmax())
            val = float(v[j])
            if val > best[k][0]:
                best[k] = (val, a + j)
    return torch.tensor([best[0][1], best[1][1]], device=r.device)


def _sliced(i: int, c: torch.Tensor, r: torch.Tensor, t: torch.Tensor | None, policy: Policy, step: int,
            cond: dict[str, torch.Tensor] | None = None) -> dict[str, Any]:
    shape = list(r.shape)
    cf, rf = c.reshape(-1), r.reshape(-1)
    tf = t.reshape(-1) if t is not None else None
    anchors = _anchors(rf, tf, step) if tf is not None and policy.precision != "dtype" else None
    merged: dict[str, Any] | None = None
    for a in range(0, rf.numel(), step):
        def part(x: torch.Tensor) -> torch.Tensor:
            s = x[a:a + step]
            return torch.cat([s, x[anchors]]) if anchors is not None else s
        pc = ({k: part(v.reshape(-1)) if v.numel() == rf.numel() else v for k, v in cond.items()}
              if cond is not None else None)  # a one-element count is broadcast, not sliced
        res = compare_output(i, part(cf), part(rf), part(tf) if tf is not None else None, policy, pc)
        if not res["ok"] and res.get("first_mismatch") is not None:
            j = res["first_mismatch"][0]
            flat = a + j if j < min(step, rf.numel() - a) else int(anchors[j - min(step, rf.numel() - a)])
            idx = list(torch.unravel_index(torch.tensor(flat), tuple(shape))) if shape else []
            res["first_mismatch"] = [int(v) for v in idx]
            if res.get("reason"):
                res["reason"] = res["reason"].replace(f"index [{j}]", f"index {res['first_mismatch']}")
                res["reason"] += f" (in elements {a}..{min(a + step, rf.numel()) - 1} of {rf.numel()})"
        merged = res if merged is None else _merge(merged, res)
    assert merged is not None
    merged["shape"] = shape
    return merged


_MAX_KEYS = ("max_abs_err", "max_rel_err", "min_tol_to_pass", "cand_err_vs_fp64", "ref_err_vs_fp64", "allowed_err")


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    first_bad = a if not a["ok"] else b
    out = dict(first_bad if not b["ok"] or not a["ok"] else a)
    out["ok"] = a["ok"] and b["ok"]
    for k in _MAX_KEYS:
        vals = [x.get(k) for x in (a, b) if x.get(k) is not None]
        if vals:
            out[k] = max(vals)
    if "passes_kernelbench_tol" in a or "passes_kernelbench_tol" in b:
        out["passes_kernelbench_tol"] = bool(a.get("passes_kernelbench_tol", True)) and bool(b.get("passes_kernelbench_tol", True))
    out["nonfinite_mismatch"] = bool(a.get("nonfinite_mismatch")) or bool(b.get("nonfinite_mismatch"))
    return out
