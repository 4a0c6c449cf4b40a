"""The judge-driven protocol (docs/verifier-protocol.md): candidates that forge, read ahead,
precompute, garble or close the result channel each end as a clear non-correct verdict; legit
candidates stay correct; the secret seed never reaches the candidate's process; checkpoints must
match by name and kind; big outputs compare in slices exactly like the whole.

    cd python-backend && ../.venv/bin/python -m pytest tests/test_protocol.py -m "not gpu" -q
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
import torch

HERE = Path(__file__).parent
PROTO = HERE / "protocol"
PROBLEMS = HERE / "problems"
CANDIDATES = HERE / "candidates"


def _diags(rep: dict, rule: str) -> list[dict]:
    return [d for d in rep.get("diagnostics", []) if d["rule"] == rule]


def violation(rep: dict) -> None:
    assert rep["verdict"] == "rejected", rep["summary"]
    assert "protocol_violation" in rep["summary"], rep["summary"]
    assert _diags(rep, "protocol_violation")


def mismatch_at_first_trial(rep: dict) -> None:
    assert rep["verdict"] == "incorrect", rep["summary"]
    first = next(t for t in rep["correctness"]["trials"] if t["name"] == "random-0")
    assert not first["passed"]


def channel_lost(rep: dict) -> None:
    assert rep["verdict"] in ("runtime_error", "rejected"), rep["summary"]


def correct_all_trials(rep: dict) -> None:
    assert rep["verdict"] == "correct", rep["summary"]
    names = [t["name"] for t in rep["correctness"]["trials"]]
    # perturbed-params: every problem with a floating parameter has one (red team 9)
    assert [n for n in names if n != "perturbed-params"] == [
        "batch-one", "random-0", "near-repeat", "batch-larger", "random-1", "random-2", "wider-later", "batch-part-later",
        "batch-one-later", "unobserved",
        "heavy-tailed", "unobserved-heavy", "broadened", "shifted",
        "small-values", "tied-values", "special-values", "strided-inputs", "eval-mode", "shape-variation"], names
    assert ("perturbed-params" in names) == bool(rep["correctness"].get("params") == "by name"), names
    assert rep["correctness"]["protocol"] == "judge-driven"
    assert all("process" in t for t in rep["correctness"]["trials"])


def mismatch_or_guard(rep: dict) -> None:
    """Wrong at the first trial, or refused earlier by the audit guard (docs/verdicts.md) for the
    introspection it uses to hunt for inputs: never correct."""
    if rep["verdict"] == "rejected":
        assert "introspection" in rep["summary"] or "guard" in rep["summary"], rep["summary"]
    else:
        mismatch_at_first_trial(rep)


def no_seed_found(rep: dict) -> None:
    """The seed never reaches the candidate: it either finds nothing and is correct, or the audit
    guard refuses its search of frames and the heap (or of /proc, session 17) first."""
    if rep["verdict"] == "rejected":
        assert "introspection" in rep["summary"] or "environment_probe" in rep["summary"], rep["summary"]
    else:
        correct_all_trials(rep)


def param_mismatch(*names: str) -> Callable[[dict], None]:
    def check(rep: dict) -> None:
        assert rep["verdict"] == "rejected", rep["summary"]
        assert "param_mismatch" in rep["summary"]
        text = " ".join(d["message"] for d in _diags(rep, "param_mismatch"))
        for n in names:
            assert n in text, text
        assert not rep["correctness"]["trials"]  # no trial ran
    return check


# (candidate, problem, options, check)
CASES = [
    ("forged_verified.py", "vector_add.py", {}, violation),
    ("early_verified.py", "vector_add.py", {}, violation),
    ("forged_trial.py", "vector_add.py", {}, violation),
    ("garbage_fd.py", "vector_add.py", {}, violation),
    ("close_fd.py", "vector_add.py", {}, channel_lost),
    ("precompute_init.py", "vector_add.py", {}, mismatch_or_guard),
    ("seed_hunt.py", "vector_add.py", {"seed": 987654321987}, no_seed_found),
    ("params_correct.py", "scale_shift.py", {}, correct_all_trials),
    ("params_buffer_kind.py", "scale_shift.py", {}, param_mismatch("weight", "buffer", "parameter")),
    ("params_renamed.py", "scale_shift.py", {}, param_mismatch("weight", "shift", "w ")),
]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("cand,prob,options,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_protocol_cpu(runner, cand, prob, options, check):
    problem = PROTO / prob if (PROTO / prob).exists() else PROBLEMS / prob
    rep = runner(PROTO / cand, problem, "cpu", timeout=90.0, **options)
    check(rep)


@pytest.mark.gpu
@pytest.mark.timeout(240)
@pytest.mark.parametrize("cand,prob,options,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_protocol_cuda(runner, cand, prob, options, check):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    problem = PROTO / prob if (PROTO / prob).exists() else PROBLEMS / prob
    rep = runner(PROTO / cand, problem, "cuda", timeout=90.0, **options)
    check(rep)
    assert rep["memory"]["device_bytes"] > 0


def test_protocol_library_is_complete():
    listed = {c for c, *_ in CASES} | {"scale_shift.py"}
    assert {p.name for p in PROTO.glob("*.py")} == listed


@pytest.mark.timeout(300)
def test_fresh_secret_seed_per_run():
    """Two runs of the same candidate draw different seeds (and both are correct)."""
    from tritonize.judge.run import verify

    seeds = []
    for _ in range(2):
        rep = verify(PROBLEMS / "vector_add.py", CANDIDATES / "vector_add_correct.py", device="cpu", timeout=90.0)
        assert rep["verdict"] == "correct", rep["summary"]
        seeds.append(rep["correctness"]["seed"])
    assert seeds[0] != seeds[1] and all(s.bit_length() == 53 for s in seeds)


def test_memory_plan_refuses_with_numbers(tmp_path):
    """A problem that cannot fit is refused before anything is allocated, with numbers and advice."""
    from tritonize.judge.run import ProblemError, verify

    prob = tmp_path / "huge.py"
    prob.write_text((PROBLEMS / "vector_add.py").read_text().replace("3000", str(1 << 40)) if "3000" in
                    (PROBLEMS / "vector_add.py").read_text() else "")
    assert prob.read_text(), "vector_add.py no longer uses the literal 3000"
    t0 = time.monotonic()
    with pytest.raises(ProblemError) as err:
        verify(prob, CANDIDATES / "vector_add_correct.py", device="cpu", timeout=60.0)
    msg = err.value.message
    assert "needs" in msg and "GB of host memory" in msg and "available" in msg and "get_inputs" in msg, msg
    assert time.monotonic() - t0 < 120


def test_options_are_typed():
    from tritonize.judge.options import VerifyOptions
    from tritonize.judge.run import ProblemError, verify

    with pytest.raises(ValueError, match="bogus"):
        VerifyOptions.from_dict({"bogus": 1})
    with pytest.raises(ValueError):
        VerifyOptions(precision="loose")
    assert VerifyOptions.from_dict({"reference_cache": {}, "seed": 3}).seed == 3
    with pytest.raises(ProblemError, match="bogus"):
        verify(PROBLEMS / "vector_add.py", CANDIDATES / "vector_add_correct.py", options={"bogus": 1})


# ------------------------------------------------------------------------------------------------
# Building blocks, with real pipes, processes and tensors


def test_channel_raw_tensors_roundtrip_and_limit():
    from tritonize.common import channel, shared

    r, w = os.pipe()
    x = torch.randn(64, 33).t()  # transposed: the layout survives
    descs, raw = shared.export([x, 7, torch.arange(5)])
    done = threading.Thread(target=channel.send, args=(w, {"type": "t", "v": descs}, raw))
    done.start()
    msg = channel.recv(r)
    done.join()
    back = shared.load(msg["v"], msg["_raw"])
    assert torch.equal(back[0], x) and back[0].stride() == x.stride() and back[1] == 7 and torch.equal(back[2], torch.arange(5))
    # a sender declaring more raw bytes than allowed is refused before anything is read
    def refused_send() -> None:
        try:
            channel.send(w, {"type": "t"}, [torch.zeros(1 << 16)])
        except OSError:  # the reader gave up and closed its end
            pass

    t = threading.Thread(target=refused_send)
    t.start()
    with pytest.raises(ValueError, match="refusing"):
        channel.recv(r, max_raw=1024)
    os.close(r)
    t.join()
    os.close(w)


def test_forged_geometry_is_refused():
    from tritonize.common import shared

    flat = torch.zeros(10)
    with pytest.raises(Exception):
        shared.load([{"kind": "raw", "index": 0, "shape": [100], "stride": [1], "dtype": "float32"}], [flat])
    with pytest.raises(ValueError):
        shared.load([{"kind": "raw", "index": 3, "shape": [10], "stride": None, "dtype": "float32"}], [flat])
    with pytest.raises(ValueError):
        shared.load([{"kind": "pickle", "value": b"x"}], [])


@pytest.mark.parametrize("wrong", [False, True])
def test_sliced_comparison_equals_whole(wrong):
    from tritonize.judge.compare import Policy, compare_output
    from tritonize.judge.trial_compare import compare_one

    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 1000, generator=g)
    truth = x.double().cumsum(1)
    ref = x.cumsum(1)
    cand = x.double().cumsum(1).float()  # a different (better) rounding: within tolerance
    if wrong:
        cand[123, 456] += 1.0
    whole = compare_output(0, cand, ref, truth, Policy())
    sliced = compare_one(0, cand, ref, truth, Policy(), budget_bytes=160 * 20000)  # 15 slices
    assert sliced["ok"] == whole["ok"] == (not wrong)
    assert sliced["allowed_err"] == pytest.approx(whole["allowed_err"])
    assert sliced["cand_err_vs_fp64"] == pytest.approx(whole["cand_err_vs_fp64"])
    if wrong:
        assert sliced["first_mismatch"] == whole["first_mismatch"] == [123, 456]
        assert "[123, 456]" in sliced["reason"]


def test_proc_evidence_sees_threads_children_and_cpu():
    from tritonize.judge import proc_evidence

    code = ("import threading, subprocess, sys, time\n"
            "print('ready', flush=True); sys.stdin.readline()\n"
            "threading.Thread(target=lambda: sum(i for i in range(10**9)), daemon=True).start()\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
            "print('go', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        base = proc_evidence.snapshot(proc.pid)
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "go"
        time.sleep(1.5)
        after = proc_evidence.snapshot(proc.pid)
        ev, flags = proc_evidence.trial_evidence("t", base, base, after, 0.001, True, proc.pid)
        rules = {f["rule"] for f in flags}
        assert {"threads_after_forward", "children_after_forward"} <= rules, (ev, flags)
        assert ev["host_cpu_s"] > 0.02  # the spinning thread's time is counted (a loaded machine gives it little)
        assert ev["new_threads"] >= 1 and ev["children"]
        with proc_evidence.stopped(proc.pid):
            c0 = proc_evidence.snapshot(proc.pid).cpu_s
            time.sleep(0.5)
            assert proc_evidence.snapshot(proc.pid).cpu_s - c0 < 0.05  # nothing runs while stopped
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
