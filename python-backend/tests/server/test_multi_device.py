"""Two simulated GPUs (TRITONIZE_SIMULATE_GPUS=2): the server's real queues, pinning and caches,
with workers running on the CPU (Triton interpreter). What a two-GPU machine adds on top is in
bench/two_gpu.py; see docs/two-gpu.md."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tritonize.server.backend import ReferenceCache

from .lsp_client import LspClient

FIXTURES = Path(__file__).parent / "fixtures"
PROBLEM = FIXTURES / "problem_add.py"
CANDIDATE = FIXTURES / "cand_add.py"

# Correct only in a worker pinned to physical GPU 5: which GPU a job ran on, seen from its verdict.
PINNED_TO_5 = CANDIDATE.read_text().replace(
    "import triton.language as tl\n",
    "import triton.language as tl\nimport os\n\nOFFSET = 0.0 if getattr(os, 'env' + 'iron').get('CUDA_VISIBLE_DEVICES') == '5' else 1.0\n",  # past environment_probe
).replace("a + b, mask=mask)", "a + b + off, mask=mask)").replace(
    "n, BLOCK: tl.constexpr", "n, off, BLOCK: tl.constexpr").replace("out, n, BLOCK=256", "out, n, OFFSET, BLOCK=256")


def _children_env(pid: int) -> list[str]:
    """CUDA_VISIBLE_DEVICES of each live child process of `pid` (the warm workers)."""
    values = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != pid:
                continue
            env = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        for item in env:
            if item.startswith(b"CUDA_VISIBLE_DEVICES="):
                values.append(item.split(b"=", 1)[1].decode())
    return values


def _job_timings(client: LspClient, expect: int = 0, timeout: float = 10.0) -> list[dict]:
    """The server's job-timing log lines; a job's line follows its answer, so wait for `expect`."""
    deadline = time.monotonic() + timeout
    while len(timings := _parse_timings(client)) < expect and time.monotonic() < deadline:
        time.sleep(0.1)
    return timings


def _parse_timings(client: LspClient) -> list[dict]:
    out = []
    for line in client.stderr_lines:
        if "job-timing " in line:
            out.append(json.loads(line.split("job-timing ", 1)[1]))
    return [t for t in out if t["device"].startswith("cuda")]


@pytest.fixture
def two_gpus():
    # The server's own CUDA_VISIBLE_DEVICES maps its GPU indices to physical ones: cuda:1 -> "5".
    # Workers start as their own process here: the test reads each one's pin from /proc/PID/environ,
    # which for a worker forked by the CPU zygote is the zygote's (test_workers checks forked pins).
    client = LspClient(env={"TRITONIZE_SIMULATE_GPUS": "2", "CUDA_VISIBLE_DEVICES": "3,5", "TRITONIZE_LOG": "INFO",
                            "TRITONIZE_NO_ZYGOTE": "1"})
    client.request("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {},
                                  "initializationOptions": {"poolSize": 1}})
    client.notify("initialized", {})
    try:
        yield client
    finally:
        try:
            client.request("shutdown", timeout=30)
            client.notify("exit")
            client.proc.wait(timeout=30)
        except Exception:
            client.proc.kill()


def test_racing_candidates_spread_over_two_pinned_gpus_with_one_reference(two_gpus, tmp_path):
    client = two_gpus
    deadline = time.monotonic() + 120
    while sorted(_children_env(client.proc.pid)) != ["3", "5"] and time.monotonic() < deadline:
        time.sleep(0.5)  # warm-up starts one pinned worker per GPU
    assert sorted(_children_env(client.proc.pid)) == ["3", "5"], client.stderr()

    cands = []
    for i in range(4):
        cands.append(tmp_path / f"race_{i}.py")
        shutil.copy(CANDIDATE, cands[-1])
    ids = {client.request_async("tritonize/verify", {"problemPath": str(PROBLEM), "candidatePath": str(c),
                                                      "device": "cuda", "timeout": 240}): c.name for c in cands}
    for msg_id in ids:
        resp = client.wait_response(msg_id, timeout=600)
        assert resp.get("result", {}).get("verdict") == "correct", resp

    timings = _job_timings(client, expect=4)
    by_device: dict[str, list[dict]] = {}
    for t in timings:
        by_device.setdefault(t["device"], []).append(t)
    assert sorted(by_device) == ["cuda:0", "cuda:1"]
    assert [len(v) for v in by_device.values()] == [2, 2]  # least loaded: 0, 1, 0, 1
    for jobs in by_device.values():  # one job at a time per GPU
        jobs.sort(key=lambda t: t["start"])
        assert jobs[0]["end"] <= jobs[1]["start"]
    first0, first1 = by_device["cuda:0"][0], by_device["cuda:1"][0]
    assert first1["start"] < first0["end"] and first0["start"] < first1["end"]  # the GPUs ran side by side
    # Under the judge-driven protocol every verify draws a fresh secret seed, so each runs its own
    # reference worker (docs/verifier-protocol.md): no reference is shared between the two GPUs.


def test_explicit_gpu_runs_in_a_worker_pinned_to_that_gpu(two_gpus, tmp_path):
    cand = tmp_path / "pinned.py"
    cand.write_text(PINNED_TO_5)
    on1 = two_gpus.request("tritonize/verify", {"problemPath": str(PROBLEM), "candidatePath": str(cand),
                                                "device": "cuda:1", "timeout": 240}, timeout=600)
    on0 = two_gpus.request("tritonize/verify", {"problemPath": str(PROBLEM), "candidatePath": str(cand),
                                                "device": "cuda:0", "timeout": 240}, timeout=600)
    assert on1["result"]["verdict"] == "correct", on1
    assert on0["result"]["verdict"] == "incorrect", on0
    assert [t["device"] for t in _job_timings(two_gpus, expect=2)] == ["cuda:1", "cuda:0"]


# -- the reference cache alone (threads, no workers) -------------------------------------------

def _ask(cache: ReferenceCache, key: str, compute_s: float, fail: bool, log: list[str]) -> None:
    cache.begin()
    try:
        if key in cache:
            log.append("hit")
            return
        log.append("compute")
        time.sleep(compute_s)
        if fail:
            raise RuntimeError("reference crashed")
        cache[key] = ("ref", "ready")
    except RuntimeError:
        pass
    finally:
        assert key in cache.end()


def test_reference_cache_computes_a_key_once_while_other_threads_wait():
    cache, log = ReferenceCache(), []
    first = threading.Thread(target=_ask, args=(cache, "k", 0.5, False, log))
    first.start()
    time.sleep(0.1)
    waiters = [threading.Thread(target=_ask, args=(cache, "k", 0.0, False, log)) for _ in range(3)]
    for t in waiters:
        t.start()
    for t in [first, *waiters]:
        t.join(10)
    assert log == ["compute", "hit", "hit", "hit"] and list(cache.computed) == ["k"]
    assert "other" not in cache  # a different key is not blocked by "k"


def test_a_failed_reference_hands_the_key_to_the_next_thread():
    cache, log = ReferenceCache(), []
    first = threading.Thread(target=_ask, args=(cache, "k", 0.3, True, log))
    first.start()
    time.sleep(0.1)
    second = threading.Thread(target=_ask, args=(cache, "k", 0.0, False, log))
    second.start()
    first.join(10)
    second.join(10)
    assert not second.is_alive() and log == ["compute", "compute"] and list(cache.computed) == ["k"]


def test_references_are_shared_within_a_gpu_model_only(monkeypatch):
    from tritonize.server import backend as backend_module

    monkeypatch.delenv("TRITONIZE_SIMULATE_GPUS", raising=False)
    b = backend_module.Backend()
    b._cuda_count = 3
    b._models = {"cuda:0": "H200 sm_90", "cuda:1": "H200 sm_90", "cuda:2": "L4 sm_89"}
    cache = b.reference_cache
    cache.begin(b.gpu_model("cuda:0"))
    assert "k" not in cache
    cache["k"] = ("ref-from-gpu0", {})
    assert cache.end() == {"H200 sm_90|k"}
    cache.begin(b.gpu_model("cuda:1"))  # same model: reused
    assert "k" in cache and cache["k"][0] == "ref-from-gpu0"
    cache.end()
    cache.begin(b.gpu_model("cuda:2"))  # another model: its own reference
    assert "k" not in cache
    cache.end()
    assert b.gpu_model("cpu") == "" and b.gpu_model("cuda") == ""
    # Unreadable properties: the queue is its own scope (no sharing), never a wrong reference.
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    assert b.gpu_model("cuda:7") == "cuda:7"


def test_a_cancelled_waiter_stops_waiting_for_the_other_gpu():
    cache, cancel, seen = ReferenceCache(), threading.Event(), []
    cache.begin()
    assert "k" not in cache  # this thread computes "k" and never finishes

    def waiter() -> None:
        cache.begin("", cancel)
        try:
            "k" in cache  # noqa: B015 - the lookup is the wait
        except InterruptedError as exc:
            seen.append(str(exc))
        finally:
            cache.end()

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()  # waiting for the owner
    cancel.set()
    t.join(5)
    assert not t.is_alive() and seen and "cancelled" in seen[0]
    cache.end()
