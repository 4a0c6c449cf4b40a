"""What the backend can run on: versions and devices, gathered in a worker (so the caller's
process never creates a CUDA context)."""

from __future__ import annotations

from typing import Any

from . import __version__


def environment(device: str = "auto") -> dict[str, Any]:
    import sys

    info: dict[str, Any] = {"python": sys.version.split()[0], "tritonize": __version__, "torch": None, "triton": None,
                            "devices": [], "interpreter": True, "error": None}
    try:
        import torch
    except ImportError:
        info["error"] = (f"torch is not installed in {sys.executable}. Install PyTorch there "
                         "(https://pytorch.org/get-started/locally/) or pick another interpreter.")
        return info
    try:
        import triton
    except ImportError:
        info["torch"] = torch.__version__
        info["error"] = f"triton is not installed in {sys.executable}: `{sys.executable} -m pip install triton`."
        return info
    info["torch"], info["triton"] = torch.__version__, triton.__version__
    if device in ("auto", "cuda") and torch.cuda.is_available():
        from .judge.process import Worker

        w = Worker("cuda")
        try:
            ready = w.wait_ready(timeout=120)
            info["devices"] = ready.get("devices", [])
        except Exception as exc:
            info["error"] = f"CUDA is visible but a worker could not start on it: {exc}"
        finally:
            w.kill()
        info["interpreter"] = not info["devices"]
    return info


def resolve_device(requested: str) -> str:
    """`auto` -> cuda when available, else cpu. `cuda` without a GPU raises RuntimeError."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: no CUDA GPU is visible to torch "
                           f"{torch.__version__} (torch.cuda.is_available() is False)")
    return requested
