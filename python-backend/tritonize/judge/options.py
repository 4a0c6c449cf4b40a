"""Verifier options: one typed object, validated once. Caches are passed to `verify` separately."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VerifyOptions:
    precision: str = "strict"          # strict | allow_tf32 | dtype (see compare.Policy)
    factor: float = 8.0                # allowed multiple of the reference's own float64 error
    # None: a fresh secret seed per run (secrets module), never shown to the candidate's process.
    # An int reproduces a run; the candidate's process does not see it either.
    seed: int | None = None
    random_trials: int = 3
    heavy_tailed: bool = True
    special_values: bool = True        # a trial with NaN/±inf in the inputs; a difference is a flag
    shape_variation: bool = True
    bench_sets: int = 3
    bench_budget_s: float | None = None
    inductor: bool | None = None       # None: on for CUDA, off on the CPU
    inductor_mode: str | None = None
    baseline: dict[str, Any] | None = None  # cached eager/Inductor timings for this problem (server)
    cuda_graph: bool = False           # time captured CUDA graphs' replays (docs/benchmark.md)
    profile: bool = True               # kernel time from the profiler's activity records on CUDA
    target_rel_sem: float = 0.005      # stop repeating once the standard error is this small
    size_scale: str = "full"           # "auto": CPU reduced-size mode (judge/reduced.py, docs/suite.md)
    size_target_s: float = 1.0         # reduced-size mode: aim for one forward in about this long

    def __post_init__(self) -> None:
        if self.precision not in ("strict", "allow_tf32", "dtype"):
            raise ValueError(f"precision must be strict, allow_tf32 or dtype, not {self.precision!r}")
        if not self.factor > 0:
            raise ValueError("factor must be > 0")
        if self.seed is not None and not isinstance(self.seed, int):
            raise ValueError("seed must be an integer")
        if not 1 <= int(self.random_trials) <= 32:
            raise ValueError("random_trials must be between 1 and 32")
        if self.size_scale not in ("auto", "full"):
            raise ValueError(f"size_scale must be auto or full, not {self.size_scale!r}")
        if not 0 <= int(self.bench_sets) <= 16:
            raise ValueError("bench_sets must be between 0 and 16")

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "VerifyOptions":
        """From a JSON-ish dict (LSP params, older callers). Unknown keys are an error."""
        d = dict(d or {})
        d.pop("reference_cache", None)  # older callers passed the cache inside the options
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown verify option(s): {', '.join(unknown)}")
        return cls(**d)

    def replace(self, **changes: Any) -> "VerifyOptions":
        return dataclasses.replace(self, **changes)

    def get(self, key: str, default: Any = None) -> Any:
        """Read access by name for code written against the old options dict (the benchmark);
        None means "not set", so `default` applies."""
        value = getattr(self, key, None)
        return default if value is None else value
