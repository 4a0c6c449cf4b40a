"""Issue-13 goal: KernelBench-format problems at realistic sizes get a verdict on a 2-core CPU
within a 60 s timeout per candidate, through the reduced-size mode (verify option size_scale=auto).

Runs every problem of bench/suite/problems that has a hand-written Triton candidate in
bench/suite/cpu_candidates (plus, with --wrong, a wrong variant of each: the candidate's kernel
output off by a small amount), one at a time, and prints one row per candidate: the sizes chosen,
the verdict, the verify time and whether it met the 60 s budget, and the sizing time (once per problem).

    .venv/bin/python bench/suite/cpu_reduced.py [--only NAME ...] [--wrong] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "python-backend"))

from tritonize.judge.reduced import reduced_problem  # noqa: E402
from tritonize.judge.run import ProblemError, verify  # noqa: E402


def _wrong_variant(src: str, tmp: Path, name: str) -> Path | None:
    """The same candidate with its first tl.store value scaled by 1.001 (found with ast)."""
    import ast

    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "store" and len(node.args) >= 2:
            node.args[1] = ast.BinOp(left=node.args[1], op=ast.Mult(), right=ast.Constant(1.001))
            path = tmp / name
            path.write_text(ast.unparse(tree))
            return path
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--wrong", action="store_true")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="cpu-reduced-"))
    for cand in sorted((HERE / "cpu_candidates").glob("*.py")):
        if args.only and cand.stem not in args.only:
            continue
        problem = HERE / "problems" / cand.name
        runs = [("hand-written", cand)]
        if args.wrong:
            w = _wrong_variant(cand.read_text(), tmp, cand.name)
            if w:
                runs.append(("wrong x1.001", w))
        # Sizing (one child process per problem, cached for every candidate of the problem) is timed
        # on its own: the 60 s budget is the candidate's.
        t0 = time.monotonic()
        reduced_problem(problem)
        sizing = time.monotonic() - t0
        for label, path in runs:
            t0 = time.monotonic()
            try:
                rep = verify(problem, path, device="cpu", timeout=args.timeout, options={"size_scale": "auto"})
                verdict, sizes = rep["verdict"], rep.get("reduced_sizes") or {}
            except ProblemError as exc:
                verdict, sizes = f"problem_error: {exc.message[:60]}", {}
            wall = time.monotonic() - t0
            changes = ", ".join(f"{k} {a}->{b}" for k, (a, b) in (sizes.get("changes") or {}).items())
            row = {"problem": cand.stem, "candidate": label, "verdict": verdict, "wall_s": round(wall, 1),
                   "sizes": changes or "full", "note": sizes.get("note"), "sizing_s": round(sizing, 1)}
            rows.append(row)
            print(f"{row['problem']:<18} {label:<13} {verdict:<14} {wall:6.1f} s  {'OK ' if wall <= 60 else 'SLOW'}  sizing {sizing:5.1f} s  {row['sizes']}"
                  + (f"  ({row['note']})" if row["note"] else ""), flush=True)
    ok = sum(1 for r in rows if r["wall_s"] <= 60)
    print(f"\n{ok}/{len(rows)} verdicts within 60 s; median {sorted(r['wall_s'] for r in rows)[len(rows) // 2]:.1f} s, "
          f"max {max(r['wall_s'] for r in rows):.1f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
