"""Two GPUs, measured: racing candidates through the kernel server, one candidate timed on each GPU,
and `tritonize suite` on one vs two GPUs. Writes $OUT/two_gpu.json and $OUT/two_gpu.md and prints
a short table last.

    python3 bench/two_gpu.py                  # a 2-GPU machine (python3 with torch + triton)
    .venv/bin/python bench/two_gpu.py --dry-run --parts a,b   # CPU, two simulated GPUs

Parts (each under its own timeout, so one stuck part keeps the others' results):
  a  K racing candidates for one problem through `python -m tritonize.server` (device "cuda"):
     which GPU each landed on (the server's `job-timing` log lines), per-GPU busy time, GPU
     utilisation sampled with nvidia-smi while they run.
  b  The same candidate benchmarked with CUDA_VISIBLE_DEVICES=0 and =1 (`tritonize bench`,
     alternating 0,1,0,1,...): candidate kernel-time medians per GPU, their difference, and SM/memory
     clocks before and after each run. Beyond --tolerance (2 %) it is printed as FLAGGED.
  c  `tritonize suite` over the same problems with CUDA_VISIBLE_DEVICES=0 and =0,1: wall-clock
     ratio (goal <= 0.6) and whether every problem got the same verdict. Skipped with a message
     when this tree has no `tritonize suite`.
Dry run: the server believes it has two GPUs (TRITONIZE_SIMULATE_GPUS=2) while its workers run on
the CPU; part b times the Triton interpreter (meaningless numbers, the plumbing is what runs);
part c compares `--jobs 1` with `--jobs 2` on the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "python-backend"
sys.path.insert(0, str(BACKEND))
from tritonize.server.jsonrpc import encode_message, read_message  # noqa: E402

FIXTURES = BACKEND / "tests" / "server" / "fixtures"


# -- helpers -------------------------------------------------------------------------------------

def backend_env(extra: dict[str, str] | None = None, backend: Path = BACKEND) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(backend), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra or {})
    return env


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (workers run in their own sessions: a process group kill
    would miss them, and an orphaned worker would keep a GPU busy during the next part)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def stop_tree(proc: subprocess.Popen) -> None:
    """SIGTERM (the server and CLI then kill their own workers), then SIGKILL whatever is left."""
    tree = descendants(proc.pid)
    try:
        proc.terminate()
        proc.wait(timeout=5)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    for pid in [proc.pid, *tree]:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def run_bounded(cmd: list[str], env: dict[str, str], timeout: float, log: Path, cwd: Path | None = None) -> dict[str, Any]:
    """Runs `cmd` (stdout to `log`, stderr to `log`.err); on timeout it and its workers die."""
    t0 = time.monotonic()
    with open(log, "wb") as out, open(f"{log}.err", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        try:
            rc = proc.wait(timeout=max(1.0, timeout))
            timed_out = False
        except subprocess.TimeoutExpired:
            stop_tree(proc)
            rc, timed_out = proc.returncode, True
    return {"rc": rc, "timed_out": timed_out, "wall_s": round(time.monotonic() - t0, 2), "log": str(log)}


def gpu_clocks() -> list[dict[str, Any]] | None:
    """SM/memory clocks per GPU (nvidia-smi; None without it). Read only, settings untouched."""
    if not shutil.which("nvidia-smi"):
        return None
    fields = "index,name,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu,power.draw,utilization.gpu"
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    rows = []
    for line in out.strip().splitlines():
        vals = [v.strip() for v in line.split(",")]
        rows.append(dict(zip(fields.split(","), vals)))
    return rows


class UtilSampler:
    """nvidia-smi utilisation every 0.25 s in a thread, while a part runs."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, list[dict[str, Any]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            rows = gpu_clocks()
            if rows is None:
                return
            self.samples.append((time.time(), rows))
            self._stop.wait(0.25)

    def __enter__(self) -> UtilSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)

    def mean_util(self) -> dict[str, float]:
        per: dict[str, list[float]] = {}
        for _, rows in self.samples:
            for r in rows:
                try:
                    per.setdefault(r["index"], []).append(float(r["utilization.gpu"]))
                except (KeyError, ValueError):
                    pass
        return {k: round(statistics.mean(v), 1) for k, v in per.items() if v}


# -- part a: racing candidates through the server --------------------------------------------------

