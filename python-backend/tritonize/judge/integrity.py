"""The trusted process guards its own code: import everything before any worker starts, fingerprint
the backend's files, and re-check after every candidate worker.

Workers import the `tritonize` package from disk. If a candidate ever writes there (no Landlock,
or a hole in it), every later worker would run its code, so the first change found makes this
process refuse all further verifies until it is restarted (fails closed). Bytecode caches are
part of the fingerprint: a forged .pyc with the source's mtime and size would be loaded instead
of the unchanged .py.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib
import os
import pkgutil
import site
import sys
import threading
from pathlib import Path

import tritonize

PACKAGE = Path(tritonize.__file__).resolve().parent
_lock = threading.Lock()
_baseline: dict[str, str] | None = None
_tampered: list[str] = []


def _startup_hooks() -> list[str]:
    """Files every Python start runs (site's .pth files, sitecustomize): a planted one would run in
    every later worker and in this process's successor."""
    dirs = list(site.getsitepackages()) + [site.getusersitepackages()]
    out = []
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        out += [os.path.join(d, n) for n in names if n.endswith(".pth") or n in ("sitecustomize.py", "usercustomize.py")]
    return out


def _hash(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return "unreadable"


def _fingerprint() -> dict[str, str]:
    out: dict[str, str] = {}
    tag = f".{sys.implementation.cache_tag}."
    for root, dirs, files in os.walk(PACKAGE):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".pyc") and tag not in name:
                continue  # another interpreter's bytecode: never loaded by this one's workers
            p = os.path.join(root, name)
            out[os.path.relpath(p, PACKAGE)] = _hash(p)
    for p in _startup_hooks():
        out[p] = _hash(p)
    return out


def _import_all() -> None:
    """Every module of the judge's side is in memory before a worker exists, so a file changed
    later cannot alter this process (worker modules are only compiled, not run)."""
    for sub in ("judge", "common", "server", "problem", "suite", "extract"):
        try:
            pkg = importlib.import_module(f"tritonize.{sub}")
        except ImportError:
            continue
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"tritonize.{sub}."):
            if info.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:  # an optional extra (e.g. ray) missing: that module is not used
                pass
    for name in ("tritonize.cli", "tritonize.env", "tritonize.report_text"):
        try:
            importlib.import_module(name)
        except Exception:
            pass


def arm() -> None:
    """Idempotent; call before starting the first worker."""
    global _baseline
    with _lock:
        if _baseline is not None:
            return
        _import_all()
        # Up-to-date bytecode for every module now, so workers never write any and any .pyc that
        # appears or changes later is foreign.
        compileall.compile_dir(str(PACKAGE), quiet=2)
        _baseline = _fingerprint()


def check() -> list[str]:
    """Files of the backend added, removed or changed since `arm` (empty: intact). Once non-empty
    it stays so for the life of this process."""
    global _tampered
    with _lock:
        if _baseline is None or _tampered:
            return list(_tampered)
        now = _fingerprint()
        changed = sorted(k for k in set(_baseline) | set(now) if _baseline.get(k) != now.get(k))
        _tampered = changed
        return list(changed)


def tampered() -> list[str]:
    with _lock:
        return list(_tampered)


def verdict_text(files: list[str]) -> str:
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return (f"rule verifier_tampered: the verifier's own files changed while it ran ({shown} in {PACKAGE}); "
            "this and every later result of this process cannot be trusted: restart the backend "
            "(reinstall it if the change was not yours)")
