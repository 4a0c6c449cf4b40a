"""Verify time and peak memory at scale, side by side with eager PyTorch running the same trials.

    python bench/verify_scale.py --device cuda                 # 64 MB, 1 GB, 6 GB inputs (H100/H200)
    python bench/verify_scale.py --device cpu --sizes 256M     # the CPU case (Triton interpreter)

Per size: a KernelBench-style elementwise problem (ReLU over a rows x cols float32 input, the
level-1 shape family) and a correct Triton candidate, verified through the Python API with a warm
worker pool (as the extension's server runs it). Printed: verify wall time, peak host memory of the
whole process tree (judge + workers; PSS, so shared library pages count once, and RSS), peak device
memory used on the GPU, and eager PyTorch's time for the same five trials (3 random, heavy-tailed,
shape variation at the varied sizes): input generation + forward + synchronize. Goals (issue 10):
verify <= 3 x eager + 5 s; host memory < 2 x one input set + 2 GB (GPU); < 3 GB resident (CPU, 256 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-backend"))

PROBLEM = """import torch
import torch.nn as nn

rows = {rows}
cols = {cols}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return []
"""

CANDIDATE = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        block = {block}
        relu_kernel[(triton.cdiv(n, block),)](x, out, n, BLOCK=block)
        return out
"""

SIZES = {"4M": (1024, 1024), "64M": (4096, 4096), "256M": (16384, 4096), "1G": (16384, 16384), "6G": (4096, 393216)}


def _tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc/PID/task/TID/children (cheap: no scan of all of /proc,
    which would steal the GIL from the verify being measured)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _mem_kb(pid: int, split: dict[str, int] | None = None) -> tuple[int, int]:
    """PSS and RSS in kB; `split` gets Pss_Anon / Pss_File / Pss_Shmem (heap or mapped libraries)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif split is not None and line.startswith(("Pss_Anon:", "Pss_File:", "Pss_Shmem:")):
                    split[line.split(":")[0][4:].lower()] = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


TRACE_STEP_MB = int(os.environ.get("TRACE_STEP_MB", "64"))  # --trace-growth's step
EVENTS: list[tuple] = []  # (t, type, trial) of each reference message, with --trace-growth
T0 = [0.0]
ROLES: dict[int, str] = {}  # pid -> "reference" (set by main's wrapper; other workers run the candidate)


def _what(pid: int) -> str:
    """A short name for a process of the tree: its command line's module or script."""
    if pid in ROLES:
        return f"{ROLES[pid]}[{pid}]"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return "?"
    if "-m" in args[:-1]:  # forked workers keep their zygote's command line: the parent tells them apart
        ppid = next((ln.split()[1] for ln in open(f"/proc/{pid}/status") if ln.startswith("PPid:")), "?")
        return f"{args[args.index('-m') + 1].rsplit('.', 1)[-1]}[{pid}<{ppid}]"
    return " ".join(Path(a).name for a in args[1:3]) or (Path(args[0]).name if args else "?")


def _top_anon(pid: int, n: int = 6) -> list[str]:
    """The process's largest anonymous mappings (smaps): heap arenas, pinned buffers, mmaps."""
    maps, cur = [], None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split()
                if "-" in head[0] and not head[0].endswith(":"):
                    cur = [head[0], head[5] if len(head) > 5 else "[anon]", 0]
                    maps.append(cur)
                elif head[0] == "Anonymous:" and cur is not None:
                    cur[2] = int(head[1])
    except (OSError, IndexError):
        return []
    maps.sort(key=lambda m: -m[2])
    return [f"{m[1]} {m[0]} {m[2] / 1024:.0f} MB" for m in maps[:n] if m[2] >= 4096]


