"""`tritonize suite PROBLEMS_DIR CANDIDATES_DIR ...`: exit 0 when the suite ran (verdicts are data),
2 on usage or environment errors."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = 1


def add_parser(sub: Any) -> None:
    p = sub.add_parser("suite", help="verify (and on a GPU benchmark) every problem of a directory against "
                                     "the candidate with the same file name")
    p.add_argument("problems", type=Path)
    p.add_argument("candidates", type=Path)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--json", dest="json_out", type=Path, default=None, help="write the suite JSON here")
    p.add_argument("--markdown", type=Path, default=None, help="write the Markdown table here")
    p.add_argument("--timeout", type=float, default=None, help="seconds per candidate (default 60 cuda, 300 cpu)")
    p.add_argument("--no-bench", action="store_true", help="verify only (on a GPU the default is verify + benchmark)")
    p.add_argument("--p", type=float, default=1.5, dest="fast_p", help="threshold of fast_p (default 1.5)")
    p.add_argument("--size-scale", choices=["auto", "full"], default=None,
                   help="auto (default on the CPU): reduced sizes that answer in seconds; full: the problems' sizes")
    p.add_argument("--precision", choices=["strict", "allow_tf32", "dtype"], default="strict")
    p.add_argument("--budget", type=float, default=None, help="benchmark seconds per problem")
    p.add_argument("--no-inductor", action="store_true")
    p.add_argument("--jobs", type=int, default=1, help="CPU only: verifications side by side (default 1)")
    p.add_argument("--only", action="append", default=None, help="a problem name (repeatable)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run on a Ray cluster (optional `ray` package); without ADDRESS, ray.init()'s default "
                        "(put --ray after the two directories, or write --ray=ADDRESS)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _fail(message: str) -> int:
    sys.stderr.write(f"tritonize suite: {message}\n")
    return 2


def run(args: argparse.Namespace) -> int:
    from .runner import SuiteUsageError, discover, run_local
    from .summary import markdown, summarize
    from .progress import Progress

    try:
        pairs = discover(args.problems, args.candidates, args.only)
    except SuiteUsageError as exc:
        return _fail(str(exc))
    for out in (args.json_out, args.markdown):
        if out is not None and not out.parent.exists():
            return _fail(f"cannot write {out}: {out.parent} does not exist")
    if args.jobs < 1:
        return _fail("--jobs must be at least 1")
    try:
        import torch  # noqa: F401
        import triton  # noqa: F401
    except ImportError as exc:
        return _fail(f"{exc.name or exc} is not installed in {sys.executable}")
    from ..env import resolve_device

    if args.ray is not None and args.device == "auto":
        device = "cuda" if _ray_has_gpu_hint() else resolve_device("auto")
    else:
        try:
            device = resolve_device(args.device) if args.ray is None else args.device
        except RuntimeError as exc:
            return _fail(str(exc))
    cuda = device == "cuda"
    timeout = args.timeout or (60.0 if cuda else 300.0)
    benchmark = cuda and not args.no_bench
    options: dict[str, Any] = {"precision": args.precision}
    if (args.size_scale or ("full" if cuda else "auto")) == "auto":
        options["size_scale"] = "auto"
    if args.no_inductor:
        options["inductor"] = False
    if args.budget:
        options["bench_budget_s"] = args.budget
    progress = Progress(len(pairs), enabled=not args.quiet)
    t0 = time.time()
    done: list[dict[str, Any]] = []
    lock = threading.Lock()

    def on_row(row: dict[str, Any]) -> None:  # called from the lanes' threads
        progress.update(row)
        with lock:
            done.append(row)
            # Partial results on disk after every problem: a suite killed by a time limit still leaves them.
            if args.json_out:
                partial = {"schema": SCHEMA, "partial": True, "rows": done, "summary": summarize(done, args.fast_p)}
                args.json_out.write_text(json.dumps(partial, indent=1) + "\n")

    try:
        if args.ray is not None:
            from .ray_runner import run_ray

            rows = run_ray(pairs, address=args.ray or None, device=device, timeout=timeout, benchmark=benchmark,
                           options=options, on_row=on_row)
        else:
            rows = run_local(pairs, device=device, timeout=timeout, benchmark=benchmark, options=options,
                             jobs=args.jobs, on_row=on_row)
    except SuiteUsageError as exc:
        progress.close()
        return _fail(str(exc))
    except KeyboardInterrupt:
        progress.close()
        return _fail("cancelled")
    progress.close()
    summary = summarize(rows, args.fast_p)
    summary["wall_s"] = round(time.time() - t0, 1)
    import platform

    import torch
    import triton

    from .. import __version__
    doc = {"schema": SCHEMA, "problems_dir": str(args.problems.resolve()), "candidates_dir": str(args.candidates.resolve()),
           "device": device, "benchmark": benchmark, "options": {k: v for k, v in options.items()},
           "ray": args.ray, "versions": {"python": platform.python_version(), "torch": torch.__version__,
                                                "triton": triton.__version__, "tritonize": __version__},
           "partial": False, "rows": rows, "summary": summary}
    table = markdown(rows, summary, title=f"{args.problems.name} ({device}{', verify only' if not benchmark else ''})")
    if args.json_out:
        args.json_out.write_text(json.dumps(doc, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(table)
    sys.stdout.write(table)
    return 0


def _ray_has_gpu_hint() -> bool:
    """--ray with --device auto: a GPU run when this machine sees one (the cluster is checked later)."""
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False
