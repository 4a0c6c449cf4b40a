"""Request/notification routing, JSON-RPC error codes and the cancellation registry.

A handler gets `(params, ctx)`. It either returns the result (answered at once) or returns
`DEFERRED` after handing `ctx` to a background job, which answers later through
`ctx.respond`/`ctx.fail`. Answers are once-only: `$/cancelRequest` answers -32800 immediately
for a cancellable request, and the job's own late answer is then dropped. That keeps
cancellation prompt even while the job is still tearing its worker down.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from .jsonrpc import MessageWriter

log = logging.getLogger("tritonize.server")

# JSON-RPC 2.0 and LSP error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_CANCELLED = -32800
REQUEST_FAILED = -32803

DEFERRED = object()  # handler will answer later through ctx


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def invalid_params(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, message)


@dataclass
class RequestContext:
    id: int | str
    method: str
    writer: MessageWriter
    cancellable: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    _answered: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _on_done: Callable[[RequestContext], None] | None = None
    # Run on the protocol thread when cancelled (e.g. kill a worker's process group); must be quick.
    on_cancel: list[Callable[[], None]] = field(default_factory=list)

    def respond(self, result: Any) -> bool:
        return self._send({"id": self.id, "result": result})

    def fail(self, code: int, message: str, data: Any = None) -> bool:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        return self._send({"id": self.id, "error": error})

    @property
    def answered(self) -> bool:
        return self._answered

    def _send(self, message: dict[str, Any]) -> bool:
        with self._lock:
            if self._answered:
                return False
            self._answered = True
        self.writer.send(message)
        if self._on_done:
            self._on_done(self)
        return True


RequestHandler = Callable[[Any, RequestContext], Any]
NotificationHandler = Callable[[Any], None]


class Dispatcher:
    def __init__(self, writer: MessageWriter):
        self.writer = writer
        self._requests: dict[str, tuple[RequestHandler, bool]] = {}
        self._notifications: dict[str, NotificationHandler] = {}
        self._pending: dict[Any, RequestContext] = {}
        self._pending_lock = threading.Lock()
        # Gate: returns an RpcError to refuse a request (e.g. before `initialize`), else None.
        self.gate: Callable[[str], RpcError | None] = lambda method: None
        self._next_out_id = 0

    def request(self, method: str, *, cancellable: bool = False):
        def register(fn: RequestHandler) -> RequestHandler:
            self._requests[method] = (fn, cancellable)
            return fn
        return register

    def notification(self, method: str):
        def register(fn: NotificationHandler) -> NotificationHandler:
            self._notifications[method] = fn
            return fn
        return register

    # -- outgoing -----------------------------------------------------------------------------
    def notify(self, method: str, params: Any) -> None:
        self.writer.send({"method": method, "params": params})

    def send_request(self, method: str, params: Any = None) -> None:
        """Server-to-client request whose answer we do not need (e.g. a code-lens refresh)."""
        with self._pending_lock:
            self._next_out_id += 1
            out_id = f"tritonize-{self._next_out_id}"
        message: dict[str, Any] = {"id": out_id, "method": method}
        if params is not None:
            message["params"] = params
        self.writer.send(message)

    # -- incoming -----------------------------------------------------------------------------
    def handle(self, message: dict[str, Any]) -> None:
        """Routes one decoded message. Never raises: every failure becomes an error answer."""
        method = message.get("method")
        has_id = "id" in message
        msg_id = message.get("id")
        if method is None:
            if has_id and ("result" in message or "error" in message):
                return  # answer to one of our own requests; nothing waits on it
            self._error_reply(msg_id if _valid_id(msg_id) else None, INVALID_REQUEST, "not a JSON-RPC request")
            return
        if not isinstance(method, str) or (has_id and not _valid_id(msg_id)):
            self._error_reply(msg_id if _valid_id(msg_id) else None, INVALID_REQUEST, "invalid method or id")
            return
        params = message.get("params")
        if has_id:
            self._handle_request(method, msg_id, params)
        else:
            self._handle_notification(method, params)

    def _handle_request(self, method: str, msg_id: Any, params: Any) -> None:
        entry = self._requests.get(method)
        ctx = RequestContext(msg_id, method, self.writer, cancellable=bool(entry and entry[1]),
                             _on_done=self._forget)
        refused = self.gate(method)
        if refused is not None:
            ctx.fail(refused.code, refused.message, refused.data)
            return
        if entry is None:
            ctx.fail(METHOD_NOT_FOUND, f"unknown method {method}")
            return
        with self._pending_lock:
            self._pending[_key(msg_id)] = ctx
        try:
            result = entry[0](params, ctx)
        except RpcError as exc:
            ctx.fail(exc.code, exc.message, exc.data)
            return
        except Exception as exc:  # a handler bug must cost one answer, not the server
            log.error("handler %s failed:\n%s", method, traceback.format_exc())
            ctx.fail(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
            return
        if result is not DEFERRED:
            ctx.respond(result)

    def _handle_notification(self, method: str, params: Any) -> None:
        if method == "$/cancelRequest":
            self.cancel(params.get("id") if isinstance(params, dict) else None)
            return
        handler = self._notifications.get(method)
        if handler is None:
            if not method.startswith("$/"):
                log.debug("ignoring notification %s", method)
            return
        try:
            handler(params)
        except Exception:  # notifications have no answer to carry the error: log it
            log.error("notification %s failed:\n%s", method, traceback.format_exc())

    def cancel(self, msg_id: Any) -> None:
        with self._pending_lock:
            ctx = self._pending.get(_key(msg_id))
        if ctx is None:
            return  # already answered: cancelling it is a no-op per LSP
        self._cancel(ctx)

    def _cancel(self, ctx: RequestContext) -> None:
        ctx.cancel.set()
        for callback in list(ctx.on_cancel):
            try:
                callback()
            except Exception:
                log.error("cancel callback failed:\n%s", traceback.format_exc())
        if ctx.cancellable:
            ctx.fail(REQUEST_CANCELLED, "request cancelled")

    def cancel_all(self) -> None:
        with self._pending_lock:
            pending = list(self._pending.values())
        for ctx in pending:
            self._cancel(ctx)

    def _forget(self, ctx: RequestContext) -> None:
        with self._pending_lock:
            if self._pending.get(_key(ctx.id)) is ctx:
                del self._pending[_key(ctx.id)]

    def _error_reply(self, msg_id: Any, code: int, message: str) -> None:
        self.writer.send({"id": msg_id, "error": {"code": code, "message": message}})

    def parse_error(self, message: str) -> None:
        self._error_reply(None, PARSE_ERROR, message)


def _valid_id(msg_id: Any) -> bool:
    return isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)


def _key(msg_id: Any) -> tuple[str, Any]:
    # 1 and "1" are different JSON-RPC ids
    return (type(msg_id).__name__, msg_id)
