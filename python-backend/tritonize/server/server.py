"""The Tritonize language server: LSP lifecycle, documents, code lenses and `tritonize/*` requests.

Threads: the protocol thread reads stdin and handles every message quickly; verification and
problem validation run on one job thread per device (`jobs.py`); `tritonize/environment` runs on
its own short-lived thread. Anything a candidate does happens in worker processes whose stdout
is a log file, and fd 1 of this process is stderr (see `claim_stdio`), so only `MessageWriter`
can write to the protocol channel.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .. import __version__
from . import codelens
from .backend import Backend, MissingDependency, check_dependencies, kill_workers
from .diagnostics import DiagnosticStore, LspDiagnostic, load_static_checker, static_diagnostics, to_lsp
from .dispatch import (
    DEFERRED, INTERNAL_ERROR, INVALID_REQUEST, REQUEST_CANCELLED, REQUEST_FAILED, SERVER_NOT_INITIALIZED,
    Dispatcher, RequestContext, RpcError, invalid_params,
)
from .documents import Documents, path_to_uri, uri_to_path
from .extract_requests import apply_request, extract_request
from .jobs import DeviceQueue, Job, JobQueues
from .jsonrpc import MessageWriter, ParseError, StreamClosed, read_message

log = logging.getLogger("tritonize.server")

DEFAULT_TIMEOUT_S = 120.0


@dataclass
class VerifyParams:
    problem: Path
    candidate: Path
    device: str | None
    timeout: float
    benchmark: bool
    options: dict[str, Any]
    token: str | int | None

    @classmethod
    def parse(cls, params: Any) -> VerifyParams:
        if not isinstance(params, dict):
            raise invalid_params("params must be an object")
        problem = _path_param(params, "problemPath")
        candidate = _path_param(params, "candidatePath")
        options = params.get("options") or {}
        if not isinstance(options, dict):
            raise invalid_params("options must be an object")
        return cls(problem, candidate, _device_param(params), _timeout_param(params),
                   bool(params.get("benchmark", False)), options, _token_param(params))


def _path_param(params: dict[str, Any], name: str) -> Path:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_params(f"{name} must be a non-empty string")
    path = uri_to_path(value) if value.startswith("file:") else Path(value)
    if path is None or not path.is_file():
        raise invalid_params(f"{name}: no such file {value}")
    return path.resolve()


def _device_param(params: dict[str, Any]) -> str | None:
    device = params.get("device")
    if device is not None and not isinstance(device, str):
        raise invalid_params("device must be a string")
    return device


def _timeout_param(params: dict[str, Any]) -> float:
    timeout = params.get("timeout", DEFAULT_TIMEOUT_S)
    if timeout is None:
        return DEFAULT_TIMEOUT_S
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise invalid_params("timeout must be a positive number of seconds")
    return float(timeout)


def _token_param(params: dict[str, Any]) -> str | int | None:
    token = params.get("workDoneToken")
    return token if isinstance(token, (str, int)) and not isinstance(token, bool) else None


class Progress:
    """`$/progress` for one work-done token; silent when the client gave none."""

    def __init__(self, dispatcher: Dispatcher, token: str | int | None, title: str):
        self._d, self.token, self.title = dispatcher, token, title
        self._ended = False
        self._lock = threading.Lock()

    def _send(self, value: dict[str, Any]) -> None:
        if self.token is not None:
            self._d.notify("$/progress", {"token": self.token, "value": value})

    def begin(self, message: str) -> None:
        self._send({"kind": "begin", "title": self.title, "cancellable": True, "message": message})

    def report(self, stage: str) -> None:
        with self._lock:
            if not self._ended:
                self._send({"kind": "report", "message": stage})

    def end(self, message: str) -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
        self._send({"kind": "end", "message": message})


class Server:
    def __init__(self, reader: BinaryIO, writer: BinaryIO, *, pool_size: int | None = None):
        self.reader = reader
        self.writer = MessageWriter(writer)
        self.d = Dispatcher(self.writer)
        self.d.gate = self._gate
        self.docs = Documents()
        self.diags = DiagnosticStore(self._publish)
        self.static_checker = load_static_checker()
        self.jobs = JobQueues()
        self._resolver = DeviceQueue("resolver")
        self.backend = Backend(pool_size=2 if pool_size is None else pool_size)
        self.initialized = False
        self.shutdown_requested = False
        self.client_caps: dict[str, Any] = {}
        self.roots: list[Path] = []
        # candidate path -> (last report, candidate text it was run on)
        self.results: dict[str, tuple[dict[str, Any], str]] = {}
        self._results_lock = threading.Lock()
        self._register()

    # -- lifecycle ----------------------------------------------------------------------------
    def serve(self) -> int:
        """Reads until `exit` or EOF; returns the process exit code."""
        while True:
            try:
                message = read_message(self.reader)
            except ParseError as exc:
                self.d.parse_error(str(exc))
                continue
            except StreamClosed as exc:
                log.info("input closed (%s)", exc)
                break
            if message.get("method") == "exit":
                break
            self.d.handle(message)
        return 0 if self.shutdown_requested else 1

    def close(self) -> None:
        self.d.cancel_all()
        # Cancelled jobs kill their workers within ~0.1 s (tracked ones already died above);
        # a bounded wait covers workers the verifier started outside our pools.
        if not self.jobs.wait_idle(3.0):
            log.warning("jobs still running at exit; their workers may outlive the server")
        self.jobs.stop()
        self._resolver.stop()
        self.backend.close()

    def _gate(self, method: str) -> RpcError | None:
        if method == "initialize":
            return RpcError(INVALID_REQUEST, "already initialized") if self.initialized else None
        if not self.initialized:
            return RpcError(SERVER_NOT_INITIALIZED, "server not initialized")
        if self.shutdown_requested:
            return RpcError(INVALID_REQUEST, "server is shutting down")
        return None

    def _register(self) -> None:
        d = self.d
        d.request("initialize")(self.initialize)
        d.request("shutdown")(self.shutdown)
        d.notification("initialized")(self.on_initialized)
        d.notification("textDocument/didOpen")(self.did_open)
        d.notification("textDocument/didChange")(self.did_change)
        d.notification("textDocument/didClose")(self.did_close)
        d.notification("textDocument/didSave")(self.did_save)
        d.request("textDocument/codeLens")(self.code_lens)
        d.request("tritonize/environment")(self.environment)
        d.request("tritonize/validateProblem", cancellable=True)(self.validate_problem)
        d.request("tritonize/verify", cancellable=True)(self.verify)
        d.request("tritonize/extract", cancellable=True)(
            lambda params, ctx: extract_request(params, ctx, self._buffer_text))
        d.request("tritonize/apply", cancellable=True)(
            lambda params, ctx: apply_request(params, ctx, self._buffer_text))

    def initialize(self, params: Any, ctx: RequestContext) -> dict[str, Any]:
        params = params if isinstance(params, dict) else {}
        self.client_caps = params.get("capabilities") or {}
        self.roots = _workspace_roots(params)
        opts = params.get("initializationOptions") or {}
        if isinstance(opts, dict) and isinstance(opts.get("poolSize"), int) and opts["poolSize"] >= 0:
            self.backend.pool_size = opts["poolSize"]
        self.initialized = True
        return {
            "capabilities": {
                "textDocumentSync": {"openClose": True, "change": 1, "save": {"includeText": False}},
                "codeLensProvider": {"resolveProvider": False},
                # No executeCommandProvider: the extension registers tritonize.* commands itself, and
                # vscode-languageclient would register the same ids again (a conflict).
            },
            "serverInfo": {"name": "tritonize", "version": __version__},
        }

    def on_initialized(self, params: Any) -> None:
        threading.Thread(target=self.backend.warm_up, name="warm-up", daemon=True).start()

    def shutdown(self, params: Any, ctx: RequestContext) -> None:
        self.shutdown_requested = True
        self.d.cancel_all()
        return None

    # -- documents ----------------------------------------------------------------------------
    def did_open(self, params: Any) -> None:
        td = params["textDocument"]
        doc = self.docs.open(td["uri"], td.get("text", ""), td.get("version", 0), td.get("languageId", "python"))
        self.diags.set_static(doc.uri, static_diagnostics(doc.text, self.static_checker))

    def did_change(self, params: Any) -> None:
        td = params["textDocument"]
        doc = self.docs.change(td["uri"], td.get("version", 0), params.get("contentChanges") or [])
        if doc is not None:
            self.diags.text_changed(doc.uri, static_diagnostics(doc.text, self.static_checker))

    def did_close(self, params: Any) -> None:
        uri = params["textDocument"]["uri"]
        self.docs.close(uri)
        self.diags.closed(uri)

    def did_save(self, params: Any) -> None:
        # A saved problem file invalidates its cached reference now rather than at the next verify.
        path = uri_to_path(params["textDocument"]["uri"])
        if path is not None and str(path.resolve()) in self.backend.known_problems():
            threading.Thread(target=self._renote_problem, args=(path,), daemon=True).start()

    def _renote_problem(self, path: Path) -> None:
        try:
            self.backend.note_problem(path)
        except Exception as exc:
            log.warning("re-hashing %s: %s", path, exc)

    def code_lens(self, params: Any, ctx: RequestContext) -> list[codelens.CodeLens]:
        uri = params["textDocument"]["uri"]
        doc = self.docs.get(uri)
        if doc is None:
            return []
        report, stale = None, False
        path = uri_to_path(uri)
        if path is not None:
            with self._results_lock:
                entry = self.results.get(str(path.resolve()))
            if entry is not None:
                report, stale = entry[0], entry[1] != doc.text
        return codelens.lenses(uri, doc.text, report, stale)

    def _publish(self, uri: str, diags: list[LspDiagnostic]) -> None:
        self.d.notify("textDocument/publishDiagnostics", {"uri": uri, "diagnostics": diags})

    # -- tritonize/environment ----------------------------------------------------------------
    def environment(self, params: Any, ctx: RequestContext) -> Any:
        threading.Thread(target=self._environment_job, args=(ctx,), name="environment", daemon=True).start()
        return DEFERRED

    def _environment_job(self, ctx: RequestContext) -> None:
        try:
            info = self._environment()
        except Exception as exc:
            log.error("environment failed:\n%s", traceback.format_exc())
            ctx.fail(INTERNAL_ERROR, f"environment check failed: {type(exc).__name__}: {exc}")
            return
        ctx.respond(info)

    def _environment(self) -> dict[str, Any]:
        info: dict[str, Any] = {"python": sys.version.split()[0], "python_executable": sys.executable,
                                "tritonize": __version__, "torch": None, "triton": None, "devices": [],
                                "interpreter": True, "problems": _find_problems(self.roots), "error": None}
        try:
            check_dependencies()
        except MissingDependency as exc:
            # An answer, not an RPC error: the extension shows `error` as the fix to apply.
            info.update(error=exc.message, missing=exc.missing)
            for name in ("torch", "triton"):
                if name not in exc.missing:
                    info[name] = __import__(name).__version__
            return info
        from tritonize.env import environment

        problems = info["problems"]
        info.update(environment())
        info["problems"] = info.get("problems") or problems
        info["missing"] = []
        return info

    # -- tritonize/validateProblem ------------------------------------------------------------
    def validate_problem(self, params: Any, ctx: RequestContext) -> Any:
        if not isinstance(params, dict):
            raise invalid_params("params must be an object")
        problem = _path_param(params, "problemPath")
        timeout = _timeout_param(params)

        def job(device: str) -> Job:
            def run() -> None:
                self._tracked(ctx, device, lambda pool: self._validate(problem, device, timeout, pool))
            return Job(f"validate {problem.name}", run, ctx.cancel)

        self._enqueue(ctx, _device_param(params), job)
        return DEFERRED

    def _validate(self, problem: Path, device: str, timeout: float, pool: Any) -> dict[str, Any]:
        from tritonize.judge.run import validate_problem

        return validate_problem(problem, device=self.backend.verify_device(device), timeout=timeout, pool=pool)

    # -- tritonize/verify ---------------------------------------------------------------------
    def verify(self, params: Any, ctx: RequestContext) -> Any:
        req = VerifyParams.parse(params)
        progress = Progress(self.d, req.token, f"Tritonize: {'benchmark' if req.benchmark else 'verify'} "
                                                f"{req.candidate.name}")
        progress.begin("starting")
        ctx.on_cancel.append(lambda: progress.end("cancelled"))

        def job(device: str) -> Job:
            if self.jobs.for_device(device).load:
                progress.report("queued")  # another job holds this device: say why nothing moves
            def run() -> None:
                self._tracked(ctx, device, lambda pool: self._verify(req, device, pool, progress.report, ctx.cancel),
                              progress=progress)
            return Job(f"verify {req.candidate.name}", run, ctx.cancel)

        self._enqueue(ctx, req.device, job, progress)
        return DEFERRED

    def _enqueue(self, ctx: RequestContext, requested: str | None, make_job: Any,
                 progress: Progress | None = None) -> None:
        """Resolves the device off the protocol thread (the first resolution imports torch, which
        takes seconds; cancels must still be read meanwhile), then queues the job there."""
        def resolve_and_submit() -> None:
            try:
                device = self._resolve_device(requested)
            except RpcError as exc:
                if progress:
                    progress.end("failed")
                ctx.fail(exc.code, exc.message, exc.data)
                return
            except Exception as exc:
                log.error("resolving device:\n%s", traceback.format_exc())
                ctx.fail(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
                return
            self.jobs.for_device(device).submit(make_job(device))

        # One FIFO thread, not one thread per request: jobs reach their device queue in request order.
        self._resolver.submit(Job("resolve device", resolve_and_submit, threading.Event()))

    def _verify(self, req: VerifyParams, device: str, pool: Any, on_stage: Any,
                cancel: threading.Event) -> dict[str, Any]:
        from tritonize.judge import run

        sha = self.backend.note_problem(req.problem)
        candidate_text = req.candidate.read_text(errors="replace")
        options = dict(req.options)
        options["reference_cache"] = self.backend.reference_cache
        baseline_key = cached = None
        if req.benchmark:
            baseline_key = self.backend.baseline_key(sha, device)
            cached = self.backend.baselines.get(baseline_key)
            if cached is not None:
                options["baseline"] = cached  # eager/Inductor timings measured for an earlier candidate
        self.backend.reference_cache.begin(self.backend.gpu_model(device), cancel)
        try:
            report = run.verify(req.problem, req.candidate, device=self.backend.verify_device(device),
                                timeout=req.timeout, benchmark=req.benchmark, options=options, on_stage=on_stage,
                                cancel=cancel, pool=pool)
        except run.ProblemError as exc:
            # Not a verdict on the candidate: the problem file is broken. Show it there, unless the
            # user cancelled meanwhile (a reference killed by the cancel says nothing of the file).
            if cancel.is_set():
                raise
            uri = self._uri_for(req.problem)
            diag = {"line": exc.line, "message": exc.message, "rule": "problem_error", "severity": "error"}
            self.diags.set_verdict(uri, [to_lsp(diag, self._text_of(uri, req.problem))])
            raise
        finally:
            used = self.backend.reference_cache.end()  # a failed reference must not block the other GPU
        self.backend.record_reference_keys(req.problem, used)
        report = run.strip_private(report)
        if baseline_key is not None and cached is None:
            self.backend.remember_baseline(baseline_key, report)
        if cancel.is_set():
            # A cancelled verification is no verdict: the worker was killed by us, and publishing
            # its "runtime_error: worker died" would blame a kernel that may well be correct.
            return report
        self._after_verdict(req, report, candidate_text)
        return report

    def _after_verdict(self, req: VerifyParams, report: dict[str, Any], candidate_text: str) -> None:
        with self._results_lock:
            self.results[str(req.candidate)] = (report, candidate_text)
        by_file: dict[str, list[dict[str, Any]]] = {"candidate": [], "problem": []}
        for diag in report.get("diagnostics") or []:
            if isinstance(diag, dict):
                by_file.setdefault(str(diag.get("file", "candidate")), []).append(diag)
        for which, path in (("candidate", req.candidate), ("problem", req.problem)):
            uri = self._uri_for(path)
            text = self._text_of(uri, path)
            self.diags.set_verdict(uri, [to_lsp(d, text) for d in by_file.get(which, [])])
        if (self.client_caps.get("workspace") or {}).get("codeLens", {}).get("refreshSupport"):
            self.d.send_request("workspace/codeLens/refresh")

    def _uri_for(self, path: Path) -> str:
        doc = self.docs.find_path(path)
        return doc.uri if doc is not None else path_to_uri(path)  # keep the client's own spelling

    def _buffer_text(self, path: Path) -> str | None:
        return self._text_of(self._uri_for(path), path)

    def _text_of(self, uri: str, path: Path) -> str | None:
        doc = self.docs.get(uri)
        if doc is not None:
            return doc.text
        try:
            return path.read_text(errors="replace")
        except OSError:
            return None

    # -- job plumbing -------------------------------------------------------------------------
    def _resolve_device(self, requested: str | None) -> str:
        try:
            check_dependencies()
            return self.backend.resolve(requested, self.jobs.least_loaded)
        except MissingDependency as exc:
            raise RpcError(REQUEST_FAILED, exc.message, exc.as_data()) from None
        except ValueError as exc:
            raise invalid_params(str(exc)) from None

    def _tracked(self, ctx: RequestContext, device: str, body: Any, progress: Progress | None = None) -> Any:
        """Runs `body(pool)` on a job thread: workers it acquires die with a cancel, and every
        outcome becomes exactly one answer."""
        from tritonize.judge.run import Cancelled, ProblemError

        pool = self.backend.pool(device)
        held = pool.track(ctx.cancel) if pool is not None else []
        ctx.on_cancel.append(lambda: kill_workers(held))
        try:
            if ctx.cancel.is_set():
                return None
            result = body(pool)
        except Cancelled:
            if progress:
                progress.end("cancelled")
            ctx.fail(REQUEST_CANCELLED, "request cancelled")
            return None
        except ProblemError as exc:
            if progress:
                progress.end("problem error")
            ctx.fail(REQUEST_FAILED, f"problem: {exc.message}", {"kind": "problem", "line": exc.line})
            return None
        except Exception as exc:
            if ctx.cancel.is_set():
                return None  # a cancel kill surfaces as some error; already answered -32800
            log.error("%s failed:\n%s", ctx.method, traceback.format_exc())
            if progress:
                progress.end("internal error")
            ctx.fail(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
            return None
        finally:
            if pool is not None:
                pool.untrack()
        if ctx.cancel.is_set():
            return None  # answered -32800 already; the late result is dropped
        if progress:
            progress.end(result.get("verdict", "done") if isinstance(result, dict) else "done")
        ctx.respond(result)
        return result


def _workspace_roots(params: dict[str, Any]) -> list[Path]:
    roots = []
    for folder in params.get("workspaceFolders") or []:
        if isinstance(folder, dict) and isinstance(folder.get("uri"), str):
            roots.append(uri_to_path(folder["uri"]))
    if not roots and isinstance(params.get("rootUri"), str):
        roots.append(uri_to_path(params["rootUri"]))
    return [r for r in roots if r is not None]


_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "dist", "build", "out"}


def _find_problems(roots: list[Path], limit: int = 200, max_files: int = 5000) -> list[str]:
    """KernelBench-style problem files in the workspace (`class Model` + `get_inputs`)."""
    found: list[str] = []
    seen = 0
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
            if len(Path(dirpath).relative_to(root).parts) >= 4:
                dirnames[:] = []
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                seen += 1
                if seen > max_files or len(found) >= limit:
                    return found
                path = Path(dirpath, name)
                try:
                    text = path.read_text(errors="replace")[:200_000]
                except OSError:
                    continue
                if "def get_inputs" in text and "class Model(" in text and "class ModelNew" not in text:
                    found.append(str(path))
    return found


def claim_stdio() -> tuple[BinaryIO, BinaryIO]:
    """Takes private copies of stdin/stdout for the protocol and points fds 0/1 elsewhere.

    After this, `print`, C-level writes to fd 1 and every child process (which inherits fds 0-2)
    write to stderr and read /dev/null: nothing but MessageWriter reaches the client. The private
    copies are non-inheritable (os.dup's default), so no child receives the protocol channel.
    """
    sys.stdout.flush()
    in_fd, out_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    return os.fdopen(in_fd, "rb"), os.fdopen(out_fd, "wb")


class _Terminated(BaseException):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def main(argv: list[str] | None = None) -> int:
    reader, writer = claim_stdio()
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("TRITONIZE_LOG", "INFO").upper(),
                        format="[tritonize-server] %(levelname)s %(message)s")
    server = Server(reader, writer)
    code = 1
    # SIGTERM/SIGHUP (editor gone, `kill`): end like `exit` so running workers die with us instead
    # of spinning on as orphans in their own sessions.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_terminated)
    try:
        code = server.serve()
    except _Terminated as exc:
        log.info("terminated by signal %d", exc.signum)
        code = 128 + exc.signum
    finally:
        try:
            server.close()
        except Exception:
            log.error("shutdown: %s", traceback.format_exc())
        sys.stderr.flush()
    # Job threads may sit in a worker wait; the LSP exit must not wait for them.
    os._exit(code)
