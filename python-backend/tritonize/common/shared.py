"""Handing tensors between processes without copies through the host where possible.

`export(values)` turns a list of values into descriptors for a channel message plus the raw CPU
tensors that follow it; `load(descs, raw)` rebuilds them on the other side.

- CUDA tensors: a CUDA IPC handle (torch.multiprocessing's own tensor sharing, `_share_cuda_`), so
  the memory stays on the GPU and the receiver maps it. Only plain fields cross the channel (never
  a pickled rebuild function); the receiver picks `rebuild_cuda_tensor` itself. An IPC handle
  exposes the whole allocator segment the tensor lives in, so anything handed to an untrusted
  process must be allocated in a segment holding nothing else (see `private_pool`).
- CPU tensors: raw bytes after the message (one copy through the kernel pipe), strides kept for
  dense layouts (transposed inputs stay transposed).
- `meta` descriptors carry only shape and dtype (an output of the wrong shape need not travel).
- Anything else: the value itself (ints, floats, strings, small containers).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch


def _plain(x: torch.Tensor) -> torch.Tensor:
    return x if type(x) is torch.Tensor else x.as_subclass(torch.Tensor)


def _dtype_name(dt: torch.dtype) -> str:
    return str(dt).replace("torch.", "")


def dense_span(x: torch.Tensor) -> bool:
    """True when x's elements fill exactly numel() consecutive slots of its storage (any order)."""
    dims = sorted((st, sz) for sz, st in zip(x.shape, x.stride()) if sz != 1)
    expect = 1
    for st, sz in dims:
        if st != expect:
            return False
        expect *= sz
    return True


def _raw_desc(x: torch.Tensor, raw: list[torch.Tensor]) -> dict[str, Any]:
    x = _plain(x.detach())
    lead = 0
    if x.numel() and dense_span(x):  # send the storage span as is: layout (e.g. transposed) kept
        # A small storage offset travels too (a slice or chunk of a larger buffer: a kernel that
        # ignored the offset was right on every trial, red team 16 c12).
        off = x.storage_offset()
        lead = off if off <= _MAX_LEAD else 0
        flat, stride = x.as_strided((x.numel() + lead,), (1,), off - lead), list(x.stride())
    else:
        flat, stride = x.contiguous().reshape(-1), None
    raw.append(flat.contiguous())
    return {"kind": "raw", "index": len(raw) - 1, "shape": list(x.shape), "stride": stride,
            "dtype": _dtype_name(x.dtype), "offset": lead}


_MAX_LEAD = 256  # elements before a view that are sent with it to keep its storage offset


def _ipc_desc(x: torch.Tensor) -> dict[str, Any]:
    from torch.multiprocessing.reductions import reduce_tensor

    _, a = reduce_tensor(_plain(x.detach()))
    return {"kind": "cuda", "shape": list(a[1]), "stride": list(a[2]), "offset": int(a[3]), "dtype": _dtype_name(a[5]),
            "device": int(a[6]), "handle": a[7], "storage_bytes": int(a[8]), "storage_offset": int(a[9]),
            "ref_handle": a[11], "ref_offset": int(a[12]), "event_handle": a[13], "event_sync": bool(a[14])}


def export(values: list[Any], meta_only: set[int] | None = None) -> tuple[list[dict[str, Any]], list[torch.Tensor]]:
    descs: list[dict[str, Any]] = []
    raw: list[torch.Tensor] = []
    for i, x in enumerate(values):
        if not isinstance(x, torch.Tensor):
            descs.append({"kind": "value", "value": x})
        elif (meta_only and i in meta_only) or x.device.type == "meta":
            descs.append({"kind": "meta", "shape": list(x.shape), "dtype": _dtype_name(x.dtype)})
        elif x.device.type == "cuda":
            descs.append(_ipc_desc(x))
        else:
            descs.append(_raw_desc(x.cpu(), raw))
    return descs, raw


def _ints(v: Any, n: int | None = None) -> list[int]:
    if not isinstance(v, list) or len(v) > 16 or not all(type(d) is int for d in v) or (n is not None and len(v) != n):
        raise ValueError(f"malformed tensor geometry {v!r}")
    return v