class Sampler:
    """Peak host memory of this process tree and peak device memory in use, sampled every 50 ms.
    With `trace`, each process's anonymous memory over time and, at each 64 MB step up, its largest
    anonymous mappings (to tell which process grows during a verify, when, and in what)."""

    def __init__(self, cuda: bool, trace: bool = False):
        self.cuda, self.stop, self.trace = cuda, threading.Event(), trace
        self.peak_pss = self.peak_rss = self.peak_dev = 0
        self.at_peak: list[dict] = []  # each process's share when the tree's PSS peaked
        self.growth: dict[int, list] = {}  # pid -> [(t, anon MB, top mappings)], at each 64 MB step
        self.names: dict[int, str] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import torch

        t0 = T0[0] = time.perf_counter()
        while not self.stop.is_set():
            pss = rss = 0
            parts = []
            for p in _tree(os.getpid()):
                split: dict[str, int] = {}
                a, b = _mem_kb(p, split)
                pss, rss = pss + a, rss + b
                parts.append({"pid": p, "what": _what(p), "pss_gb": round(a / 2**20, 3),
                              **{f"{k}_gb": round(v / 2**20, 3) for k, v in split.items()}})
                if self.trace and "anon" in split:
                    steps = self.growth.setdefault(p, [])
                    self.names.setdefault(p, parts[-1]["what"])
                    mb = split["anon"] // 1024
                    if not steps or mb >= steps[-1][1] + TRACE_STEP_MB:
                        steps.append((round(time.perf_counter() - t0, 2), mb, _top_anon(p) if steps else []))
            if pss * 1024 > self.peak_pss:
                self.at_peak = parts
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss * 1024), max(self.peak_rss, rss * 1024)
            if self.cuda:
                free, total = torch.cuda.mem_get_info()
                self.peak_dev = max(self.peak_dev, total - free)
            time.sleep(0.05)

    def __enter__(self) -> "Sampler":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def eager_trials(problem: Path, device: str) -> dict[str, float]:
    """Eager PyTorch over the verifier's five trials: make inputs on the device, forward, sync."""
    import torch

    from tritonize.worker import loader

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    mod = loader.load_module(problem, name_hint="eager")
    sizes = loader.varied_sizes(loader.size_globals(problem))
    vmod = loader.load_module(problem, overrides=sizes, name_hint="eager_var")
    total = fwd = 0.0
    for k, m in enumerate([mod] * 4 + [vmod]):
        model = m.Model().to(device)
        sync()
        t0 = time.perf_counter()
        torch.manual_seed(k)
        with torch.device(device):
            xs = m.get_inputs()
        sync()
        t1 = time.perf_counter()
        with torch.no_grad():
            y = model(*xs)
        sync()
        t2 = time.perf_counter()
        total, fwd = total + (t2 - t0), fwd + (t2 - t1)
        del xs, y
    if device == "cuda":
        torch.cuda.empty_cache()
    return {"eager_s": total, "eager_forward_s": fwd}


