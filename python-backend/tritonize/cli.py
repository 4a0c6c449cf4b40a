"""`tritonize verify|bench|env|suite|inductor-candidate` — a stable contract (see docs/CONTRACT.md).

Exit codes: 0 correct, 1 any other verdict, 2 usage or environment error (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"tritonize: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="tritonize", description="Verify and benchmark Triton candidates against KernelBench-style problems.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, help_ in (("verify", "check a candidate (no timing)"), ("bench", "verify, then benchmark vs eager and Inductor")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("problem", type=Path)
        p.add_argument("candidate", type=Path)
        p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        p.add_argument("--timeout", type=float, default=None, help="seconds for the candidate (default 60 cuda, 300 cpu)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--precision", choices=["strict", "allow_tf32", "dtype"], default="strict")
        p.add_argument("--factor", type=float, default=8.0, help="allowed multiple of the reference's own fp64 error")
        p.add_argument("--seed", type=int, default=None,
                       help="reproduce a run with this seed (default: a fresh secret seed per run)")
        p.add_argument("--no-shape-variation", action="store_true")
        p.add_argument("--no-special-values", action="store_true", help="no trial with NaN/inf inputs (its result is a flag)")
        p.add_argument("--inductor-mode", choices=["default", "max-autotune"], default="default")
        p.add_argument("--no-inductor", action="store_true")
        p.add_argument("--budget", type=float, default=None, help="benchmark time budget in seconds")
        p.add_argument("--size-scale", choices=["auto", "full"], default=None,
                       help="auto (default on the CPU): check at reduced sizes that answer in seconds; full: the problem's sizes")
    from .suite import command as suite_command
    from .suite import inductor as inductor_command

    suite_command.add_parser(sub)
    inductor_command.add_parser(sub)
    e = sub.add_parser("env", help="versions and devices")
    e.add_argument("--json", action="store_true")
    return ap


def _fail(message: str) -> int:
    sys.stderr.write(f"tritonize: {message.splitlines()[0] if message else 'error'}\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "suite":
        from .suite import command as suite_command

        return suite_command.run(args)
    if args.cmd == "inductor-candidate":
        from .suite import inductor as inductor_command

        return inductor_command.run(args)
    if args.cmd == "env":
        from .env import environment

        info = environment()
        print(json.dumps(info, indent=None if args.json else 2))
        return 2 if info.get("error") else 0
    for p in (args.problem, args.candidate):
        if not p.is_file():
            return _fail(f"cannot read {p}: no such file")
    try:
        import torch  # noqa: F401
        import triton  # noqa: F401
    except ImportError as exc:
        return _fail(f"{exc.name or exc} is not installed in {sys.executable}")
    from .env import resolve_device
    from .judge.run import Cancelled, ProblemError, verify

    try:
        device = resolve_device(args.device)
    except RuntimeError as exc:
        return _fail(str(exc))
    timeout = args.timeout or (60.0 if device == "cuda" else 300.0)
    from .judge.options import VerifyOptions

    try:
        options = VerifyOptions(precision=args.precision, factor=args.factor, seed=args.seed,
                                shape_variation=not args.no_shape_variation,
                                special_values=not args.no_special_values,
                                inductor_mode=None if args.inductor_mode == "default" else args.inductor_mode,
                                inductor=False if args.no_inductor else None, bench_budget_s=args.budget or None,
                                size_scale=args.size_scale or ("auto" if device == "cpu" else "full"))
    except ValueError as exc:
        return _fail(str(exc))
    try:
        report = verify(args.problem, args.candidate, device=device, timeout=timeout,
                        benchmark=args.cmd == "bench", options=options)
    except ProblemError as exc:
        return _fail(f"problem: {exc.message}")
    except (Cancelled, KeyboardInterrupt):
        return _fail("cancelled")
    if args.json:
        print(json.dumps(report))
    else:
        from .report_text import render

        print(render(report))
    return 0 if report["verdict"] == "correct" else 1


if __name__ == "__main__":
    sys.exit(main())
