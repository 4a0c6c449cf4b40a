"""Summary statistics of repeated timings (milliseconds)."""

from __future__ import annotations

import math
import statistics
from typing import Any


def summarize(samples: list[float]) -> dict[str, Any]:
    xs = sorted(samples)
    n = len(xs)
    if n == 0:
        return {"median_ms": None, "mean_ms": None, "std_ms": None, "ci95_ms": [None, None], "min_ms": None, "n": 0,
                "rel_spread": None}
    med = statistics.median(xs)
    mean = statistics.fmean(xs)
    std = statistics.stdev(xs) if n > 1 else 0.0
    # Distribution-free 95% CI of the median from order statistics (binomial, normal approx.).
    half = 0.98 * math.sqrt(n)
    lo = xs[max(0, math.floor(n / 2 - half))]
    hi = xs[min(n - 1, math.ceil(n / 2 + half))]
    q1, q3 = xs[n // 4], xs[(3 * n) // 4]
    return {"median_ms": med, "mean_ms": mean, "std_ms": std, "ci95_ms": [lo, hi], "min_ms": xs[0], "n": n,
            "rel_spread": (q3 - q1) / med if med else None}


def rel_sem(samples: list[float]) -> float:
    """Standard error of the mean relative to the mean: the adaptive loop's stopping rule."""
    n = len(samples)
    if n < 2:
        return math.inf
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / math.sqrt(n) / mean if mean else math.inf
