"""Human-readable rendering of a verify report (the CLI's default output)."""

from __future__ import annotations

from typing import Any


def _ms(stat: dict[str, Any] | None) -> str:
    if not stat or stat.get("median_ms") is None:
        return "-"
    lo, hi = stat.get("ci95_ms") or [None, None]
    ci = f" [{lo:.4g}, {hi:.4g}]" if lo is not None else ""
    return f"{stat['median_ms']:.4g} ms{ci} n={stat['n']}"


def render(r: dict[str, Any]) -> str:
    lines = [f"verdict: {r['verdict'].upper()}  ({r['device'].get('name') or r['device']['type']})", f"  {r['summary']}"]
    for d in r.get("diagnostics", []):
        lines.append(f"  {d['severity']}: {d['file']}:{d['line']}: [{d['rule']}] {d['message']}")
    for f in (r.get("correctness") or {}).get("flags", []):
        lines.append(f"  flag: [{f['rule']}] {f['message']}")
    ac = r.get("anticheat")
    if ac and ac.get("triton_kernels"):
        cov = ac.get("time_coverage")
        lines.append(f"  triton kernels: {', '.join(ac['triton_kernels'])}"
                     + (f"; time coverage {cov:.0%}" if cov is not None else ""))
    t = r.get("timings")
    if t:
        if not t.get("meaningful"):
            lines.append(f"  NOTE: {t.get('note')}")
        if t.get("clock"):
            lines.append(f"  clock: {t['clock']} ({t.get('clock_source')})")
        lines.append(f"  {'':10} {'median [95% CI]':>34}")
        for name in ("eager", "inductor", "candidate"):
            if t.get(name):
                lines.append(f"  {name:10} {_ms(t[name]):>34}")
        if t.get("speedup_vs_eager") is not None:
            s = f"  speedup: {t['speedup_vs_eager']:.2f}x vs eager"
            if t.get("speedup_vs_inductor") is not None:
                s += f", {t['speedup_vs_inductor']:.2f}x vs Inductor"
            lines.append(s)
        roof = t.get("roofline")
        if roof and roof.get("pct_of_roofline") is not None:
            tf = f", {roof['achieved_tflops']:.1f} TFLOP/s" if roof.get("achieved_tflops") else ""
            lines.append(f"  roofline: {roof['achieved_gbps']:.0f} GB/s{tf}; {roof['pct_of_roofline']:.0f}% of the "
                         f"{roof['bound']}-bound limit")
        for f in t.get("flags", []):
            lines.append(f"  FLAGGED [{f['rule']}]: {f['message']}")
        for n in t.get("notes") or []:
            lines.append(f"  note: {n}")
    return "\n".join(lines)
