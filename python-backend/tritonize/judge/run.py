"""Verify (and optionally benchmark) one candidate against one problem: the trusted parent.

Flow: static rules -> reference worker (inputs, expected outputs, float64 truth) -> candidate
worker (raw outputs, launches, ops) -> comparison HERE -> on `correct`, the same candidate worker
benchmarks eager / Inductor / candidate -> timing checks HERE. The parent never imports the
candidate, so nothing the candidate patches or prints reaches the verdict.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import torch

from .process import Worker, WorkerDied, WorkerTimeout
from . import static_rules
from .compare import Policy, compare_output
from .report import VERDICTS, Report  # noqa: F401  (VERDICTS re-exported)
from .verdicts import (correct_summary, correctness_verdict, error_verdict, judge_trial, kernel_line,
                       source_lines)



class ProblemError(Exception):
    """The problem itself (not the candidate) is broken or unusable: a usage error."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message, self.line = message, line


class Cancelled(Exception):
    pass


def _spawn(device: str, pool: Any | None) -> Worker:
    return pool.acquire() if pool is not None else Worker(device)


def problem_key(problem: Path, device: str, options: dict[str, Any]) -> str:
    h = hashlib.sha256(problem.read_bytes())
    h.update(repr((device, options.get("seed", 42), options.get("random_trials", 3), options.get("shape_variation", True))).encode())
    return h.hexdigest()


