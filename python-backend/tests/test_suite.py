"""`tritonize suite` end to end on the CPU (real workers, Triton interpreter), locally and on a real
local Ray instance (loopback, 2 CPUs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tritonize.suite.runner import discover
from tritonize.suite.summary import markdown, summarize

HERE = Path(__file__).resolve().parent
BACKEND = HERE.parent


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> tuple[Path, Path]:
    """Three small problems: a correct candidate, a wrong one, and one without a candidate."""
    root = tmp_path_factory.mktemp("suite")
    problems, candidates = root / "problems", root / "candidates"
    problems.mkdir()
    candidates.mkdir()
    shutil.copy(HERE / "problems" / "relu.py", problems / "relu.py")
    shutil.copy(HERE / "problems" / "vector_add.py", problems / "vector_add.py")
    shutil.copy(HERE / "problems" / "gelu.py", problems / "gelu.py")
    shutil.copy(HERE / "candidates" / "relu_correct.py", candidates / "relu.py")
    shutil.copy(HERE / "candidates" / "wrong_op.py", candidates / "vector_add.py")
    return problems, candidates


def _cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}
    return subprocess.run([sys.executable, "-m", "tritonize.cli", "suite", *args], cwd=BACKEND, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _check(doc: dict) -> None:
    rows = {r["name"]: r for r in doc["rows"]}
    assert [r["name"] for r in doc["rows"]] == ["gelu", "relu", "vector_add"]
    assert rows["relu"]["verdict"] == "correct", rows["relu"]["summary"]
    assert rows["vector_add"]["verdict"] == "incorrect", rows["vector_add"]["summary"]
    assert rows["gelu"]["verdict"] == "missing"
    s = doc["summary"]
    assert (s["total"], s["correct"], s["verdicts"]) == (3, 1, {"correct": 1, "incorrect": 1, "missing": 1})
    assert s["timed"] is False and s["fast_1_vs_eager"] is None  # the CPU interpreter's timings mean nothing


def test_suite_cli_local(dirs, tmp_path):
    problems, candidates = dirs
    out_json, out_md = tmp_path / "suite.json", tmp_path / "suite.md"
    r = _cli(str(problems), str(candidates), "--device", "cpu", "--timeout", "120", "--json", str(out_json),
             "--markdown", str(out_md))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out_json.read_text())
    _check(doc)
    assert "[3/3]" in r.stderr  # progress (one line per problem when stderr is not a terminal)
    md = out_md.read_text()
    assert "| relu | correct |" in md and "**1/3 correct** (33%)" in md


def test_suite_usage_errors_exit_2(tmp_path):
    r = _cli(str(tmp_path / "nope"), str(tmp_path))
    assert r.returncode == 2 and "is not a directory" in r.stderr
    r = _cli(str(tmp_path), str(tmp_path))
    assert r.returncode == 2 and "no problem files" in r.stderr


def test_summary_fast_p_and_geomean():
    rows = [{"name": "a", "verdict": "correct", "speedup_vs_eager": 2.0, "speedup_vs_inductor": 1.2},
            {"name": "b", "verdict": "correct", "speedup_vs_eager": 0.5, "speedup_vs_inductor": 0.4},
            {"name": "c", "verdict": "incorrect", "speedup_vs_eager": None, "speedup_vs_inductor": None},
            {"name": "d", "verdict": "correct", "speedup_vs_eager": 1.6, "speedup_vs_inductor": None}]
    s = summarize(rows, p=1.5)
    assert (s["total"], s["correct"]) == (4, 3)
    assert s["fast_1_vs_eager"] == 0.5 and s["fast_p_vs_eager"] == 0.5  # a and d, of 4
    assert s["fast_1_vs_inductor"] == 0.25 and s["fast_p_vs_inductor"] == 0.0
    assert s["geomean_speedup_vs_eager"] == pytest.approx((2.0 * 0.5 * 1.6) ** (1 / 3), rel=1e-3)
    assert "**3/4 correct** (75%)" in markdown(rows, s)


def test_a_row_carries_the_verdicts_flags_and_the_table_shows_the_ones_that_qualify_a_speedup():
    from tritonize.suite.runner import row_from_report

    rep = {"verdict": "correct", "summary": "s", "correctness": {"flags": [
        {"rule": "shape_restricted", "message": "m"}, {"rule": "noncontiguous_inputs", "message": "m"}]}}
    row = row_from_report("20_conv2d", rep)
    assert row["flags"] == ["shape_restricted", "noncontiguous_inputs"]
    table = markdown([row], summarize([row]))
    assert "| 20_conv2d | correct (shape_restricted) |" in table and "noncontiguous" not in table


def test_suite_on_a_local_ray_instance(dirs):
    ray = pytest.importorskip("ray", reason="ray is installed by scripts/setup.mjs")
    from tritonize.suite.ray_runner import run_ray

    problems, candidates = dirs
    pairs = discover(problems, candidates)
    # Ray waits a fixed 30 s for its raylet; a loaded 2-core machine can miss that once.
    for attempt in range(3):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
            break
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise
    try:
        rows = run_ray(pairs, address=None, device="cpu", timeout=120, benchmark=False, options={})
        _check({"rows": rows, "summary": summarize(rows)})
        # each verified row came back from a Ray worker process, not this one
        assert all(r["lane"].startswith("ray:") for r in rows if r["verdict"] != "missing")
    finally:
        ray.shutdown()


def test_lane_times_alone_and_benchmarks_are_not_starved():
    """Verifications share a GPU lane by memory; a benchmark waits until the lane is empty, holds it
    alone, and once it waits no new verification starts (else a stream of them would starve it)."""
    import threading
    import time as _time

    from tritonize.suite.runner import _Lane

    lane = _Lane("cuda:0", {}, capacity=100)
    events: list[tuple[str, str]] = []
    inside: set[str] = set()
    overlap: list[set[str]] = []
    lock = threading.Lock()

    def job(name: str, need: int, verify_s: float, bench: bool) -> None:
        held = [lane.acquire(need)]
        with lock:
            inside.add(name)
            events.append(("verify", name))
        _time.sleep(verify_s)
        with lock:
            inside.discard(name)
        if bench:
            with lane.timed(held):
                with lock:
                    if inside:
                        overlap.append(set(inside))
                    inside.add("T" + name)
                    events.append(("bench", name))
                _time.sleep(0.05)
                with lock:
                    inside.discard("T" + name)
        lane.release(held[0])

    threads = [threading.Thread(target=job, args=("a", 30, 0.05, True))]
    threads += [threading.Thread(target=job, args=(f"v{i}", 30, 0.3, False)) for i in range(3)]
    for t in threads[:2]:
        t.start()
    _time.sleep(0.02)
    # Jobs arriving while "a" waits for its benchmark must wait behind it.
    late = [threading.Thread(target=job, args=(f"late{i}", 30, 0.01, False)) for i in range(3)]
    for t in threads[2:] + late:
        t.start()
    for t in threads + late:
        t.join(10)
    assert not overlap, f"a benchmark ran beside verifications: {overlap}"
    assert lane.used == 0 and lane.timed_waiting == 0
    order = [n for k, n in events]
    bench_at = order.index("a")  # first event of "a" is its verify
    assert ("bench", "a") in events
    for i in range(3):
        assert order.index(f"late{i}", bench_at + 1) > events.index(("bench", "a")), events


def test_verify_enters_the_timed_gate_only_to_benchmark():
    """The suite's gate wraps the benchmark alone: a correct candidate enters it once, after its
    trials; one judged otherwise never does (it would hold the GPU for nothing)."""
    import contextlib

    from tritonize.judge.run import verify

    here = Path(__file__).parent
    entered: list[str] = []

    def gate_for(name: str):
        @contextlib.contextmanager
        def gate():
            entered.append(name)
            yield
        return gate

    opts = {"inductor": False, "bench_budget_s": 0.2}
    ok = verify(here / "problems/softmax.py", here / "candidates/softmax_correct.py", device="cpu", timeout=120,
                benchmark=True, options=opts, timed_gate=gate_for("ok"))
    bad = verify(here / "problems/softmax.py", here / "candidates/wrong_nan_softmax.py", device="cpu", timeout=120,
                 benchmark=True, options=opts, timed_gate=gate_for("bad"))
    assert ok["verdict"] == "correct" and ok.get("timings"), ok["summary"]
    assert bad["verdict"] != "correct"
    assert entered == ["ok"]
