"""Generate + Apply's child processes, forked from the fork server or started, side by side.

    python bench/apply_children.py [--repeats 3]

On a copy of examples/model_code.py: extract the bias + GELU region (records its inputs by running
the program: one child), then apply a faithful candidate (records again before and after, and the
behaviour check: three children). Alternates TRITONIZE_NO_ZYGOTE=1 (each child a fresh interpreter
that imports torch) and the fork server, and prints each one's wall time and the ratio. The fork
server's own start (one torch import, once per server process) is in the first forked repeat.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-backend"))


def one(tmp: Path) -> float:
    from tritonize.extract.apply import apply_candidate
    from tritonize.extract.problem import extract

    path = tmp / "model_code.py"
    shutil.copy(ROOT / "examples" / "model_code.py", path)
    text = path.read_text()
    lines = text.split("\n")
    first = next(i for i, ln in enumerate(lines) if "h = F.gelu(h + self.up_bias)" in ln) + 1
    start, end = (first, 1), (first, len(lines[first - 1]) + 1)
    t0 = time.perf_counter()
    e, src = extract(text, str(path), start, end)
    apply_candidate(text, str(path), start, end, e.problem + "\n\nclass ModelNew(Model):\n    pass\n",
                    placement="same-file", extracted=(e, src))
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("TRITON_INTERPRET", "1")
    times: dict[str, list[float]] = {"started": [], "forked": []}
    with tempfile.TemporaryDirectory(prefix="tritonize-apply-bench-") as d:
        for k in range(args.repeats):
            for mode in ("started", "forked"):
                os.environ["TRITONIZE_NO_ZYGOTE"] = "1" if mode == "started" else "0"
                tmp = Path(d) / f"{mode}{k}"
                tmp.mkdir()
                times[mode].append(one(tmp))
                print(f"repeat {k} {mode}: {times[mode][-1]:.2f} s", flush=True)
    s, f = statistics.median(times["started"]), statistics.median(times["forked"])
    print(f"\nextract + apply of examples/model_code.py's bias+GELU (median of {args.repeats}):")
    print(f"  children started: {s:.2f} s   forked from the fork server: {f:.2f} s   ratio {f / s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
