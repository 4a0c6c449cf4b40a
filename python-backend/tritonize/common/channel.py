"""Private, length-prefixed message channel between the trusted parent and a worker.

Why not stdout/stdin or multiprocessing.Connection: a candidate shares the worker's process, so
anything it prints must never be mistaken for a result (stdout is not the channel), and the
parent must never unpickle bytes a candidate could have written (pickle runs code). Messages are
`torch.save` payloads decoded with `weights_only=True`, which only rebuilds tensors, containers
and primitives.
"""

from __future__ import annotations

import io
import os
import struct
from typing import Any

_HEADER = struct.Struct(">Q")
MAX_MESSAGE = 8 << 30  # 8 GiB: bigger than any sane problem, small enough to refuse garbage


class ChannelClosed(EOFError):
    """The other side went away (exited, crashed or closed its end)."""


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def encode(obj: Any) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def decode(payload: bytes) -> Any:
    import torch

    return torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")


def send(fd: int, obj: Any) -> None:
    payload = encode(obj)
    _write_all(fd, _HEADER.pack(len(payload)) + payload)


def recv(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    if size > MAX_MESSAGE:
        raise ValueError(f"refusing a {size}-byte message")
    return decode(_read_exact(fd, size))