class Server:
    """`python -m tritonize.server` over stdio; its stderr (job-timing lines) goes to a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self._log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([sys.executable, "-m", "tritonize.server"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, env=env, start_new_session=True)
        self._id = 0
        self.responses: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                msg = read_message(self.proc.stdout)
            except Exception:
                return
            if "id" in msg and "method" not in msg:
                with self._cond:
                    self.responses[msg["id"]] = msg
                    self._cond.notify_all()

    def send(self, method: str, params: Any, notify: bool = False) -> int:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if not notify:
            self._id += 1
            msg["id"] = self._id
        self.proc.stdin.write(encode_message(msg))
        self.proc.stdin.flush()
        return self._id

    def wait(self, ids: list[int], deadline: float) -> dict[int, dict[str, Any]]:
        with self._cond:
            while not all(i in self.responses for i in ids) and time.monotonic() < deadline:
                self._cond.wait(max(0.05, deadline - time.monotonic()))
            return {i: self.responses[i] for i in ids if i in self.responses}

    def close(self) -> None:
        try:
            self.send("shutdown", None)
            self.send("exit", None, notify=True)
            self.proc.wait(timeout=15)
        except Exception:
            pass
        if self.proc.poll() is None:
            stop_tree(self.proc)
        self._log.close()


def part_a(args: argparse.Namespace, out: Path, timeout: float) -> dict[str, Any]:
    work = out / "a_candidates"
    work.mkdir(exist_ok=True)
    cands = []
    for i in range(args.k):
        cands.append(work / f"race_{i}.py")
        shutil.copy(args.candidate, cands[-1])
    extra = {"TRITONIZE_LOG": "INFO"}
    if args.dry_run:
        extra["TRITONIZE_SIMULATE_GPUS"] = "2"
    log = out / "a_server.log"
    deadline = time.monotonic() + timeout
    server = Server(backend_env(extra), log)
    result: dict[str, Any] = {"k": args.k, "problem": str(args.problem), "candidate": str(args.candidate),
                              "benchmark": not args.dry_run, "server_log": str(log)}
    try:
        server.send("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}})
        server.wait([1], deadline)
        server.send("initialized", {}, notify=True)
        time.sleep(args.warm_s)  # let the warm pools start, as an editor session would have
        t0 = time.time()
        with UtilSampler() as sampler:
            ids = {server.send("tritonize/verify", {"problemPath": str(args.problem), "candidatePath": str(c),
                                                    "device": "cuda", "benchmark": not args.dry_run,
                                                    "options": {"bench_budget_s": args.budget},
                                                    "timeout": 240}): c.name for c in cands}
            answers = server.wait(list(ids), deadline)
        t1 = time.time()
    finally:
        server.close()
    timings = []
    for line in log.read_text(errors="replace").splitlines():
        if "job-timing " in line:
            t = json.loads(line.split("job-timing ", 1)[1])
            if t["device"].startswith("cuda"):
                timings.append(t)
    landed = {t["job"].removeprefix("verify "): t for t in timings}
    rows = []
    for msg_id, name in ids.items():
        rep = (answers.get(msg_id) or {}).get("result") or {}
        err = (answers.get(msg_id) or {}).get("error")
        cand = ((rep.get("timings") or {}).get("candidate") or {})
        t = landed.get(name, {})
        rows.append({"candidate": name, "gpu": t.get("device"), "start_s": round(t["start"] - t0, 2) if t else None,
                     "end_s": round(t["end"] - t0, 2) if t else None, "verdict": rep.get("verdict"),
                     "candidate_median_ms": cand.get("median_ms"), "error": err,
                     "timed_out": msg_id not in answers})
    busy: dict[str, float] = {}
    for t in timings:
        busy[t["device"]] = round(busy.get(t["device"], 0.0) + t["end"] - t["start"], 2)
    overlaps = []  # a GPU running two jobs at once would be a scheduling bug
    for dev in busy:
        jobs = sorted((t for t in timings if t["device"] == dev), key=lambda t: t["start"])
        overlaps += [dev for a, b in zip(jobs, jobs[1:]) if b["start"] < a["end"]]
    span = (max(t["end"] for t in timings) - min(t["start"] for t in timings)) if timings else None
    result.update(rows=rows, wall_s=round(t1 - t0, 2), jobs_span_s=None if span is None else round(span, 2), busy_s=busy, gpus_used=sorted(busy),
                  same_gpu_overlaps=overlaps, nvml_mean_util_pct=sampler.mean_util() or None,
                  references_computed=log.read_text(errors="replace").count("reference-computed"),
                  ok=len(busy) >= 2 and not overlaps and all(r["verdict"] for r in rows))
    return result


# -- part b: one candidate on GPU 0 and GPU 1 -------------------------------------------------------

def part_b(args: argparse.Namespace, out: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    runs = []
    device = "cpu" if args.dry_run else "cuda"
    for rep in range(args.b_reps):
        for gpu in ("0", "1"):
            left = deadline - time.monotonic()
            if left < 5:
                break
            log = out / f"b_gpu{gpu}_{rep}.json"
            before = gpu_clocks()
            cmd = [sys.executable, "-m", "tritonize.cli", "bench", str(args.b_problem), str(args.b_candidate),
                   "--device", device, "--json", "--no-inductor"]
            if args.budget:
                cmd += ["--budget", str(args.budget)]
            r = run_bounded(cmd, backend_env({"CUDA_VISIBLE_DEVICES": gpu}), left, log)
            after = gpu_clocks()
            try:
                report = json.loads(log.read_text())
            except ValueError:
                report = {}
            stat = ((report.get("timings") or {}).get("candidate") or {})
            runs.append({"gpu": gpu, "rep": rep, "verdict": report.get("verdict"), "median_ms": stat.get("median_ms"),
                         "rel_spread": stat.get("rel_spread"), "n": stat.get("n"),
                         "timing_flags": (report.get("timings") or {}).get("flags"),
                         "device_name": (report.get("device") or {}).get("name"), "clocks_before": before,
                         "clocks_after": after, **{k: r[k] for k in ("rc", "timed_out", "wall_s")}})
    med: dict[str, float | None] = {}
    for gpu in ("0", "1"):
        vals = [r["median_ms"] for r in runs if r["gpu"] == gpu and isinstance(r["median_ms"], (int, float))]
        med[gpu] = statistics.median(vals) if vals else None
    diff = None
    if med["0"] and med["1"]:
        diff = abs(med["1"] - med["0"]) / min(med["0"], med["1"])
    flagged = diff is None or diff > args.tolerance
    return {"problem": str(args.b_problem), "candidate": str(args.b_candidate), "runs": runs, "median_ms": med,
            "rel_diff": None if diff is None else round(diff, 4), "tolerance": args.tolerance,
            "flagged": flagged, "meaningful": not args.dry_run, "ok": diff is not None and not flagged}


# -- part c: tritonize suite on one vs two GPUs ----------------------------------------------------

def suite_available(backend: Path) -> bool:
    return (backend / "tritonize" / "suite").is_dir()


def part_c(args: argparse.Namespace, out: Path, timeout: float) -> dict[str, Any]:
    backend = args.backend
    if not suite_available(backend):
        return {"skipped": f"no `tritonize suite` in {backend} (tritonize/suite/ is missing): part c not run"}
    problems = args.suite_problems
    if not problems.is_dir() or len(list(problems.glob("*.py"))) == 0:
        return {"skipped": f"no suite problems in {problems}"}
    deadline = time.monotonic() + timeout
    res: dict[str, Any] = {"problems_dir": str(problems), "n_problems": len(list(problems.glob("*.py")))}
    cands = args.suite_candidates
    if cands is None:
        if args.dry_run:
            cands = problems.parent / "cpu_candidates"
        else:  # Inductor-derived candidates: a correct Triton candidate for every problem
            cands = out / "c_inductor_candidates"
            script = ROOT / "bench" / "suite" / "make_inductor_candidates.sh"
            gen = run_bounded(["bash", str(script), str(problems), str(cands), str(args.gen_jobs)],
                              backend_env({"PYTHON": sys.executable}, backend),
                              min(args.gen_timeout, deadline - time.monotonic()), out / "c_generate.log")
            res["generate"] = gen
    res["candidates_dir"] = str(cands)
    common = [sys.executable, "-m", "tritonize.cli", "suite", str(problems), str(cands), "--quiet",
              *args.suite_arg]
    for only in args.only:
        common += ["--only", only]
    if args.dry_run:
        configs = [("1", {"device": "cpu", "extra": ["--jobs", "1"]}), ("2", {"device": "cpu", "extra": ["--jobs", "2"]})]
    else:
        configs = [("1", {"visible": "0"}), ("2", {"visible": "0,1"})]
    # Two GPUs first: it is the shorter run, and a one-GPU run cut short still keeps its rows.
    for n, cfg in reversed(configs):
        left = deadline - time.monotonic()
        if left < 10:
            res[f"gpus_{n}"] = {"skipped": "no time left"}
            continue
        js = out / f"c_suite_{n}gpu.json"
        cmd = [*common, "--device", cfg.get("device", "cuda"), "--json", str(js), *cfg.get("extra", [])]
        env = backend_env({"CUDA_VISIBLE_DEVICES": cfg["visible"]} if "visible" in cfg else {}, backend)
        r = run_bounded(cmd, env, left, out / f"c_suite_{n}gpu.log")
        try:
            data = json.loads(js.read_text())
        except (OSError, ValueError):
            data = {}
        rows = data.get("rows") or []
        r.update(verdicts={row["name"]: row.get("verdict") for row in rows},
                 lanes=sorted({str(row.get("lane")) for row in rows}), rows_done=len(rows),
                 suite_wall_s=(data.get("summary") or {}).get("wall_s"))
        res[f"gpus_{n}"] = r
    one, two = res.get("gpus_1", {}), res.get("gpus_2", {})
    if one.get("wall_s") and two.get("wall_s") and not one.get("timed_out") and not two.get("timed_out"):
        res["ratio"] = round(two["wall_s"] / one["wall_s"], 3)
        res["same_verdicts"] = one["verdicts"] == two["verdicts"] and len(one["verdicts"]) > 0
        res["ok"] = res["ratio"] <= 0.6 and res["same_verdicts"]
    else:
        res["ratio"], res["same_verdicts"], res["ok"] = None, None, False
        res["note"] = "a suite run timed out or failed: no ratio (see its log)"
    return res


# -- report ------------------------------------------------------------------------------------------

def _num(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# Two GPUs ({'DRY RUN: simulated on the CPU' if result['dry_run'] else 'measured'})", "",
             f"host: {result['host']}, GPUs: {result['gpus']}", ""]
    a = result["parts"].get("a", {})
    if "rows" in a:
        lines += [f"## a. K={a['k']} racing candidates through the server", "",
                  "| candidate | GPU | start s | end s | verdict | candidate ms |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['candidate']} | {r['gpu']} | {r['start_s']} | {r['end_s']} | {r['verdict']} | "
                  f"{_num(r['candidate_median_ms'])} |" for r in a["rows"]]
        lines += ["", f"wall {a['wall_s']} s (first job start to last job end {a['jobs_span_s']} s); busy per GPU {a['busy_s']}; nvidia-smi mean utilisation "
                  f"{a['nvml_mean_util_pct']}; same-GPU overlaps {a['same_gpu_overlaps'] or 'none'}; "
                  f"references computed {a['references_computed']}", ""]
    elif a:
        lines += ["## a", "", f"`{a}`", ""]
    b = result["parts"].get("b", {})
    if "runs" in b:
        lines += ["## b. One candidate on GPU 0 and GPU 1", "", "| GPU | rep | verdict | median ms | spread | SM MHz before/after |",
                  "|---|---|---|---|---|---|"]
        for r in b["runs"]:
            clk = lambda c: (c or [{}])[int(r["gpu"])].get("clocks.sm") if c and len(c) > int(r["gpu"]) else None  # noqa: E731
            lines.append(f"| {r['gpu']} | {r['rep']} | {r['verdict']} | {_num(r['median_ms'])} | {_num(r['rel_spread'])} | "
                         f"{clk(r['clocks_before'])}/{clk(r['clocks_after'])} |")
        med = {k: _num(v) for k, v in b["median_ms"].items()}
        lines += ["", f"medians ms {med}, difference {b['rel_diff']} "
                  f"({'FLAGGED: beyond' if b['flagged'] else 'within'} {b['tolerance']:.0%})"
                  + ("" if b["meaningful"] else "; CPU interpreter: the numbers mean nothing"), ""]
    elif b:
        lines += ["## b", "", f"`{b}`", ""]
    c = result["parts"].get("c", {})
    lines += ["## c. tritonize suite, one vs two GPUs", ""]
    if "skipped" in c:
        lines += [f"SKIPPED: {c['skipped']}", ""]
    elif c:
        for n in ("1", "2"):
            g = c.get(f"gpus_{n}", {})
            lines.append(f"- {n} GPU(s): wall {g.get('wall_s')} s, rows {g.get('rows_done')}, lanes {g.get('lanes')}, "
                         f"timed out {g.get('timed_out')}")
        lines += [f"- ratio {c.get('ratio')} (goal <= 0.6), same verdicts {c.get('same_verdicts')}", ""]
    return "\n".join(lines)


def short_table(result: dict[str, Any]) -> str:
    p = result["parts"]
    a, b, c = p.get("a", {}), p.get("b", {}), p.get("c", {})

    def status(part: dict[str, Any]) -> str:
        if not part:
            return "not run"
        if "skipped" in part:
            return "SKIPPED"
        if "error" in part:
            return "ERROR"
        return "ok" if part.get("ok") else "NOT MET"

    rows = [
        ("a racing K=%s" % a.get("k", "?"), status(a),
         f"GPUs {a.get('gpus_used')} busy {a.get('busy_s')} wall {a.get('wall_s')} s" if "rows" in a else a.get("error", "")),
        ("b same candidate", "FLAGGED" if b.get("flagged") and "runs" in b else status(b),
         f"medians ms { {k: _num(v) for k, v in (b.get('median_ms') or {}).items()} } diff {b.get('rel_diff')}"
         if "runs" in b else b.get("error", "")),
        ("c suite 1 vs 2", status(c),
         c.get("skipped") or c.get("error") or f"ratio {c.get('ratio')} same verdicts {c.get('same_verdicts')}"),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {st:<8}  {detail}" for name, st, detail in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "two_gpu_out"))
    ap.add_argument("--dry-run", action="store_true", help="CPU: two simulated GPUs, workers on the CPU")
    ap.add_argument("--parts", default="a,b,c")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--problem", type=Path, default=None, help="part a (default examples/rmsnorm; dry run: a tiny add)")
    ap.add_argument("--candidate", type=Path, default=None)
    ap.add_argument("--b-problem", type=Path, default=None, help="part b (default: part a's)")
    ap.add_argument("--b-candidate", type=Path, default=None)
    ap.add_argument("--b-reps", type=int, default=2, help="runs per GPU, alternating 0,1,0,1")
    ap.add_argument("--budget", type=float, default=2.0, help="benchmark budget (s) per candidate, parts a and b")
    ap.add_argument("--tolerance", type=float, default=0.02)
    ap.add_argument("--warm-s", type=float, default=8.0, help="part a: wait for the warm pools before racing")
    ap.add_argument("--backend", type=Path, default=BACKEND, help="python-backend used by part c")
    ap.add_argument("--suite-problems", type=Path, default=ROOT / "bench" / "suite" / "problems")
    ap.add_argument("--suite-candidates", type=Path, default=None,
                    help="default: generated with make_inductor_candidates.sh (GPU), cpu_candidates (dry run)")
    ap.add_argument("--suite-arg", action="append", default=None,
                    help="extra `tritonize suite` argument (repeatable; default --no-inductor --budget 1 on a GPU)")
    ap.add_argument("--only", action="append", default=[], help="suite: only these problems (repeatable)")
    ap.add_argument("--gen-jobs", type=int, default=12)
    ap.add_argument("--gen-timeout", type=float, default=110.0)
    # 75 + 80 + 300 s: under the 8 minutes one device call allows, with room for start-up.
    ap.add_argument("--timeout-a", type=float, default=75.0)
    ap.add_argument("--timeout-b", type=float, default=80.0)
    ap.add_argument("--timeout-c", type=float, default=300.0)
    args = ap.parse_args()

    small = args.dry_run
    args.problem = args.problem or (FIXTURES / "problem_add.py" if small else ROOT / "examples" / "rmsnorm" / "problem.py")
    args.candidate = args.candidate or (FIXTURES / "cand_add.py" if small else ROOT / "examples" / "rmsnorm" / "candidate.py")
    args.b_problem, args.b_candidate = args.b_problem or args.problem, args.b_candidate or args.candidate
    if args.suite_arg is None:
        args.suite_arg = ["--timeout", "120"] if small else ["--no-inductor", "--budget", "1"]
    if not small:
        os.environ.pop("TRITON_INTERPRET", None)
    args.out.mkdir(parents=True, exist_ok=True)

    clocks = gpu_clocks()
    result: dict[str, Any] = {"dry_run": args.dry_run, "host": os.uname().nodename, "python": sys.executable,
                              "gpus": [f"{r.get('index')}: {r.get('name')}" for r in clocks] if clocks else "none (nvidia-smi absent)",
                              "clocks_start": clocks, "parts": {}}
    parts = {"a": (part_a, args.timeout_a), "b": (part_b, args.timeout_b), "c": (part_c, args.timeout_c)}
    for name in args.parts.split(","):
        fn, timeout = parts[name.strip()]
        t0 = time.monotonic()
        print(f"[two_gpu] part {name} (timeout {timeout:.0f} s) ...", flush=True)
        try:
            result["parts"][name] = fn(args, args.out, timeout)
        except Exception as exc:  # one broken part must not lose the others
            result["parts"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        result["parts"][name]["part_wall_s"] = round(time.monotonic() - t0, 2)
        (args.out / "two_gpu.json").write_text(json.dumps(result, indent=2, default=str))  # partial results survive
    result["clocks_end"] = gpu_clocks()
    (args.out / "two_gpu.json").write_text(json.dumps(result, indent=2, default=str))
    (args.out / "two_gpu.md").write_text(markdown(result) + "\n")
    print(markdown(result))
    print(short_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
