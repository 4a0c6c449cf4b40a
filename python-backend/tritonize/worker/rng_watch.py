"""Whether a forward drew from torch's default generators (the CPU's and each CUDA device's).

The verifier seeds those generators, so a lottery drawn from them (`torch.rand(1) < 0.002` on the
host, then a wrong answer) is the same lottery on every run: one call in 500 is still one call in
500, and ~25 checked calls pass it 95% of the time (the seeded lotteries of docs/verdicts.md). A
deterministic op's candidate has no reason to draw at all: the judge compares this with whether the
reference drew (judge/run.py), and refuses draws the reference does not make."""
from __future__ import annotations

from typing import Any

import torch

# Bound at import, before any candidate code runs: not the candidate's to rebind.
_CPU = torch.default_generator
_GET = torch._C.Generator.get_state
_EQUAL = torch.equal


def snapshot() -> list[Any]:
    states = [_GET(_CPU)]
    if torch.cuda.is_initialized():
        states += [_GET(g) for g in torch.cuda.default_generators]
    return states


def drew(before: list[Any]) -> bool:
    after = snapshot()
    return len(before) != len(after) or not all(_EQUAL(a, b) for a, b in zip(before, after))
