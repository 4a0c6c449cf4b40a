"""Judge side of the benchmark: two timing processes, blocks alternated by the judge.

- Eager and Inductor are timed in a BASELINE worker that only ever ran the user's problem; the
  candidate's worker times only the candidate. The candidate's process group is stopped
  (SIGSTOP) whenever the baseline works, so none of its threads can compete for the GPU or CPU
  then, and after its last block it is killed (its GPU context, and any work it left queued,
  die with it) before the baseline runs a confirmation block on a quiet GPU.
- Each block is measured from here with the judge's own clock; blocks without the profiler are
  the outside check of what the candidate's process claims (judge/timing.py).
- After each candidate block, a secretly chosen call's output (kept by the harness for every
  call of the block) is fetched; the baseline later computes the exact expected output for that
  call's inputs, and a mismatch makes the verdict `incorrect`.
- NVML (clocks, power, slowdown reasons, violation counters) is read here before, between
  rounds and after.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from typing import Any

from ..common import nvml, shared
from .compare import Policy, compare_output
from .process import Worker, WorkerDied, WorkerTimeout

_KEEP_BYTES = 2 << 30  # outputs kept per candidate block, on the GPU, for the secret re-check
# Timed calls re-checked: a uniform secret sample (reservoir) of every timed call, 32 while their
# outputs fit _CHECK_BYTES. One call a block missed a candidate returning the previous output on
# every 4th timed call with probability ~0.42 (red team 15: 3 of 12 calls checked); with 32 it is
# ~1e-4, and a cheat confined to late rounds is as likely to be sampled as one in early rounds.
_MAX_CHECKS = 32
# Candidate outputs the judge holds (on the device, cloned on receipt) for the re-check after the
# rounds: at least one check, then more while they fit (a 6 GB output: one; 1 GB: four).
_CHECK_BYTES = 4 << 30


class BaselineFailed(Exception):
    pass


def _signal(w: Worker, sig: int) -> None:
    try:
        os.killpg(w.proc.pid, sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass


class _Paused:
    """SIGSTOP the candidate's process group for the duration (SIGCONT after)."""

    def __init__(self, w: Worker):
        self.w = w

    def __enter__(self) -> None:
        _signal(self.w, signal.SIGSTOP)

    def __exit__(self, *exc: Any) -> None:
        _signal(self.w, signal.SIGCONT)


def _reply(w: Worker, timeout: float, cancel: threading.Event | None, want: set[str]) -> dict[str, Any]:
    while True:
        msg = w.recv(timeout, cancel)
        if msg.get("type") != "stage":
            if msg.get("type") not in want and msg.get("type") not in ("error", "tamper", "fatal"):
                raise WorkerDied(f"unexpected message {msg.get('type')!r} during the benchmark", None)
            return msg


def _timed(w: Worker, cmd: dict[str, Any], timeout: float, cancel: threading.Event | None, want: str) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    w.send(cmd)
    msg = _reply(w, timeout, cancel, {want})
    return time.perf_counter() - t0, msg


def _base_timed(w: Worker, cmd: dict[str, Any], timeout: float, cancel: threading.Event | None, want: str) -> tuple[float, dict[str, Any]]:
    """A baseline command: its failures are the baseline's (the user's problem), not the candidate's."""
    try:
        dt, msg = _timed(w, cmd, timeout, cancel, want)
    except (WorkerDied, WorkerTimeout) as exc:
        raise BaselineFailed(f"the baseline worker failed: {exc or type(exc).__name__}\n{w.log_tail(800)}") from exc
    if msg.get("type") != want:
        raise BaselineFailed(f"the baseline worker failed: {msg.get('message') or msg.get('type')}")
    return dt, msg


def _ping(w: Worker, timeout: float) -> float:
    best = float("inf")
    for _ in range(5):
        dt, _msg = _timed(w, {"cmd": "ping"}, timeout, None, "pong")
        best = min(best, dt)
    return best


