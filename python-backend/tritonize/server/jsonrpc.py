"""JSON-RPC 2.0 over a byte stream with LSP `Content-Length` framing.

The reader distinguishes a message that cannot be parsed (answered with -32700, the stream goes
on) from a stream that is over (EOF: the server stops). The writer serialises
whole frames under a lock because job threads and the main thread send concurrently.
"""

from __future__ import annotations

import json
import threading
from typing import Any, BinaryIO

MAX_CONTENT = 64 << 20  # a sane LSP message is far smaller; refuse before allocating


class StreamClosed(EOFError):
    """No further messages can be read (end of input)."""


class ParseError(ValueError):
    """One frame arrived whole but its body is not a JSON object; the stream stays usable."""


def read_message(stream: BinaryIO) -> dict[str, Any]:
    """Reads one framed message. Raises StreamClosed or ParseError."""
    length: int | None = None
    saw_header = False
    while True:
        line = stream.readline(8192)
        if not line:
            raise StreamClosed("end of input")
        if line in (b"\r\n", b"\n"):
            if not saw_header:
                continue  # tolerate stray blank lines between frames
            break
        saw_header = True
        name, sep, value = line.decode("ascii", "replace").partition(":")
        if not sep:
            continue  # not a header; ignore rather than lose the stream
        if name.strip().lower() == "content-length":
            try:
                length = int(value.strip())
            except ValueError:
                length = None
    if length is None or length < 0:
        # The frame boundary is unknown. Report it and let the next read resynchronise: header
        # parsing skips lines that are not `Name: value`, so at worst one more frame is lost.
        raise ParseError("missing or invalid Content-Length header")
    if length > MAX_CONTENT:
        _discard(stream, length)
        raise ParseError(f"message of {length} bytes is over the {MAX_CONTENT}-byte limit")
    body = stream.read(length)
    if len(body) < length:
        raise StreamClosed("end of input inside a message body")
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"invalid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ParseError("a message must be a JSON object")
    return message


def _discard(stream: BinaryIO, n: int) -> None:
    while n:
        chunk = stream.read(min(n, 1 << 20))
        if not chunk:
            raise StreamClosed("end of input inside a message body")
        n -= len(chunk)


def encode_message(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=_fallback).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _fallback(obj: Any) -> Any:
    # Reports are plain JSON by contract; this keeps one stray Path/number type from killing a reply.
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


class MessageWriter:
    """Thread-safe frame writer. A broken pipe (client gone) is remembered, not raised."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._lock = threading.Lock()
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        message.setdefault("jsonrpc", "2.0")
        try:
            data = encode_message(message)
        except ValueError:
            # NaN/inf somewhere in a report: JSON has no spelling for them, so send them as null.
            data = encode_message(_without_nonfinite(message))
        with self._lock:
            if self.closed:
                return
            try:
                self._stream.write(data)
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.closed = True


def _without_nonfinite(obj: Any) -> Any:
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if isinstance(obj, dict):
        return {k: _without_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_without_nonfinite(v) for v in obj]
    return obj
