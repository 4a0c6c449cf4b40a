"""The numbers a paper reports for a suite, and its Markdown table.

fast_p (KernelBench): the fraction of ALL problems whose candidate is correct and more than p
times faster than the baseline; a problem without a meaningful timing is not fast. Geomeans are
over the correct problems that have a speedup.
"""

from __future__ import annotations

import math
from typing import Any


def _geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return round(math.exp(sum(math.log(x) for x in xs) / len(xs)), 4) if xs else None


def summarize(rows: list[dict[str, Any]], p: float = 1.5) -> dict[str, Any]:
    total = len(rows)
    correct = [r for r in rows if r["verdict"] == "correct"]
    verdicts: dict[str, int] = {}
    for r in rows:
        verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1

    def fast(key: str, threshold: float) -> float | None:
        if total == 0:
            return None
        return round(sum(1 for r in correct if (r.get(key) or 0) > threshold) / total, 4)

    timed = any(r.get(k) is not None for r in correct for k in ("speedup_vs_eager", "speedup_vs_inductor"))
    return {
        "total": total, "correct": len(correct), "correct_rate": round(len(correct) / total, 4) if total else None,
        "verdicts": dict(sorted(verdicts.items())), "p": p, "timed": timed,
        "fast_1_vs_eager": fast("speedup_vs_eager", 1.0) if timed else None,
        "fast_p_vs_eager": fast("speedup_vs_eager", p) if timed else None,
        "fast_1_vs_inductor": fast("speedup_vs_inductor", 1.0) if timed else None,
        "fast_p_vs_inductor": fast("speedup_vs_inductor", p) if timed else None,
        "geomean_speedup_vs_eager": _geomean([r.get("speedup_vs_eager") for r in correct]),
        "geomean_speedup_vs_inductor": _geomean([r.get("speedup_vs_inductor") for r in correct]),
        "elapsed_s": round(sum(r.get("elapsed_s") or 0 for r in rows), 1),
    }


# Flags a reader of the table must see next to `correct` (the JSON row has them all).
_TABLE_FLAGS = ("shape_restricted", "lower_precision", "other_sizes_precision")


def _f(x: Any, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def markdown(rows: list[dict[str, Any]], summary: dict[str, Any], title: str | None = None) -> str:
    out = [f"### {title}", ""] if title else []
    out += ["| Problem | Verdict | Candidate (ms) | Eager (ms) | Inductor (ms) | vs eager | vs Inductor |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        notes = (["reduced sizes"] if (r.get("reduced_sizes") or {}).get("changes") else []) + \
            [f for f in _TABLE_FLAGS if f in (r.get("flags") or [])]
        v = r["verdict"] + (f" ({', '.join(notes)})" if notes else "")
        out.append(f"| {r['name']} | {v} | {_f(r.get('candidate_ms'), '.4g')} | {_f(r.get('eager_ms'), '.4g')} | "
                   f"{_f(r.get('inductor_ms'), '.4g')} | {_f(r.get('speedup_vs_eager'), '.2f')}{'x' if r.get('speedup_vs_eager') else ''} | "
                   f"{_f(r.get('speedup_vs_inductor'), '.2f')}{'x' if r.get('speedup_vs_inductor') else ''} |")
    s = summary
    pct = lambda x: "—" if x is None else f"{100 * x:.0f}%"
    out += ["", f"**{s['correct']}/{s['total']} correct** ({pct(s['correct_rate'])}). "
            f"fast_1 vs eager {pct(s['fast_1_vs_eager'])}, fast_{s['p']:g} vs eager {pct(s['fast_p_vs_eager'])}; "
            f"fast_1 vs Inductor {pct(s['fast_1_vs_inductor'])}, fast_{s['p']:g} vs Inductor {pct(s['fast_p_vs_inductor'])}. "
            f"Geomean speedup (correct problems) {_f(s['geomean_speedup_vs_eager'], '.2f')}x vs eager, "
            f"{_f(s['geomean_speedup_vs_inductor'], '.2f')}x vs Inductor."]
    if not s["timed"]:
        out.append("No meaningful timings (verify only, or the CPU interpreter): fast_p and speedups are not reported.")
    return "\n".join(out) + "\n"
