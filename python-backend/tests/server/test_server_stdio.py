"""End to end: `python -m tritonize.server` over real pipes, CPU + Triton interpreter.

One server is shared by the module (a warm pool is the point of the server); tests that end the
server or change its interpreter start their own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from .lsp_client import LspClient

FIX = Path(__file__).resolve().parent / "fixtures"
PROBLEM = FIX / "problem_add.py"


def cand(name: str) -> Path:
    return FIX / f"cand_{name}.py"


def verify_params(candidate: Path, **extra):
    # One random trial plus heavy-tailed, no shape variation: keeps the interpreter runs CI-fast.
    return {"problemPath": str(PROBLEM), "candidatePath": str(candidate), "device": "cpu", "timeout": 60,
            "benchmark": False, "options": {"random_trials": 1, "shape_variation": False}, **extra}


@pytest.fixture(scope="module")
def server():
    client = LspClient()
    init = client.initialize(FIX)
    assert "result" in init, init
    yield client
    client.close()


def open_doc(client: LspClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": path.read_text() if text is None else text}})
    return uri


def diagnostics_for(client: LspClient, uri: str, after: int, pred=lambda d: True, timeout: float = 20.0):
    """The first publishDiagnostics for `uri` among notifications[after:] whose list satisfies pred."""
    msg = client.wait_notification(
        lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
        and client.notifications.index(m) >= after and pred(m["params"]["diagnostics"]), timeout)
    return msg["params"]["diagnostics"]


def test_initialize_capabilities(server):
    caps = server.responses[1]["result"]["capabilities"]
    assert caps["textDocumentSync"]["change"] == 1
    assert caps["codeLensProvider"] is not None
    assert "executeCommandProvider" not in caps  # the extension registers tritonize.* itself


def test_environment(server):
    resp = server.request("tritonize/environment", {}, timeout=60)
    env = resp["result"]
    assert env["torch"] and env["triton"] and env["python"]
    import torch

    if torch.cuda.is_available():  # the GPU machine: the real device is reported
        assert env["interpreter"] is False and env["devices"] and env["devices"][0]["name"]
    else:
        assert env["interpreter"] is True and env["devices"] == []
    assert env["error"] is None
    assert str(PROBLEM) in env["problems"]  # workspace scan finds KernelBench-style problems


def test_static_diagnostics_on_open_and_change(server):
    path = FIX / "unsaved_kernel.py"  # never written: diagnostics come from the editor's text
    text = cand("add").read_text().replace("a = tl.load(a_ptr + offs, mask=mask)", "a = tl.load(a_ptr + offs)")
    n = len(server.notifications)
    uri = open_doc(server, path, text)
    diags = diagnostics_for(server, uri, n, lambda ds: len(ds) > 0)
    unmasked = [d for d in diags if d.get("code") == "unmasked_access"]
    assert unmasked, diags
    assert unmasked[0]["source"] == "tritonize" and unmasked[0]["severity"] == 2
    line = text.splitlines().index("    a = tl.load(a_ptr + offs)")
    assert unmasked[0]["range"]["start"]["line"] == line  # 0-based
    # Fixing the text clears the warning.
    n = len(server.notifications)
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": cand("add").read_text()}]})
    diags = diagnostics_for(server, uri, n)
    assert not [d for d in diags if d.get("code") == "unmasked_access"]
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def test_verify_correct_with_progress_and_lenses(server):
    uri = open_doc(server, cand("add"))
    lenses = server.request("textDocument/codeLens", {"textDocument": {"uri": uri}})["result"]
    titles = [lens["command"]["title"] for lens in lenses]
    lines = sorted({lens["range"]["start"]["line"] for lens in lenses})
    text = cand("add").read_text().splitlines()
    assert lines == [text.index("@triton.jit"), text.index("class ModelNew(nn.Module):")]
    assert titles.count("Verify") == 2 and titles.count("Benchmark") == 2
    verify_lens = next(lens for lens in lenses if lens["command"]["title"] == "Verify")
    assert verify_lens["command"] == {"title": "Verify", "command": "tritonize.verifyCandidate", "arguments": [uri]}

    resp = server.request("tritonize/verify", verify_params(cand("add"), workDoneToken="tok-1"), timeout=90)
    report = resp["result"]
    assert report["verdict"] == "correct", report
    assert report["schema"] == 1 and report["device"]["interpreter"] is True
    progress = [m["params"]["value"] for m in server.notifications
                if m.get("method") == "$/progress" and m["params"]["token"] == "tok-1"]
    kinds = [p["kind"] for p in progress]
    assert kinds[0] == "begin" and kinds[-1] == "end" and progress[-1]["message"] == "correct"
    stages = [p["message"] for p in progress if p["kind"] == "report"]
    assert "compiling" in stages and "checking" in stages and stages[-1] == "done"

    lenses = server.request("textDocument/codeLens", {"textDocument": {"uri": uri}})["result"]
    assert [lens["command"]["title"] for lens in lenses].count("correct") == 2  # one per anchor
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 7},
                                             "contentChanges": [{"text": cand("add").read_text() + "\n# edit\n"}]})
    titles = [lens["command"]["title"] for lens in
              server.request("textDocument/codeLens", {"textDocument": {"uri": uri}})["result"]]
    assert "correct (edited since)" in titles


def test_incorrect_verdict_publishes_diagnostics(server):
    uri = open_doc(server, cand("wrong"))
    n = len(server.notifications)
    report = server.request("tritonize/verify", verify_params(cand("wrong")), timeout=90)["result"]
    assert report["verdict"] == "incorrect"
    diags = diagnostics_for(server, uri, n, lambda ds: any(d.get("code") == "mismatch" for d in ds), timeout=5)
    mismatch = next(d for d in diags if d.get("code") == "mismatch")
    assert mismatch["severity"] == 1 and mismatch["source"] == "tritonize"
    expected = next(d for d in report["diagnostics"] if d["rule"] == "mismatch")["line"] - 1
    assert mismatch["range"]["start"]["line"] == expected
    lenses = server.request("textDocument/codeLens", {"textDocument": {"uri": uri}})["result"]
    assert any(lens["command"]["title"].startswith("incorrect · max abs err ") for lens in lenses)


def test_edited_problem_is_not_served_from_cache(server, tmp_path):
    problem = tmp_path / "problem.py"
    problem.write_text(PROBLEM.read_text())
    params = {**verify_params(cand("add")), "problemPath": str(problem)}
    assert server.request("tritonize/verify", params, timeout=90)["result"]["verdict"] == "correct"
    problem.write_text(PROBLEM.read_text().replace("return a + b", "return a * b"))
    server.notify("textDocument/didSave", {"textDocument": {"uri": problem.as_uri()}})
    assert server.request("tritonize/verify", params, timeout=90)["result"]["verdict"] == "incorrect"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _hanging_worker(server_pid: int, timeout: float = 30.0) -> int:
    """The worker running cand_hang: it prints its pid into its log (the worker's stdout file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _descendants(server_pid):
            try:
                log = Path(os.readlink(f"/proc/{pid}/fd/1")).read_text(errors="replace")
            except OSError:
                continue
            if f"tritonize-test-hang {pid}" in log:
                return pid
        time.sleep(0.1)
    raise AssertionError("the hanging candidate never started")


def test_cancel_hanging_candidate(server):
    req = server.request_async("tritonize/verify", verify_params(cand("hang"), workDoneToken="tok-hang"))
    worker = _hanging_worker(server.proc.pid)
    time.sleep(0.5)
    assert _alive(worker) and server.proc.pid not in (worker,)

    t0 = time.monotonic()
    server.notify("$/cancelRequest", {"id": req})
    resp = server.wait_response(req, timeout=5)
    assert resp["error"]["code"] == -32800
    while _alive(worker) and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    assert not _alive(worker), "the worker running the candidate survived the cancel"
    end = server.wait_notification(lambda m: m.get("method") == "$/progress" and m["params"]["token"] == "tok-hang"
                                   and m["params"]["value"]["kind"] == "end", timeout=2)
    assert end["params"]["value"]["message"] == "cancelled"
    # No answer for the cancelled request comes after the -32800 (answers are once-only).
    report = server.request("tritonize/verify", verify_params(cand("add")), timeout=90)["result"]
    assert report["verdict"] == "correct"
    assert [m["error"]["code"] for m in server.all_responses if m.get("id") == req] == [-32800]


@pytest.mark.parametrize("name,needle", [("exit", "exited with code 0"), ("segv", "SIGSEGV")])
def test_crashing_candidate_is_runtime_error(server, name, needle):
    report = server.request("tritonize/verify", verify_params(cand(name)), timeout=90)["result"]
    if name == "segv" and report["verdict"] == "rejected":
        # The audit guard refuses the candidate's ctypes call before it can crash (docs/verdicts.md).
        assert "ctypes" in report["summary"], report
    else:
        assert report["verdict"] == "runtime_error", report
        assert needle in report["summary"]
    assert server.proc.poll() is None
    assert server.request("textDocument/codeLens", {"textDocument": {"uri": "file:///nowhere.py"}})["result"] == []


def test_bad_requests_get_errors(server):
    assert server.request("tritonize/verify", {"problemPath": str(PROBLEM)})["error"]["code"] == -32602
    bad_device = verify_params(cand("add"), device="tpu")
    assert server.request("tritonize/verify", bad_device)["error"]["code"] == -32602
    assert server.request("tritonize/nope", {})["error"]["code"] == -32601
    # Malformed JSON in a well-framed message: -32700 with a null id, and the server carries on.
    server.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    deadline = time.monotonic() + 5
    while None not in server.responses and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.responses[None]["error"]["code"] == -32700
    server.responses.pop(None)
    server.send_raw(b"X-Junk: 1\r\n\r\n")  # a header block without Content-Length
    deadline = time.monotonic() + 5
    while None not in server.responses and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.responses[None]["error"]["code"] == -32700
    server.send({"id": 999, "method": 42})
    assert server.wait_response(999)["error"]["code"] == -32600
    assert server.request("textDocument/codeLens", {"textDocument": {"uri": "file:///x.py"}})["result"] == []


def test_broken_problem_is_a_request_error_with_a_diagnostic_on_the_problem(server, tmp_path):
    problem = tmp_path / "broken_problem.py"
    problem.write_text(PROBLEM.read_text().replace("return a + b", "return a.no_such_method()"))
    line = problem.read_text().splitlines().index("        return a.no_such_method()")
    n = len(server.notifications)
    err = server.request("tritonize/verify", {**verify_params(cand("add")), "problemPath": str(problem)},
                         timeout=90)["error"]
    assert err["code"] == -32803 and err["data"] == {"kind": "problem", "line": line + 1}
    assert "no_such_method" in err["message"]
    diags = diagnostics_for(server, problem.as_uri(), n, lambda ds: len(ds) > 0, timeout=5)
    assert diags[0]["range"]["start"]["line"] == line and diags[0]["code"] == "problem_error"


def test_validate_problem(server):
    result = server.request("tritonize/validateProblem", {"problemPath": str(PROBLEM), "device": "cpu"},
                            timeout=60)["result"]
    assert result["ok"] is True, result
    assert result["inputs"][0]["shape"] == [1000]


def test_nothing_but_frames_on_stdout(server):
    # Every test above ran candidates that print, crash and exit; none of it may reach stdout.
    assert server.garbage == []


def test_stray_output_in_the_server_process_goes_to_stderr():
    # A print or a C-level write to fd 1 inside the server (e.g. from a library) must not corrupt
    # the protocol: simulate one in a notification handler.
    code = ("import os; from tritonize.server import server as s; orig = s.Server.did_open\n"
            "def noisy(self, params):\n"
            "    print('stray print'); os.write(1, b'stray fd write\\n'); return orig(self, params)\n"
            "s.Server.did_open = noisy; s.main()")
    client = LspClient(args=["-c", code])
    try:
        client.initialize(poolSize=0)
        open_doc(client, cand("add"))
        assert client.request("textDocument/codeLens", {"textDocument": {"uri": cand("add").as_uri()}})["result"]
        assert client.garbage == []
        deadline = time.monotonic() + 5
        while "stray fd write" not in client.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "stray print" in client.stderr() and "stray fd write" in client.stderr()
        client.request("shutdown")
        client.notify("exit")
        assert client.proc.wait(timeout=10) == 0
    finally:
        client.close()


def test_shutdown_during_a_hanging_verify_exits_zero_and_kills_the_worker(server):
    # Last user of the shared server (it ends it): pytest runs a module's tests in file order.
    req = server.request_async("tritonize/verify", verify_params(cand("hang")))
    worker = _hanging_worker(server.proc.pid, timeout=60)
    assert server.request("shutdown")["result"] is None
    assert server.wait_response(req)["error"]["code"] == -32800
    assert server.request("tritonize/environment")["error"]["code"] == -32600
    server.notify("exit")
    assert server.proc.wait(timeout=10) == 0
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def test_exit_without_shutdown_is_code_one_and_requests_before_initialize_fail():
    client = LspClient()
    try:
        assert client.request("tritonize/environment")["error"]["code"] == -32002
        client.notify("exit")
        assert client.proc.wait(timeout=10) == 1
    finally:
        client.close()


def test_sigterm_ends_the_server_and_its_busy_worker():
    client = LspClient()
    try:
        client.initialize(poolSize=0)
        # A problem whose reference hangs: the quickest way to a busy worker on a cold server.
        client.request_async("tritonize/verify", {**verify_params(cand("add")),
                                                  "problemPath": str(FIX / "problem_hang.py")})
        worker = _hanging_worker(client.proc.pid, timeout=60)
        client.proc.terminate()
        assert client.proc.wait(timeout=10) == 128 + 15
        deadline = time.monotonic() + 5
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        client.close()


def test_environment_without_torch_names_the_fix():
    # sys.modules[name] = None makes `import name` fail, as in an interpreter without torch.
    code = ("import sys; sys.modules['torch'] = None; sys.modules['triton'] = None; "
            "from tritonize.server.server import main; main()")
    client = LspClient(args=["-c", code])
    try:
        client.initialize()
        env = client.request("tritonize/environment", {}, timeout=30)["result"]
        assert env["missing"] == ["torch", "triton"]
        assert "torch" in env["error"] and "pytorch.org" in env["error"] and env["torch"] is None
        err = client.request("tritonize/verify", verify_params(cand("add")))["error"]
        assert err["code"] == -32803 and err["data"]["missing"] == ["torch", "triton"]
        client.request("shutdown")
        client.notify("exit")
        assert client.proc.wait(timeout=10) == 0
    finally:
        client.close()


def test_cancel_while_the_reference_runs_is_not_a_problem_error(tmp_path):
    """A cancel that kills the reference's worker is a cancel, not "the reference crashed: SIGKILL"
    on problem.py in Problems (new-user try-out, session 7). Its own server: the module's one may
    have been shut down by an earlier test."""
    server = LspClient()
    assert "result" in server.initialize(FIX)
    try:
        slow = tmp_path / "problem_slow.py"
        slow.write_text(PROBLEM.read_text().replace("def get_inputs():", "def get_inputs():\n    import time; time.sleep(30)", 1))
        assert "time.sleep(30)" in slow.read_text()
        req = server.request_async("tritonize/verify", {**verify_params(cand("add"), workDoneToken="tok-slow-ref"),
                                                         "problemPath": str(slow)})
        server.wait_notification(lambda m: m.get("method") == "$/progress" and m["params"]["token"] == "tok-slow-ref",
                                 timeout=60)
        time.sleep(3)  # the reference is inside get_inputs now
        server.notify("$/cancelRequest", {"id": req})
        resp = server.wait_response(req, timeout=15)
        assert resp["error"]["code"] == -32800
        time.sleep(1)
        crashed = [m for m in server.notifications if m.get("method") == "textDocument/publishDiagnostics"
                   and any("crashed" in d.get("message", "") for d in m["params"]["diagnostics"])]
        assert not crashed, crashed
    finally:
        server.close()