class Run:
    """Collected evidence of one benchmark, handed to judge/timing.py."""

    def __init__(self) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = {}
        self.blocks: list[dict[str, Any]] = []
        self.confirm: dict[str, list[dict[str, Any]]] = {}
        self.gpu_samples: list[dict[str, Any]] = []
        self.profile_errors: list[str] = []
        self.checks: list[dict[str, Any]] = []
        self.timed_launches: list[int] = []  # Triton launches per timed candidate call
        self.timed_ops: set[str] = set()  # PyTorch compute ops the candidate's timed calls ran
        self.info: dict[str, Any] = {}


def _values(msg: dict[str, Any], cuda_index: int | None) -> list[Any] | None:
    """A worker's shared values (common/shared.py): mapped CUDA tensors or raw host tensors."""
    descs = msg.get("values")
    return None if descs is None else shared.load(descs, msg.pop("_raw", None), cuda_index)


def run(cand: Worker, *, problem: str, inputs_file: str, device: str, options: dict[str, Any], policy: Policy,
        dev_props: dict[str, Any] | None, out_bytes: int, cancel: threading.Event | None, timeout: float,
        cuda_index: int | None = None) -> Run | dict[str, Any]:
    """Returns the evidence, or the candidate's error/tamper message (the caller maps it to a verdict)."""
    cuda = device.startswith("cuda")
    budget = float(options.get("bench_budget_s", 10.0 if cuda else 3.0))
    graph = bool(options.get("cuda_graph", False)) and cuda
    profile = bool(options.get("profile", True)) and cuda
    r = Run()
    gpu = nvml.Gpu.find(dev_props) if cuda else None
    r.info["nvml_static"] = gpu.static() if gpu else None
    step = timeout + budget + 300  # Inductor's first compile can take minutes
    base = Worker(device)
    try:
        with _Paused(cand):
            try:
                base.wait_ready(timeout=120)
            except (WorkerDied, WorkerTimeout) as exc:
                raise BaselineFailed(f"the baseline worker did not start: {exc}") from exc
            _dt, bready = _base_timed(base, {"role": "baseline", "problem": problem, "device": device, "inputs_file": inputs_file,
                                             "inductor": options.get("inductor", True), "inductor_mode": options.get("inductor_mode"),
                                             "cuda_graph": graph}, step, cancel, "bench_ready")
        cand.send({"cmd": "bench", "cuda_graph": graph, "cycles_per_ms": bready.get("cycles_per_ms")})
        cready = _reply(cand, step, cancel, {"bench_ready"})
        if cready.get("type") != "bench_ready":
            return cready
        r.info.update(compile_s=bready.get("compile_s"), inductor_error=bready.get("inductor_error"),
                      graph={**bready.get("graph", {}), **cready.get("graph", {})} if graph else None,
                      graph_errors={**bready.get("graph_errors", {}), **({"candidate": cready["graph_error"]} if cready.get("graph_error") else {})},
                      host_ms={**{k: v for k, v in bready["host_ms"].items() if k != "noop"}, **cready["host_ms"]},
                      foreign_streams=dict(cready.get("foreign_streams") or {}))
        if gpu:
            r.gpu_samples.append(gpu.sample())
        with _Paused(cand):
            lat_b = min(_base_timed(base, {"cmd": "ping"}, 30, None, "pong")[0] for _ in range(5))
        lat_c = _ping(cand, 30)
        r.info["latency_s"] = {"baseline": lat_b, "candidate": lat_c}
        host = r.info["host_ms"]
        sleep = {n: min(50.0, 2 * h + 0.05) for n, h in host.items()}
        sleep["noop"] = sleep["candidate"]  # the harness's per-call cost at the candidate's sleep
        base_names = [n for n in ("eager", "inductor", "noop") if n in bready["host_ms"]]
        m = 10 if cuda else 3
        if out_bytes:
            m = max(1, min(m, _KEEP_BYTES // max(1, out_bytes)))
        min_rounds, max_rounds = (4, 400) if cuda else (2, 4)
        cap = max(1, min(_MAX_CHECKS, _CHECK_BYTES // max(1, out_bytes)))  # re-checked calls (reservoir)
        seen = 0
        target = float(options.get("target_rel_sem", 0.005))
        call = 0
        # Each timed call's inputs come from a secret key the judge draws when it sends the block, not
        # from the call's number: the mixing formula is readable in the candidate's process, so
        # numbered calls let a candidate compute the inputs of calls to come during an untimed
        # warm-up call and answer them from a table (red team 16 read the formula's globals).
        keys: dict[int, int] = {}

        def keyed(name: str, c: int) -> list[Any]:
            keys[c] = secrets.randbits(48)
            return [name, c, keys[c]]
        t_start = time.monotonic()
        rnd = 0
        while True:
            prof = profile and rnd % 2 == 0  # odd rounds run without the profiler: the outside check's blocks
            order = ["baseline", "candidate"] if rnd % 2 == 0 else ["candidate", "baseline"]
            for side in order:
                if side == "baseline":
                    plan = []
                    for j in range(m):
                        rot = base_names[(j + rnd) % len(base_names):] + base_names[:(j + rnd) % len(base_names)]
                        for n in rot:
                            plan.append(keyed(n, call))
                            call += 1
                    with _Paused(cand):
                        wall, msg = _base_timed(base, {"cmd": "block", "plan": plan, "sleep_ms": sleep, "profile": prof}, step, cancel, "block")
                    lat = lat_b
                else:
                    plan = [keyed("candidate", call + j) for j in range(m)]
                    call += m
                    wall, msg = _timed(cand, {"cmd": "block", "plan": plan, "sleep_ms": sleep, "profile": prof}, step, cancel, "block")
                    if msg.get("type") != "block":
                        return msg
                    bad = msg.get("violations")
                    if isinstance(bad, list) and bad and isinstance(bad[0], dict):
                        return {"type": "violation", "rule": str(bad[0].get("rule"))[:60],
                                "message": str(bad[0].get("message"))[:300]}
                    lat = lat_c
                    r.timed_launches += [n for n in (msg.get("launches") or {}).values() if type(n) is int]
                    ops = msg.get("compute_ops")
                    r.timed_ops |= {str(k)[:200] for k in ops} if isinstance(ops, dict) else set()
                    # Reservoir sampling over every timed call so far: each is re-checked with the same
                    # chance, and only the calls that enter the sample are fetched.
                    for _name, pick, _key in plan:
                        seen += 1
                        slot = len(r.checks) if len(r.checks) < cap else secrets.randbelow(seen)
                        if slot >= cap:
                            continue
                        _dt, outs = _timed(cand, {"cmd": "outputs", "call": pick}, step, cancel, "outputs")
                        if outs.get("type") != "outputs":
                            return outs
                        try:  # cloned now: the mapping is the candidate's memory, which it may reuse
                            vals = _values(outs, cuda_index)
                            vals = None if vals is None else [v.clone() if hasattr(v, "clone") else v for v in vals]
                        except ValueError as exc:
                            vals = None
                            r.profile_errors.append(f"candidate: malformed outputs for a re-check: {exc}")
                        del outs
                        if slot < len(r.checks):
                            r.checks[slot] = {"call": pick, "outputs": vals}
                        else:
                            r.checks.append({"call": pick, "outputs": vals})
                for rec in msg["calls"]:
                    r.calls.setdefault(rec["name"], []).append({**rec, "profiled": prof})
                if msg.get("profile_error"):
                    r.profile_errors.append(f"{side}: {msg['profile_error']}")
                r.blocks.append({"side": side, "wall_s": wall, "latency_s": lat, "n": len(plan), "profiled": prof,
                                 "block_s": msg.get("block_s"), "calls": [p[1] for p in plan]})
            if gpu:
                r.gpu_samples.append(gpu.sample())
            rnd += 1
            if rnd >= max_rounds:
                break
            if rnd >= min_rounds and _stable(r, target):
                break
            if time.monotonic() - t_start > budget and rnd >= min_rounds:
                break
        r.info["rounds"] = rnd
        cand.send({"cmd": "end"})
        done = _reply(cand, 60, cancel, {"bench_done"})
        if done.get("type") != "bench_done":
            return done
        if done.get("changed"):
            return {"type": "tamper", "stage": "bench", "changed": done["changed"]}
        r.info["foreign_streams"].update(done.get("foreign_streams") or {})
        # The candidate's process (and whatever it left queued on the GPU) ends here; the baseline
        # then runs once more on a GPU nothing else uses: interleaved baselines much slower than
        # this mean something slowed them down.
        _signal(cand, signal.SIGKILL)  # not Worker.kill(): the caller still owns (and later closes) its fds
        try:
            cand.proc.wait(timeout=10)
        except Exception:
            pass
        plan = []
        for j in range(m):
            for n in base_names:
                if n != "noop":
                    plan.append(keyed(n, call))
                    call += 1
        _w, msg = _base_timed(base, {"cmd": "block", "plan": plan, "sleep_ms": sleep, "profile": profile}, step, cancel, "block")
        for rec in msg["calls"]:
            r.confirm.setdefault(rec["name"], []).append(rec)
        # One re-checked call per message: all of them in one reply (outputs, float64 truth and
        # allowances on the host) came to 9.7 GB for a 1 GB attention-score output and exceeded the
        # channel's 8 GiB bound, so the problem was "not benchmarked" (H200, session 8).
        for c in r.checks:
            _dt, exp = _base_timed(base, {"cmd": "expected", "call": c["call"], "key": keys[c["call"]]}, step, cancel,
                                   "expected")
            c["result"] = _recheck(c["outputs"], _expected(exp, cuda_index), policy)
            c.pop("outputs", None)
            del exp  # the baseline frees what it shared once the next command arrives
        if gpu:
            r.gpu_samples.append(gpu.sample())
        base.send({"cmd": "end"})
    finally:
        base.kill()
        _signal(cand, signal.SIGCONT)
    return r


def _stable(r: Run, target: float) -> bool:
    from ..common.stats import rel_sem

    for name in ("candidate", "eager", "inductor"):
        recs = r.calls.get(name)
        if not recs:
            continue
        # Profiled calls have the span and no events (worker/timer.py): each call's GPU time either way.
        if rel_sem([c["event_ms"] if c.get("event_ms") is not None else c.get("span_ms") or 0.0 for c in recs]) >= target:
            return False
    return True


def _expected(msg: dict[str, Any], cuda_index: int | None) -> dict[str, Any] | None:
    """The baseline's flat reply -> {"outputs", "truth", "conditioning"} (None: it could not compute it)."""
    vals = _values(msg, cuda_index)
    n = msg.get("n")
    if vals is None or type(n) is not int or n < 0:
        return None
    outs, rest = vals[:n], vals[n:]
    truth = rest[:n] if msg.get("truth") else None
    rest = rest[n:] if truth is not None else rest
    conds = [{"magnitude": m, "count": k} if m is not None and k is not None else None
             for m, k in zip(rest[:n], rest[n:2 * n])] if msg.get("cond") else None
    return {"outputs": outs, "truth": truth, "conditioning": conds}


def _recheck(cand: list[Any] | None, exp: dict[str, Any] | None, policy: Policy) -> dict[str, Any]:
    if cand is None:
        return {"ok": False, "reason": "the candidate's harness kept no output for this timed call"}
    if exp is None:
        return {"ok": True, "reason": "no expected output (baseline could not compute it)", "skipped": True}
    ref = exp["outputs"]
    if len(cand) != len(ref):
        return {"ok": False, "reason": f"{len(cand)} outputs, expected {len(ref)}"}
    for i, (c, e) in enumerate(zip(cand, ref)):
        truth = exp["truth"][i] if exp.get("truth") else None
        conds = exp.get("conditioning") or []
        res = compare_output(i, c, e, truth, policy, conds[i] if i < len(conds) else None)
        if not res["ok"]:
            return {"ok": False, "reason": res["reason"]}
    return {"ok": True, "reason": None}
