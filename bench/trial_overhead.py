"""Where one verify trial's time goes at scale, piece by piece, in one process (no sandbox).

    PYTHONPATH=python-backend python3 bench/trial_overhead.py --rows 4096 --cols 393216   # 6.4 GB (H200)

Times, for a float32 rows x cols ReLU with a Triton candidate: the launch checksum of one argument,
the candidate worker's NaN poisoning, a bare forward, the observed forward (op recorder, launch
provenance, profiler witness) and its `finish`, and the judge's comparison against a float64 truth.
Each is the median of --reps runs, synchronized. Diagnostic only: `bench/verify_scale.py` gives
the end-to-end figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-backend"))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--cols", type=int, default=393216)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--cprofile", action="store_true", help="also print the observed forward's top Python costs")
    args = ap.parse_args()
    import torch

    from verify_scale import CANDIDATE
    from tritonize.judge.compare import Policy
    from tritonize.judge.trial_compare import compare_outputs
    from tritonize.worker import candidate_job, hooks, loader

    dev = args.device
    sync = torch.cuda.synchronize if dev.startswith("cuda") else (lambda: None)

    def timed(fn, reps=args.reps):
        ts = []
        for _ in range(reps):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            ts.append(time.perf_counter() - t0)
        return round(statistics.median(ts), 4)

    cand = Path(tempfile.mkdtemp()) / "relu_new.py"
    cand.write_text(CANDIDATE.format(block=4096))
    x = torch.randn(args.rows, args.cols, device=dev)
    nbytes = x.numel() * 4
    out: dict = {"gb": round(nbytes / 2**30, 2)}
    out["checksum_s"] = timed(lambda: hooks.checksum(x))
    out["poison_s"] = timed(lambda: candidate_job._poison(dev, nbytes))
    read = hooks.arm(str(cand))
    hooks.install_launch_hooks()
    mod = loader.load_module(cand, name_hint="candidate")
    model = mod.ModelNew().to(dev)
    with torch.no_grad():
        model(x)
    out["bare_forward_s"] = timed(lambda: model(x))
    holder: dict = {}

    def observed():
        obs = hooks.Observation(read, hooks.held_tensors(model))
        with torch.no_grad(), obs:
            y = model(x)
            sync()
        holder["obs"], holder["y"] = obs, y

    out["observed_forward_s"] = timed(observed)
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(observed)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        prof = cProfile.Profile()
        y0 = holder["y"]
        prof.runcall(lambda: compare_outputs([y0], [y0.clone()], [torch.relu(x.double())], Policy()))
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    out["finish_s"] = timed(lambda: holder["obs"].finish([holder["y"]], [x]), reps=1)

    def empty_observation():
        with hooks.Observation(read, []):
            pass

    out["observation_enter_exit_s"] = timed(empty_observation)
    y = holder["y"]
    truth = torch.relu(x.double())
    pol = Policy()
    out["compare_s"] = timed(lambda: compare_outputs([y], [y.clone()], [truth], pol))
    out["compare_no_truth_s"] = timed(lambda: compare_outputs([y], [y.clone()], None, pol))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