def trial_times(rep: dict) -> dict:
    """Per-trial wall time by step (the report's `time_s`), summed over the trials."""
    total: dict = {}
    trials = (rep.get("correctness") or {}).get("trials") or []
    for t in trials:
        for k, v in (t.get("time_s") or {}).items():
            if isinstance(v, dict):
                pre = "cand" if k.startswith("candidate") else "ref"
                for k2, v2 in v.items():
                    total[f"{pre}.{k2}"] = round(total.get(f"{pre}.{k2}", 0.0) + v2, 3)
            elif isinstance(v, (int, float)):
                total[k] = round(total.get(k, 0.0) + v, 3)
    total["trials"] = [t.get("name") for t in trials]
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    ap.add_argument("--sizes", default=None, help="comma list of " + ", ".join(SIZES))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--trace-growth", action="store_true", help="each process's anonymous memory steps and mappings")
    args = ap.parse_args()
    sizes = (args.sizes or ("64M,1G,6G" if args.device == "cuda" else "256M")).split(",")
    if args.device == "cpu":
        os.environ["TRITON_INTERPRET"] = "1"
    import torch

    from tritonize.judge import run as run_mod
    from tritonize.judge.pool import WorkerPool
    from tritonize.judge.run import verify

    ref_init = run_mod._Reference.__init__

    def _label_reference(self, *a, **k):  # the growth trace names the reference worker's process
        ref_init(self, *a, **k)
        ROLES[self.w.proc.pid] = "reference"

    run_mod._Reference.__init__ = _label_reference
    ref_recv = run_mod._Reference.recv

    def _note_recv(self):  # the growth trace lines up the reference's steps with its messages
        msg = ref_recv(self)
        EVENTS.append((round(time.perf_counter() - T0[0], 2), msg.get("type"), msg.get("name") or msg.get("trial")))
        return msg

    run_mod._Reference.recv = _note_recv

    cuda = args.device == "cuda"
    if cuda:
        torch.cuda.init()
    pool = WorkerPool(args.device, size=2)
    pool.wait_warm(timeout=300)
    idle = Sampler(cuda)
    with idle:
        time.sleep(0.5)
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="tritonize-scale-"))
    try:
        for name in sizes:
            r, c = SIZES[name]
            prob, cand = tmp / f"relu_{name}.py", tmp / f"relu_{name}_new.py"
            prob.write_text(PROBLEM.format(rows=r, cols=c))
            cand.write_text(CANDIDATE.format(block=4096 if cuda else 1 << 20))
            input_bytes = r * c * 4
            pool.wait_warm(timeout=300)  # as the server keeps them (the last verify's refills start cold)
            t0 = time.perf_counter()
            with Sampler(cuda, trace=args.trace_growth) as s:
                rep = verify(prob, cand, device=args.device, timeout=args.timeout, pool=pool)
            wall = time.perf_counter() - t0
            if args.trace_growth:
                print(f"reference messages {name}:", ", ".join(f"{t}s {k}:{n}" for t, k, n in EVENTS), flush=True)
                EVENTS.clear()
            for pid, steps in s.growth.items():  # --trace-growth: t (s), anonymous MB, largest mappings
                print(f"growth {name} {f'reference[{pid}]' if pid in ROLES else s.names[pid]}:", " -> ".join(f"{t}s {mb} MB" for t, mb, _ in steps), flush=True)
                for t, mb, top in steps[1:]:
                    print(f"    at {t}s {mb} MB:", "; ".join(top), flush=True)
            eager = eager_trials(prob, args.device)
            row = {"size": name, "input_bytes": input_bytes, "verdict": rep["verdict"], "verify_s": round(wall, 2),
                   "phases_s": rep.get("phases_s"), "peak_host_pss_gb": round(s.peak_pss / 2**30, 2),
                   "peak_host_rss_gb": round(s.peak_rss / 2**30, 2),
                   "idle_host_pss_gb": round(idle.peak_pss / 2**30, 2),
                   "host_pss_at_peak": s.at_peak, "host_pss_idle": idle.at_peak,
                   "peak_device_gb": round(s.peak_dev / 2**30, 2) if cuda else None,
                   "idle_device_gb": round(idle.peak_dev / 2**30, 2) if cuda else None,
                   "eager_s": round(eager["eager_s"], 3), "eager_forward_s": round(eager["eager_forward_s"], 4),
                   "memory_plan_gb": {k: round(v / 2**30, 2) for k, v in ((rep.get("memory") or {}).get("parts") or {}).items()},
                   "trial_time_s": trial_times(rep), "summary": rep["summary"][:200]}
            goal_t = 3 * row["eager_s"] + 5
            goal_m = (2 * input_bytes + 2 * 2**30) / 2**30 if cuda else 3.0
            row["time_goal_s"], row["host_goal_gb"] = round(goal_t, 2), round(goal_m, 2)
            row["meets_time"] = wall <= goal_t
            row["meets_host"] = row["peak_host_pss_gb"] <= goal_m
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        pool.close()
    print()
    print(f"{'size':>5} {'verdict':>9} {'verify s':>9} {'eager s':>8} {'goal s':>7} {'host PSS GB':>12} {'(RSS)':>7} "
          f"{'goal GB':>8} {'device GB':>10}")
    for r in rows:
        print(f"{r['size']:>5} {r['verdict']:>9} {r['verify_s']:>9.2f} {r['eager_s']:>8.3f} {r['time_goal_s']:>7.2f} "
              f"{r['peak_host_pss_gb']:>12.2f} {r['peak_host_rss_gb']:>7.2f} {r['host_goal_gb']:>8.2f} "
              f"{(r['peak_device_gb'] if r['peak_device_gb'] is not None else float('nan')):>10.2f}")
    for r in rows:  # where the host memory is: each process's PSS at the tree's peak, and at idle
        def each(q: dict) -> str:  # PSS (anonymous: heap and mappings; file: libraries)
            return f"{q['what']} {q['pss_gb']:.2f} (anon {q.get('anon_gb', 0):.2f}, file {q.get('file_gb', 0):.2f})"
        print(r["size"], "at peak:", ", ".join(each(q) for q in r["host_pss_at_peak"]),
              "| idle:", ", ".join(each(q) for q in r["host_pss_idle"]))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
