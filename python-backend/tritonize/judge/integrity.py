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
import re
import site
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; arming is then only serialised within this process
    fcntl = None

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


# importlib writes bytecode to "<name>.pyc.<id>" and renames it: never loaded, and another judge's
# import may leave one for a moment.
_PYC_TEMP = re.compile(r"\.pyc\.\d+$")


def _fingerprint() -> dict[str, str]:
    out: dict[str, str] = {}
    tag = f".{sys.implementation.cache_tag}."
    for root, dirs, files in os.walk(PACKAGE):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".pyc") and tag not in name:
                continue  # another interpreter's bytecode: never loaded by this one's workers
            if _PYC_TEMP.search(name):
                continue
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


@contextmanager
def _across_processes():
    """Other judges sharing this install (two VS Code windows, parallel test or suite processes)
    compile and fingerprint the same files. Without a lock, one's bytecode writes (temp files,
    then a rename) land between another's fingerprint and its check: a false verifier_tampered on
    a fresh install. The lock file lives outside the package so it is not part of the fingerprint."""
    if fcntl is None:
        yield
        return
    key = hashlib.sha256(str(PACKAGE).encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"tritonize-arm-{os.getuid()}-{key}.lock")
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def arm() -> None:
    """Idempotent; call before starting the first worker."""
    global _baseline
    with _lock:
        if _baseline is not None:
            return
        _import_all()
        # Up-to-date bytecode for every module now, so workers never write any and any .pyc that
        # appears or changes later is foreign. The first judge on a fresh install writes it; the
        # others wait and then find it current (compile_dir rewrites only stale files).
        with _across_processes():
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
        for k in [k for k in changed if _is_recompile(k, now)]:
            _baseline[k] = now[k]  # another judge's import rewrote it: same code, other bytes
            changed.remove(k)
        _tampered = changed
        return list(changed)


# Run in a fresh interpreter: marshal is not safe on hostile bytes, so a forged file may crash only
# that child. Equal code objects (bytecode, constants, names, line tables, nested code) mean the
# file loads exactly what the source says; the bytes may differ between two compiles (frozenset
# constants follow the hash seed).
_SAME_CODE = """
import marshal, sys
pyc, src, opt = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(pyc, 'rb').read()
source = open(src, 'rb').read()
code = marshal.loads(data[16:])
sys.exit(0 if code == compile(source, src, 'exec', dont_inherit=True, optimize=opt) else 1)
"""


def _is_recompile(rel: str, now: dict[str, str]) -> bool:
    """A bytecode file of an unchanged source whose code is that source's compilation."""
    p = Path(rel)
    if p.parent.name != "__pycache__" or p.suffix != ".pyc" or rel not in now:
        return False
    stem, _, rest = p.name.partition(f".{sys.implementation.cache_tag}")
    opt = {".pyc": 0, ".opt-1.pyc": 1, ".opt-2.pyc": 2}.get(rest)
    src = str(p.parent.parent / f"{stem}.py")
    if opt is None or src not in _baseline or now.get(src) != _baseline[src]:
        return False
    try:
        res = subprocess.run([sys.executable, "-I", "-c", _SAME_CODE, str(PACKAGE / rel), str(PACKAGE / src), str(opt)],
                             capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0


def tampered() -> list[str]:
    with _lock:
        return list(_tampered)


def verdict_text(files: list[str]) -> str:
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return (f"rule verifier_tampered: the verifier's own files changed while it ran ({shown} in {PACKAGE}); "
            "this and every later result of this process cannot be trusted: restart the backend "
            "(reinstall it if the change was not yours)")
