"""In-process tests of the server's small parts (no torch, no workers)."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from tritonize.server import backend, codelens, jsonrpc
from tritonize.server.baselines import BaselineCache, BaselineKey, baseline_from_report
from tritonize.server.diagnostics import DiagnosticStore, static_diagnostics, to_lsp
from tritonize.server.dispatch import DEFERRED, Dispatcher, RpcError
from tritonize.server.documents import Documents, path_to_uri, uri_to_path
from tritonize.server.jobs import Job, JobQueues
from tritonize.server.jsonrpc import MessageWriter, ParseError, StreamClosed, encode_message, read_message


def frames(*bodies: bytes) -> io.BytesIO:
    return io.BytesIO(b"".join(b"Content-Length: %d\r\n\r\n" % len(b) + b for b in bodies))


def _split(data: bytes) -> list[dict]:
    stream, out = io.BytesIO(data), []
    while True:
        try:
            out.append(read_message(stream))
        except StreamClosed:
            return out


# -- jsonrpc ----------------------------------------------------------------------------------

def test_framing_round_trip_and_errors(monkeypatch):
    monkeypatch.setattr(jsonrpc, "MAX_CONTENT", 100)
    stream = frames(b'{"id":1}', b"[1,2]", b"{bad", "{\"x\":\"\u00e9\"}".encode())
    assert read_message(stream) == {"id": 1}
    with pytest.raises(ParseError):
        read_message(stream)  # not an object
    with pytest.raises(ParseError):
        read_message(stream)  # not JSON
    assert read_message(stream) == {"x": "\u00e9"}  # length counts bytes, not characters
    with pytest.raises(StreamClosed):
        read_message(stream)
    lost = io.BytesIO(b"Content-Type: x\r\n\r\n" + frames(b'{"id":2}').getvalue())
    with pytest.raises(ParseError):
        read_message(lost)  # no length: reported, and the next frame still reads
    assert read_message(lost) == {"id": 2}
    huge = io.BytesIO(b"Content-Length: %d\r\n\r\n" % (jsonrpc.MAX_CONTENT + 1) + b"x" * (jsonrpc.MAX_CONTENT + 1)
                      + frames(b'{"id":3}').getvalue())
    with pytest.raises(ParseError):
        read_message(huge)
    assert read_message(huge) == {"id": 3}
    with pytest.raises(StreamClosed):
        read_message(io.BytesIO(b"Content-Length: 10\r\n\r\n{}"))  # truncated body


def test_writer_is_thread_safe_and_survives_nan():
    sink = io.BytesIO()
    writer = MessageWriter(sink)
    threads = [threading.Thread(target=lambda i=i: [writer.send({"id": i, "result": "x" * 5000}) for _ in range(20)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.send({"id": 9, "result": {"speedup": float("nan")}})
    msgs = _split(sink.getvalue())
    assert len(msgs) == 81 and msgs[-1]["result"] == {"speedup": None}


# -- dispatch ---------------------------------------------------------------------------------

def make_dispatcher():
    sink = io.BytesIO()
    d = Dispatcher(MessageWriter(sink))
    return d, lambda: _split(sink.getvalue())


def test_dispatch_errors_and_handler_exceptions():
    d, sent = make_dispatcher()

    @d.request("boom")
    def boom(params, ctx):
        raise KeyError("x")

    @d.request("bad")
    def bad(params, ctx):
        raise RpcError(-32602, "nope")

    d.handle({"id": 1, "method": "boom"})
    d.handle({"id": 2, "method": "bad"})
    d.handle({"id": 3, "method": "missing"})
    d.handle({"id": [1], "method": "boom"})
    d.handle({"jsonrpc": "2.0"})
    d.handle({"method": "unknown/notification"})  # ignored, no answer
    codes = [(m.get("id"), m["error"]["code"]) for m in sent()]
    assert codes == [(1, -32603), (2, -32602), (3, -32601), (None, -32600), (None, -32600)]


def test_cancel_answers_once_and_runs_callbacks():
    d, sent = make_dispatcher()
    holder = {}

    @d.request("slow", cancellable=True)
    def slow(params, ctx):
        holder["ctx"] = ctx
        ctx.on_cancel.append(lambda: holder.setdefault("killed", True))
        return DEFERRED

    d.handle({"id": "a", "method": "slow"})
    d.handle({"method": "$/cancelRequest", "params": {"id": "a"}})
    assert holder["killed"] and holder["ctx"].cancel.is_set()
    assert holder["ctx"].respond({"late": True}) is False  # the job's late answer is dropped
    d.handle({"method": "$/cancelRequest", "params": {"id": "a"}})  # already answered: no-op
    assert sent() == [{"jsonrpc": "2.0", "id": "a", "error": {"code": -32800, "message": "request cancelled"}}]


def test_ids_of_different_types_are_different_requests():
    d, sent = make_dispatcher()
    ctxs = {}

    @d.request("slow", cancellable=True)
    def slow(params, ctx):
        ctxs[ctx.id] = ctx
        return DEFERRED

    d.handle({"id": 1, "method": "slow"})
    d.handle({"id": "1", "method": "slow"})
    d.handle({"method": "$/cancelRequest", "params": {"id": "1"}})
    assert ctxs["1"].cancel.is_set() and not ctxs[1].cancel.is_set()


# -- jobs -------------------------------------------------------------------------------------

def test_one_device_runs_jobs_one_at_a_time_and_devices_run_in_parallel():
    queues = JobQueues()
    running: dict[str, int] = {"cuda:0": 0, "cuda:1": 0}
    peak: dict[str, int] = {"cuda:0": 0, "cuda:1": 0}
    overlap = threading.Event()
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def job(dev):
        def run():
            with lock:
                running[dev] += 1
                peak[dev] = max(peak[dev], running[dev])
                if running["cuda:0"] and running["cuda:1"]:
                    overlap.set()
            time.sleep(0.05)
            with lock:
                running[dev] -= 1
            done.release()
        return Job(dev, run)

    for _ in range(4):
        for dev in running:
            queues.for_device(dev).submit(job(dev))
    for _ in range(8):
        assert done.acquire(timeout=5)
    assert peak == {"cuda:0": 1, "cuda:1": 1} and overlap.is_set()
    queues.stop()


def test_cancelled_queued_job_never_runs_and_least_loaded_picks_idle_gpu():
    queues = JobQueues()
    gate, ran = threading.Event(), []
    queues.for_device("cuda:0").submit(Job("block", gate.wait))
    skipped = Job("skip", lambda: ran.append("skip"))
    skipped.cancel.set()
    queues.for_device("cuda:0").submit(skipped)
    queues.for_device("cuda:0").submit(Job("after", lambda: ran.append("after")))
    assert queues.least_loaded(["cuda:0", "cuda:1"]) == "cuda:1"
    gate.set()
    deadline = time.monotonic() + 5
    while not ran and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["after"]
    queues.stop()


# -- documents, diagnostics, lenses -----------------------------------------------------------

def test_documents_full_sync_and_uris(tmp_path):
    path = tmp_path / "a b.py"
    uri = path_to_uri(path)
    assert uri_to_path(uri) == path and "%20" in uri
    docs = Documents()
    docs.open(uri, "x", 1, "python")
    docs.change(uri, 2, [{"text": "y"}, {"range": {}, "text": "ignored"}])
    assert docs.get(uri).text == "y" and docs.find_path(path).version == 2
    docs.close(uri)
    assert docs.get(uri) is None


def test_to_lsp_lines_and_severity():
    text = "a\n    bad()\nc"
    d = to_lsp({"line": 2, "message": "m", "rule": "r", "severity": "warning"}, text)
    assert d["range"] == {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 9}}
    assert (d["severity"], d["source"], d["code"]) == (2, "tritonize", "r")
    whole = to_lsp({"line": 0, "message": "m", "severity": "info"}, text)
    assert whole["range"]["start"]["line"] == 0 and whole["severity"] == 3
    assert to_lsp({"line": 99, "message": "m"}, text)["range"]["start"]["line"] == 2  # clamped
    assert to_lsp({"line": 5, "message": "m"}, None)["range"]["start"]["line"] == 4
    exact = to_lsp({"line": 2, "col": 4, "end_line": 2, "end_col": 7, "message": "m"}, text)
    assert exact["range"] == {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 7}}


def test_static_diagnostics_only_for_triton_files_and_never_raise():
    calls = []

    def checker(text):
        calls.append(text)
        return [{"line": 1, "message": "w", "rule": "x", "severity": "warning"}]

    assert static_diagnostics("print(1)\n", checker) == [] and calls == []
    assert len(static_diagnostics("@triton.jit\ndef k(): pass\n", checker)) == 1

    def broken(text):
        raise RuntimeError("bug")

    assert static_diagnostics("@triton.jit\ndef k(\n", broken) == []


def test_diagnostic_layers():
    published = []
    store = DiagnosticStore(lambda uri, diags: published.append((uri, [d["message"] for d in diags])))
    s = to_lsp({"line": 1, "message": "static"}, None)
    v = to_lsp({"line": 1, "message": "verdict"}, None)
    store.set_static("u", [s])
    store.set_verdict("u", [v])
    assert published[-1] == ("u", ["static", "verdict"])
    store.set_verdict("u", [v, to_lsp({"line": 1, "message": "static"}, None)])  # report repeats a static one
    assert published[-1] == ("u", ["static", "verdict"])
    store.text_changed("u", [s])  # edited: the verdict's line numbers are stale
    assert published[-1] == ("u", ["static"])


def test_lenses_and_result_titles():
    text = "import triton\n\n@triton.jit\ndef k(x):\n    pass\n\nclass ModelNew(nn.Module):\n    pass\n"
    out = codelens.lenses("file:///c.py", text, None)
    assert [(lens["range"]["start"]["line"], lens["command"]["title"]) for lens in out] == [
        (2, "Verify"), (2, "Benchmark"), (6, "Verify"), (6, "Benchmark")]
    correct = {"verdict": "correct", "timings": {"meaningful": True, "speedup_vs_inductor": 1.8412,
                                                "speedup_vs_eager": 2.5}}
    assert codelens.result_title(correct) == "correct · 1.84x vs Inductor"
    assert codelens.result_title({"verdict": "correct", "timings": {"speedup_vs_eager": 2.0, "meaningful": False}}) \
        == "correct · 2.00x vs eager (interpreter)"
    incorrect = {"verdict": "incorrect", "correctness": {"trials": [{"outputs": [
        {"ok": True, "max_abs_err": 9.0}, {"ok": False, "max_abs_err": 0.32}]}]}}
    assert codelens.result_title(incorrect) == "incorrect · max abs err 3.2e-01"
    assert codelens.result_title({"verdict": "runtime_error", "summary": "boom"}) == "runtime error · boom"
    stale = codelens.lenses("file:///c.py", text, incorrect, stale=True)
    assert stale[2]["command"]["title"].endswith("(edited since)") and stale[2]["command"]["command"] == ""


# -- baselines --------------------------------------------------------------------------------

def test_baseline_cache_drops_old_content(tmp_path):
    cache = BaselineCache()
    problem = tmp_path / "p.py"
    cache.note_content(problem, "sha1")
    key = BaselineKey("sha1", "cuda", "2.13", "3.8")
    cache.put(key, {"eager": {"median_ms": 1.0}})
    assert cache.get(key) is not None
    assert cache.get(BaselineKey("sha1", "cuda", "2.14", "3.8")) is None  # other torch: not reused
    cache.note_content(problem, "sha2")
    assert cache.get(key) is None and len(cache) == 0


def test_baseline_from_report():
    stat = {"median_ms": 1.0}
    assert baseline_from_report({"timings": {"eager": stat, "inductor": None}}) == {"eager": stat, "inductor": None, "clock": None}
    assert baseline_from_report({"timings": {"eager": stat, "inductor": stat, "clock": "kernel"}})["clock"] == "kernel"
    assert baseline_from_report({"verdict": "incorrect"}) is None


def test_encode_message_is_framed_utf8():
    data = encode_message({"a": "é"})
    header, body = data.split(b"\r\n\r\n")
    assert int(header.split(b":")[1]) == len(body) and json.loads(body) == {"a": "é"}


# -- devices ----------------------------------------------------------------------------------

def _backend(n_gpus: int) -> backend.Backend:
    b = backend.Backend()
    b._cuda_count = n_gpus
    return b


def test_device_resolution(monkeypatch):
    first = lambda queues: queues[-1]  # noqa: E731 - stands in for "least loaded"
    cpu = _backend(0)
    assert cpu.devices() == ["cpu"] and cpu.resolve(None, first) == "cpu" and cpu.resolve("auto", first) == "cpu"
    for bad in ("cuda", "tpu"):
        with pytest.raises(ValueError):
            cpu.resolve(bad, first)
    one = _backend(1)
    assert one.resolve(None, first) == "cuda" and one.resolve("cuda:0", first) == "cuda"
    with pytest.raises(ValueError):
        one.resolve("cuda:1", first)
    many = _backend(3)
    assert many.devices() == ["cuda:0", "cuda:1", "cuda:2"]
    assert many.resolve("cuda", first) == "cuda:2" and many.resolve("cuda:1", first) == "cuda:1"
    assert many.verify_device("cuda:1") == "cuda" and many.verify_device("cpu") == "cpu"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,6")
    assert backend.physical_gpu(1) == "6"


def test_pools_pin_one_gpu_each(monkeypatch):
    import tritonize.judge.pool as pool_module

    made = []

    class FakePool:
        def __init__(self, device, size=2, python=None, env=None):
            made.append((device, size, env))

        def close(self):
            pass

    monkeypatch.setattr(pool_module, "WorkerPool", FakePool)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    b = _backend(2)
    b.pool_size = 0  # no warm pool asked for, but a pinned GPU still needs pinned workers
    assert b.pool("cuda:1") is b.pool("cuda:1")
    assert made == [("cuda", 1, {"CUDA_VISIBLE_DEVICES": "1"})]
    assert b.pool("cpu") is None


def test_reference_cache_keeps_only_recent_problems(tmp_path, monkeypatch):
    b = _backend(0)
    b.MAX_PROBLEMS = 2
    dropped = []
    monkeypatch.setattr(b, "_drop_references", lambda keys: dropped.extend(sorted(keys)))
    for name in ("p1", "p2", "p1", "p3"):  # p1 used again: p2 is the least recent
        b.reference_cache.setdefault(f"key-{name}", object())
        b.record_reference_keys(tmp_path / f"{name}.py", {f"key-{name}"})
    assert dropped == ["key-p2"]