def _reference(problem: Path, device: str, options: dict[str, Any], timeout: float, pool: Any,
               cancel: threading.Event | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs (or reuses) the reference job. Returns (reference result, worker ready info)."""
    cache: dict[str, Any] | None = options.get("reference_cache")
    key = problem_key(problem, device, options)
    if cache is not None and key in cache and Path(cache[key][0]["inputs_file"]).exists():
        return cache[key]
    workdir = tempfile.mkdtemp(prefix="tritonize-ref-")
    w = _spawn(device, pool)
    try:
        ready = w.wait_ready(timeout=120)
        w.send({"role": "reference", "problem": str(problem), "device": device, "seed": options.get("seed", 42),
                "random_trials": options.get("random_trials", 3), "heavy_tailed": True,
                "shape_variation": options.get("shape_variation", True), "bench_sets": options.get("bench_sets", 3),
                "workdir": workdir})
        msg = w.recv(timeout, cancel)
    except InterruptedError as exc:
        raise Cancelled() from exc
    except WorkerTimeout as exc:
        raise ProblemError(f"the reference did not finish within {timeout:.0f} s") from exc
    except WorkerDied as exc:
        raise ProblemError(f"the reference crashed: {exc}\n{w.log_tail()}") from exc
    finally:
        w.kill()
    if msg.get("type") == "error":
        raise ProblemError(f"{problem.name}:{msg.get('line', 0)}: {msg.get('message')}", int(msg.get("line") or 0))
    if msg.get("type") != "reference":
        raise ProblemError(f"reference worker: {msg.get('message', msg.get('type'))}")
    msg.update(torch.load(msg["expected_file"], mmap=True, weights_only=True, map_location="cpu"))
    os.unlink(msg["expected_file"])
    if cache is not None:
        cache[key] = (msg, ready)
    return msg, ready


def verify(problem: str | Path, candidate: str | Path, *, device: str = "cpu", timeout: float = 120.0,
           benchmark: bool = False, options: dict[str, Any] | None = None,
           on_stage: Callable[[str], None] | None = None, cancel: threading.Event | None = None,
           pool: Any | None = None) -> dict[str, Any]:
    """See docs/CONTRACT.md. Raises ProblemError for a broken problem, Cancelled on cancel."""
    t_start = time.monotonic()
    options = dict(options or {})
    problem, candidate = Path(problem).resolve(), Path(candidate).resolve()
    rep = Report(problem, candidate, device)
    policy = Policy(precision=options.get("precision", "strict"), factor=float(options.get("factor", 8.0)))
    stage = on_stage or (lambda s: None)
    stage("starting")
    try:
        _verify(problem, candidate, device, timeout, benchmark, options, stage, cancel, pool, rep, policy)
    finally:
        rep.r["elapsed_s"] = round(time.monotonic() - t_start, 3)
        stage("done")
    return strip_private(rep.r)


def _verify(problem: Path, candidate: Path, device: str, timeout: float, benchmark: bool, options: dict[str, Any],
            stage: Callable[[str], None], cancel: threading.Event | None, pool: Any, rep: Report,
            policy: Policy) -> dict[str, Any]:
    src = candidate.read_text()
    try:
        compile(src, str(candidate), "exec")
    except SyntaxError as exc:
        rep.diag(exc.lineno or 0, f"SyntaxError: {exc.msg}", "compile_error")
        return rep.end("compile_error", f"syntax error at line {exc.lineno}: {exc.msg}")

    # Static rules first: they are cheap and name the line.
    facts: dict[str, Any] = {}
    try:
        facts = static_rules.problem_facts(problem.read_text())
    except Exception:
        pass
    static = static_rules.check_source(src, str(candidate), problem_dims=set(facts.get("dims") or ()),
                                       problem_dtype=facts.get("dtype"))
    blocking = [d for d in static if d.get("severity") == "error"]
    for d in static:
        rep.diag(d.get("line", 0), d["message"], d["rule"], d.get("severity", "warning"))
    if blocking:
        first = blocking[0]
        return rep.end("rejected", f"rule {first['rule']} at line {first.get('line', 0)}: {first['message']}")

    rep.mark("static")
    w = _spawn(device, pool)  # starts importing torch while the reference runs
    try:
        ref, ready = _reference(problem, device, options, max(timeout, 60.0), pool, cancel)
    except BaseException:
        w.kill()
        raise
    rep.mark("reference")
    _device_info(rep, ready)
    stage("compiling")
    try:
        return _candidate(problem, candidate, device, timeout, benchmark, options, stage, cancel, w, rep, policy, ref)
    finally:
        w.kill()
        if options.get("reference_cache") is None:
            cleanup_reference(ref)


def _device_info(rep: Report, ready: dict[str, Any]) -> None:
    rep.r["versions"].update(ready.get("versions", {}))
    devs = ready.get("devices") or []
    if rep.r["device"]["type"] == "cuda" and devs:
        rep.r["device"].update(name=devs[0]["name"], capability=devs[0]["capability"])
        rep.r["_device_props"] = devs[0]
    elif rep.r["device"]["type"] == "cpu":
        rep.r["device"]["name"] = "CPU (Triton interpreter)"


def _candidate(problem: Path, candidate: Path, device: str, timeout: float, benchmark: bool, options: dict[str, Any],
               stage: Callable[[str], None], cancel: threading.Event | None, w: Worker, rep: Report, policy: Policy,
               ref: dict[str, Any]) -> dict[str, Any]:
    defs, model_line = source_lines(candidate)
    forward_line = defs.get("ModelNew.forward", model_line)
    deadline = time.monotonic() + timeout
    correctness: dict[str, Any] = {"trials": [], "policy": policy.as_dict(), "flags": [], "params": None}
    anticheat: dict[str, Any] = {"triton_kernels": [], "triton_launches": 0, "torch_compute_ops": [],
                                 "data_movement_ops": [], "time_coverage": None}
    rep.r["correctness"], rep.r["anticheat"] = correctness, anticheat
    if ref.get("truth_error"):
        correctness["flags"].append({"rule": "no_fp64_truth", "message": ref["truth_error"] + "; dtype tolerances used"})
    if ref.get("variation_note"):
        correctness["flags"].append({"rule": "shape_variation_skipped", "message": ref["variation_note"]})
    expected = {t["name"]: t for t in ref["trials"]}
    if ref.get("variation"):
        expected["shape-variation"] = ref["variation"]

    def left() -> float:
        return max(0.1, deadline - time.monotonic())

    try:
        w.wait_ready(timeout=left() + 60)  # start-up (imports) is not the candidate's time
        rep.mark("worker_start")
        w.send({"role": "candidate", "candidate": str(candidate), "problem": str(problem), "device": device,
                "inputs_file": ref["inputs_file"]})
        failures: list[tuple[str, dict[str, Any]]] = []
        while True:
            msg = w.recv(left(), cancel)
            kind = msg.get("type")
            if kind == "stage":
                if msg.get("params"):
                    correctness["params"] = msg["params"]
                stage(msg["stage"])
            elif kind == "trial":
                exp = expected.get(msg["name"])
                if exp is None:
                    continue
                trial = judge_trial(msg, exp, policy, ref, forward_line, defs, rep, anticheat, correctness)
                correctness["trials"].append(trial)
                if not trial["passed"]:
                    failures.append((msg["name"], trial))
            elif kind == "error":
                return error_verdict(msg, rep, candidate, ref.get("variation_overrides"))
            elif kind == "tamper":
                for name in msg["changed"]:
                    rep.diag(forward_line, f"the candidate replaced {name}", "monkeypatch")
                return rep.end("rejected", f"rule monkeypatch: the candidate replaced {', '.join(msg['changed'][:4])} "
                                           f"(during {msg['stage']})")
            elif kind == "fatal":
                return rep.end("runtime_error", f"worker failure: {msg.get('message')}")
            elif kind == "verified":
                if msg.get("autotune_first_only"):
                    correctness["flags"].append({"rule": "autotune_first_config_only", "message": "interpreter: "
                                                 f"{', '.join(msg['autotune_first_only'])} checked with its first autotune "
                                                 "config only (the others are checked on a GPU)"})
                if msg.get("foreign_streams"):
                    anticheat["side_stream_launches"] = msg["foreign_streams"]
                    names = ", ".join(msg["foreign_streams"])
                    correctness["flags"].append({"rule": "side_stream", "message": f"kernels launched on a stream other than the "
                                                 f"caller's: {names}; their time escapes the caller's stream"})
                    rep.diag(kernel_line(rep, next(iter(msg["foreign_streams"]))) or forward_line,
                             f"{names} launched on a side stream: callers timing or ordering on their stream won't see it",
                             "side_stream", "warning")
                cov = msg.get("coverage") or {}
                anticheat["time_coverage"] = cov.get("time_coverage")
                if cov.get("other_kernels"):
                    anticheat["other_kernels"] = cov["other_kernels"]
                break
    except WorkerTimeout:
        rep.diag(forward_line, f"the candidate did not finish within {timeout:.0f} s (hang or infinite loop?)", "timeout")
        return rep.end("timeout", f"no result within {timeout:.0f} s; the worker and its children were killed")
    except WorkerDied as exc:
        rep.diag(forward_line, str(exc), "runtime_error")
        return rep.end("runtime_error", str(exc))
    except InterruptedError as exc:
        raise Cancelled() from exc

    rep.mark("candidate_checks")
    verdict = correctness_verdict(rep, anticheat, correctness, failures, forward_line, ref)
    if verdict is not None:
        return verdict
    if not benchmark:
        return rep.end("correct", correct_summary(correctness))
    stage("benchmarking")
    return _benchmark(w, rep, device, options, ref, policy, cancel, timeout)


def _benchmark(w: Worker, rep: Report, device: str, options: dict[str, Any], ref: dict[str, Any], policy: Policy,
               cancel: threading.Event | None, timeout: float) -> dict[str, Any]:
    from .timing import analyze

    cuda = device.startswith("cuda")
    budget = float(options.get("bench_budget_s", 10.0 if cuda else 3.0))
    inductor = options.get("inductor", cuda)
    # A cached Inductor baseline (same problem content, device and versions; see the server's
    # baseline cache) saves the compile and its timing; eager is always re-timed side by side.
    cached = (options.get("baseline") or {}).get("inductor") if inductor else None
    if cached:
        inductor = False
    t0 = time.monotonic()
    try:
        w.send({"cmd": "bench", "inductor": inductor, "inductor_mode": options.get("inductor_mode"), "budget_s": budget})
        while True:
            msg = w.recv(timeout + budget + 300, cancel)  # Inductor's first compile can take minutes
            if msg.get("type") != "stage":
                break
    except WorkerTimeout:
        return rep.end("timeout", "benchmark did not finish in time")
    except WorkerDied as exc:
        rep.diag(0, f"during benchmark: {exc}", "runtime_error")
        return rep.end("runtime_error", f"during benchmark: {exc}")
    except InterruptedError as exc:
        raise Cancelled() from exc
    elapsed = time.monotonic() - t0
    rep.mark("benchmark")
    if msg.get("type") == "error":
        return error_verdict(msg, rep, Path(rep.r["candidate"]))
    if msg.get("type") == "tamper":
        return rep.end("rejected", f"rule monkeypatch: the candidate replaced {', '.join(msg['changed'][:4])} during the benchmark")
    if msg.get("type") != "bench":
        return rep.end("runtime_error", f"benchmark failed: {msg.get('message')}")
    # The output of a timed call must still be right: a kernel that behaves under the checker and
    # cuts corners under the timer is incorrect.
    check = msg.get("check_outputs") or {}
    for k, exp in enumerate(ref.get("bench_check") or []):
        outs = check.get(k)
        if outs is None or len(outs) != len(exp["outputs"]):
            return rep.end("incorrect", f"rule bench_output_mismatch: no usable output for benchmark input set {k}")
        for i, (c, r) in enumerate(zip(outs, exp["outputs"])):
            res = compare_output(i, c, r, exp["truth"][i] if exp.get("truth") else None, policy,
                                 (exp.get("conditioning") or [None] * (i + 1))[i])
            if not res["ok"]:
                msg_ = (f"in benchmark mode (fixed input buffers, contents changing between calls) input set {k} "
                        f"gives a wrong answer: {res['reason']} (cached or stale output?)")
                rep.diag(kernel_line(rep, (rep.r['anticheat']['triton_kernels'] or [''])[0]), msg_, "bench_output_mismatch")
                return rep.end("incorrect", f"rule bench_output_mismatch: {msg_}")
    if cached:
        msg["cached_inductor"] = cached
    rep.r["timings"] = analyze(msg, ref, rep.r.get("_device_props"), cuda, elapsed, policy)
    t = rep.r["timings"]
    if t.get("forged"):
        return rep.end("rejected", f"rule timing_forged: {t['forged']}")
    summary = correct_summary(rep.r["correctness"])
    if not cuda:
        summary += "; timings from the CPU interpreter are not meaningful"
    elif t.get("speedup_vs_eager") is not None:
        s = f"; {t['candidate']['median_ms']:.4g} ms, {t['speedup_vs_eager']:.2f}x vs eager"
        if t.get("speedup_vs_inductor") is not None:
            s += f", {t['speedup_vs_inductor']:.2f}x vs Inductor"
        summary += s
    else:
        summary += "; timing flagged: " + ", ".join(f["rule"] for f in t["flags"])
    return rep.end("correct", summary)


def validate_problem(problem: str | Path, *, device: str = "cpu", timeout: float = 120.0, pool: Any | None = None) -> dict[str, Any]:
    problem = Path(problem).resolve()
    if not problem.exists():
        return {"ok": False, "error": {"message": f"{problem} does not exist", "line": 0}}
    w = _spawn(device, pool)
    try:
        w.wait_ready(timeout=120)
        w.send({"role": "validate", "problem": str(problem), "device": device})
        msg = w.recv(timeout)
    except WorkerTimeout:
        return {"ok": False, "error": {"message": f"the reference did not finish within {timeout:.0f} s", "line": 0}}
    except WorkerDied as exc:
        return {"ok": False, "error": {"message": f"the reference crashed: {exc}", "line": 0}}
    finally:
        w.kill()
    msg.pop("type", None)
    return msg


def strip_private(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if not k.startswith("_")}


def cleanup_reference(ref: dict[str, Any]) -> None:
    shutil.rmtree(Path(ref["inputs_file"]).parent, ignore_errors=True)
