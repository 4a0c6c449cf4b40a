"""Private, length-prefixed message channel between the trusted parent and a worker.

Why not stdout/stdin or multiprocessing.Connection: a candidate shares the worker's process, so
anything it prints must never be mistaken for a result (stdout is not the channel), and the
parent must never unpickle bytes a candidate could have written (pickle runs code). Messages are
`torch.save` payloads decoded with `weights_only=True`, which only rebuilds tensors, containers
and primitives.

Large CPU tensors travel as raw bytes right after their message (`send(..., raw=[t])`): no
pickling, no intermediate copies, and the receiver allocates exactly the dtype and shape the
message declares (bounded by `max_raw`), so a hostile sender can only send bytes, never objects.
"""

from __future__ import annotations

import ctypes
import io
import os
import struct
from typing import Any, Callable, Sequence

_HEADER = struct.Struct(">Q")
# The system calls and buffer types every message goes through, bound when this module loads (before
# any candidate code): a candidate that rebound os.write decoded each reply at send time, deleted its
# evidence and sent it on, `correct` (red team 37 c07). The identity snapshot watches os too.
_WRITE, _READ, _READV = os.write, os.read, os.readv
_BytesIO, _memoryview = io.BytesIO, memoryview
MAX_MESSAGE = 8 << 30  # 8 GiB: bigger than any sane problem, small enough to refuse garbage
_CHUNK = 1 << 24


class ChannelClosed(EOFError):
    """The other side went away (exited, crashed or closed its end)."""


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = _READ(fd, min(n, 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_into(fd: int, view: memoryview) -> None:
    pos, n = 0, len(view)
    while pos < n:
        got = _READV(fd, [view[pos:min(n, pos + _CHUNK)]])
        if not got:
            raise ChannelClosed("channel closed")
        pos += got


_GROWN: set[int] = set()


def _grow(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: 16x fewer wake-ups for a large tensor (Linux; best effort)."""
    if fd in _GROWN:
        return
    _GROWN.add(fd)
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = _memoryview(data)
    while view:
        written = _WRITE(fd, view[:_CHUNK])
        view = view[written:]


def _bytes_of(t: Any) -> memoryview:
    """A view of a contiguous CPU tensor's memory (stdlib only: torch tensors have no buffer protocol
    and numpy is not a dependency)."""
    n = t.numel() * t.element_size()
    if n == 0:
        return _memoryview(b"")
    return _memoryview((ctypes.c_char * n).from_address(t.data_ptr())).cast("B")


class _Pickling:
    """The pickle module torch.save is given: C's Pickler as it was when this module loaded (before
    any candidate code), not whatever `pickle.Pickler` is at send time. A candidate that put its own
    Pickler into the pickle module's dict rewrote every reply's evidence (red team 9)."""

    from _pickle import Pickler, Unpickler  # noqa: F401 - captured now
    from pickle import HIGHEST_PROTOCOL, DEFAULT_PROTOCOL  # noqa: F401


_SAVE: Any = None


def _saver() -> Any:
    global _SAVE
    if _SAVE is None:
        import torch

        _SAVE = torch.save
    return _SAVE


def encode(obj: Any) -> memoryview:
    buf = _BytesIO()
    _saver()(obj, buf, pickle_module=_Pickling)
    return buf.getbuffer()


def decode(payload: bytes) -> Any:
    import torch

    return torch.load(_BytesIO(payload), weights_only=True, map_location="cpu")


def _dtype(name: Any) -> Any:
    import torch

    dt = getattr(torch, name, None) if isinstance(name, str) else None
    if not isinstance(dt, torch.dtype):
        raise ValueError(f"bad dtype {name!r}")
    return dt


def send(fd: int, obj: Any, raw: Sequence[Any] = ()) -> None:
    """`raw`: contiguous CPU tensors whose bytes follow the message; the receiver finds them, as new
    tensors, in `msg["_raw"]`."""
    if raw:
        for t in raw:
            if t.device.type != "cpu" or not t.is_contiguous():
                raise ValueError("raw tensors must be contiguous CPU tensors")
        obj = {**obj, "_raw": [{"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)} for t in raw]}
    payload = encode(obj)
    if raw or len(payload) > (1 << 20):
        _grow(fd)
    _write_all(fd, _HEADER.pack(len(payload)))
    _write_all(fd, payload)
    del payload
    for t in raw:
        _write_all(fd, _bytes_of(t))


def recv(fd: int, max_raw: int | Callable[[], int] = MAX_MESSAGE) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    if size > MAX_MESSAGE:
        raise ValueError(f"refusing a {size}-byte message")
    obj = decode(_read_exact(fd, size))
    specs = obj.pop("_raw", None) if isinstance(obj, dict) else None
    if specs is None:
        return obj
    import torch

    limit = max_raw() if callable(max_raw) else max_raw
    if not isinstance(specs, list) or len(specs) > 4096:
        raise ValueError("malformed raw tensor list")
    shapes, total = [], 0
    for s in specs:
        dt = _dtype(s.get("dtype") if isinstance(s, dict) else None)
        shape = s.get("shape")
        if not isinstance(shape, list) or len(shape) > 16 or not all(type(d) is int and d >= 0 for d in shape):
            raise ValueError(f"malformed raw tensor shape {shape!r}")
        n = dt.itemsize
        for d in shape:
            n *= d
        total += n
        shapes.append((dt, shape))
    if total > limit:
        raise ValueError(f"refusing {total} bytes of raw tensors (limit {limit})")
    out = []
    for dt, shape in shapes:
        t = torch.empty(shape, dtype=dt)
        _read_into(fd, _bytes_of(t))
        out.append(t)
    obj["_raw"] = out
    return obj