def load(descs: Any, raw: list[torch.Tensor] | None, cuda_index: int | None = None) -> list[Any]:
    """Rebuilds exported values. `cuda_index`: this process's index of the GPU the sender used
    (workers pinned with CUDA_VISIBLE_DEVICES number their one GPU 0). Raises ValueError on a
    malformed descriptor."""
    from ..common.channel import _dtype

    if not isinstance(descs, list):
        raise ValueError("malformed value list")
    out: list[Any] = []
    for d in descs:
        kind = d.get("kind") if isinstance(d, dict) else None
        if kind == "value":
            out.append(d.get("value"))
        elif kind == "meta":
            out.append(torch.empty(_ints(d.get("shape")), dtype=_dtype(d.get("dtype")), device="meta"))
        elif kind == "raw":
            idx = d.get("index")
            if raw is None or type(idx) is not int or not 0 <= idx < len(raw):
                raise ValueError("raw tensor index out of range")
            flat, shape = raw[idx], _ints(d.get("shape"))
            if flat.dtype != _dtype(d.get("dtype")):
                raise ValueError("raw tensor dtype differs from its descriptor")
            lead = d.get("offset", 0)
            if type(lead) is not int or not 0 <= lead <= _MAX_LEAD:
                raise ValueError("malformed raw tensor offset")
            if d.get("stride") is None:
                out.append(flat.view(shape))
            else:
                # as_strided checks the bounds against the storage: a forged geometry raises
                out.append(flat.as_strided(shape, _ints(d["stride"], len(shape)), lead))
        elif kind == "cuda":
            out.append(_open_ipc(d, cuda_index))
        else:
            raise ValueError(f"unknown value kind {kind!r}")
    return out


def _open_ipc(d: dict[str, Any], cuda_index: int | None) -> torch.Tensor:
    from torch.multiprocessing.reductions import rebuild_cuda_tensor
    from ..common.channel import _dtype

    shape, stride = _ints(d.get("shape")), _ints(d.get("stride"))
    if len(stride) != len(shape):
        raise ValueError("malformed tensor geometry")
    dt = _dtype(d.get("dtype"))
    for key in ("handle", "ref_handle", "event_handle"):
        if d.get(key) is not None and not isinstance(d.get(key), bytes):
            raise ValueError(f"malformed IPC field {key}")
    offset, nbytes = int(d.get("offset", 0)), int(d.get("storage_bytes", 0))
    if offset < 0 or any(s < 0 for s in stride):
        raise ValueError("negative offsets or strides in a shared tensor")
    span = (offset + sum((sz - 1) * st for sz, st in zip(shape, stride)) + 1) * dt.itemsize if all(shape) else 0
    if span > nbytes:
        raise ValueError(f"shared tensor reaches past its storage ({span} > {nbytes} bytes)")
    device = int(d.get("device", 0)) if cuda_index is None else cuda_index
    return rebuild_cuda_tensor(torch.Tensor, torch.Size(shape), tuple(stride), offset, torch.storage.TypedStorage, dt,
                               device, d.get("handle"), nbytes, int(d.get("storage_offset", 0)), False,
                               d.get("ref_handle"), int(d.get("ref_offset", 0)), d.get("event_handle"),
                               bool(d.get("event_sync", False)))


def pool_isolated(device: str) -> bool:
    """Whether `private_pool` really isolates (a MemPool exists and its tensors can be shared over
    IPC in this torch); checked once with a probe."""
    global _POOL, _POOL_OK
    if not device.startswith("cuda"):
        return True
    if _POOL_OK is None:
        try:
            from torch.multiprocessing.reductions import reduce_tensor

            pool = torch.cuda.MemPool()
            with torch.cuda.use_mem_pool(pool):
                probe = torch.empty(4 << 20, dtype=torch.uint8, device=device)
            reduce_tensor(probe)
            del probe
            _POOL, _POOL_OK = pool, True
        except Exception:
            _POOL, _POOL_OK = None, False
    return bool(_POOL_OK)


@contextlib.contextmanager
def private_pool(device: str) -> Iterator[None]:
    """Allocations made inside come from allocator segments used by nothing else. Why: a CUDA IPC
    handle maps the whole segment, so a tensor shared with the candidate must not sit next to the
    reference's parameters or expected outputs. Where this torch cannot do that (no MemPool, or
    its tensors cannot be shared), allocations are ordinary and the report says so."""
    if not device.startswith("cuda") or not pool_isolated(device):
        yield
        return
    with torch.cuda.use_mem_pool(_POOL):
        yield


_POOL: Any = None
_POOL_OK: bool | None = None


def storage_key(x: Any) -> tuple[str, int] | None:
    if not isinstance(x, torch.Tensor) or x.device.type == "meta":
        return None
    return (str(x.device), x.untyped_storage().data_ptr())
