"""An audit hook (PEP 578) that blocks, and keeps unforgeable evidence of, what a candidate must not
do from Python: start processes or threads, call ctypes, open sockets, send signals, reach frames,
the heap or code objects, or run dynamic code.

Why an audit hook: `sys.addaudithook` cannot be removed from Python, and the hook function and its
closure are referenced only from the interpreter's C-level hook list. The only Python ways to
reach them (gc.get_objects / gc.get_referrers, frames, ctypes) are themselves audited events that
this hook refuses to candidate code. So the evidence list kept here cannot be read or cleared by
the candidate except through the two doors below:

- `sys.audit("tritonize.evidence", kind, payload)` appends evidence, but only when the calling
  frame runs one of the code objects registered before arming (the launch wrapper, the op
  recorder, the host/graph/dispatch wrappers): a candidate can neither forge a kernel launch nor
  an output's provenance, and anything else it might add could only count against it;
- `sys.audit("tritonize.read", box)` appends a copy of the evidence to `box`.

The harness keeps a `reader()` closure over the real `sys.audit`, taken before the candidate is
imported, so replacing `sys.audit` later cannot feed it a clean record.

Attribution: an event is the candidate's when the frame that caused it (the nearest frame outside
the standard library, or the direct caller for introspection) is code that is not part of Python,
torch, Triton, another installed library or this package: the candidate's file, or code it made
(`<string>`). Triton's compiler starting ptxas, Inductor's compile workers started by the harness,
torch calling sys._getframe: all allowed.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from typing import Any, Callable

# Events refused to candidate code (the value is the rule the verdict names).
_PROCESS = {"os.fork": "process_spawn", "os.forkpty": "process_spawn", "os.posix_spawn": "process_spawn",
            "os.spawn": "process_spawn", "os.exec": "process_spawn", "os.system": "process_spawn",
            "subprocess.Popen": "process_spawn", "pty.spawn": "process_spawn", "os.startfile": "process_spawn",
            "_posixsubprocess.fork_exec": "process_spawn",
            "_thread.start_new_thread": "threads", "os.kill": "signal", "os.killpg": "signal",
            "signal.pthread_kill": "signal", "os.pidfd_open": "signal",
            # Metadata of files (the sandbox's seccomp denies these too; here the verdict names it).
            "os.chmod": "file_metadata", "os.chown": "file_metadata", "os.utime": "file_metadata",
            "os.setxattr": "file_metadata", "os.removexattr": "file_metadata", "os.chflags": "file_metadata"}
_INTROSPECT = {"sys._getframe": "introspection", "sys._getframemodulename": "introspection",
               "sys._current_frames": "introspection", "sys._current_exceptions": "introspection",
               "gc.get_objects": "introspection", "gc.get_referrers": "introspection",
               "gc.get_referents": "introspection", "sys.settrace": "introspection", "sys.setprofile": "introspection",
               "object.__getattr__": "introspection", "code.__new__": "dynamic_code", "function.__new__": "dynamic_code",
               "exec": "dynamic_code", "compile": "dynamic_code", "marshal.loads": "dynamic_code",
               "cpython.PyInterpreterState_Clear": "introspection", "sys.unraisablehook": "introspection",
               "sys.excepthook": "introspection", "cpython.run_command": "dynamic_code"}

def _opened(arg: Any) -> str | None:
    """The file an `open` event names, resolved ("//proc", "../proc" and symlinks to it included:
    review of session 17); None for a file descriptor; "?" for a path-like object of another type,
    whose __fspath__ is candidate code that may answer differently when the file is opened."""
    t = type(arg)
    if t is int:
        return None
    if t in (str, bytes):
        p = os.fsdecode(arg)
    elif t.__module__ == "pathlib":
        p = str(arg)
    else:
        return "?"
    return os.path.realpath(p)


def _is_proc_mem(path: str | None) -> bool:
    return path is not None and path.startswith("/proc/") and path.rstrip("/").endswith("/mem")


def _is_proc_probe(path: str | None) -> bool:
    """/proc and /sys other than /proc/*/mem: where a process learns it runs in the verifier's sandbox
    (Seccomp in /proc/self/status, red team 17), never input to a kernel."""
    return path is not None and (path == "?" or path.startswith(("/proc/", "/sys/"))) and not _is_proc_mem(path)


_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the tritonize package


def _roots() -> dict[str, str]:
    roots: dict[str, str] = {}
    for key in ("stdlib", "platstdlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            roots[os.path.realpath(p)] = "stdlib"
    for mod, kind in (("triton", "triton"), ("torch", "torch"), ("numpy", "library")):
        m = sys.modules.get(mod)
        f = getattr(m, "__file__", None)
        if f:
            roots[os.path.realpath(os.path.dirname(f))] = kind
    for key in ("purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            roots.setdefault(os.path.realpath(p), "library")
    for p in sys.path:
        if p and ("site-packages" in p or "dist-packages" in p):
            roots.setdefault(os.path.realpath(p), "library")
    roots[os.path.realpath(_HERE)] = "harness"
    return roots


def _ordered_roots() -> list[tuple[str, str]]:
    return sorted(_roots().items(), key=lambda kv: -len(kv[0]))  # longest prefix wins


def _stack(frame: Any) -> Any:
    while frame is not None:
        yield frame
        frame = frame.f_back


def _make_hook() -> Callable[[str, tuple], None]:
    roots = _ordered_roots()  # longest prefix wins
    cache: dict[str, str] = {}
    state: dict[str, Any] = {"armed": False, "candidate": None, "busy": False}
    events: list[tuple] = []
    registered: set[Any] = set()
    getframe = sys._getframe
    realpath = os.path.realpath
    # Private copies: the module-level tables are reachable (and mutable) from candidate code, the
    # hook's closure is not (audit hooks cannot be listed from Python).
    refused = {**_PROCESS, **_INTROSPECT}
    introspect = frozenset(_INTROSPECT)
    import importlib.machinery

    extensions = tuple(importlib.machinery.EXTENSION_SUFFIXES)

    def kind_of(filename: str) -> str:
        k = cache.get(filename)
        if k is None:
            if filename.startswith("<frozen"):
                k = "stdlib"
            elif filename.startswith("<"):
                k = "candidate"  # code compiled from a string at run time
            else:
                path = realpath(filename)
                k = "candidate"
                if path != state["candidate"]:
                    for root, kind in roots:
                        if path.startswith(root + os.sep):
                            k = kind
                            break
            cache[filename] = k
        return k

    def line_in_candidate(frame: Any) -> int:
        while frame is not None:
            if kind_of(frame.f_code.co_filename) == "candidate":
                return frame.f_lineno
            frame = frame.f_back
        return 0

    def hook(event: str, args: tuple) -> None:
        if state["busy"]:
            return
        if event.startswith("tritonize."):
            state["busy"] = True
            try:
                caller = getframe(1)
                if event == "tritonize.evidence":
                    if caller.f_code in registered:
                        events.append(tuple(args))
                elif event == "tritonize.read" and args and isinstance(args[0], list):
                    args[0].append(tuple(events))
                elif event == "tritonize.register" and not state["armed"]:
                    registered.update(a for a in args if type(a).__name__ == "code")
                elif event == "tritonize.arm" and not state["armed"] and kind_of(caller.f_code.co_filename) == "harness":
                    state["armed"], state["candidate"] = True, realpath(str(args[0]))
                    cache.clear()
            finally:
                state["busy"] = False
            return
        if not state["armed"]:
            return
        rule = refused.get(event)
        if rule is None:
            opened = _opened(args[0]) if event == "open" and args else None
            if _is_proc_mem(opened):
                rule = "introspection"  # /proc/self/mem: the input's bytes, read past every hook
            elif _is_proc_probe(opened):
                rule = "environment_probe"
            elif event.startswith("ctypes."):
                rule = "ctypes"
            elif event == "import" and len(args) > 1 and isinstance(args[1], str) and args[1].endswith(extensions) \
                    and kind_of(args[1]) == "candidate":
                # An extension module from outside every installed library (its home, /tmp, a
                # memfd at /proc/self/fd/N: red team 10): native code past every Python-level
                # check. The C loader raises this event whoever calls it; Triton loading the
                # launcher it compiled into its private cache is not the candidate's doing.
                rule = "native_code"
            elif event.startswith("socket."):
                rule = "network"
            else:
                return
        state["busy"] = True
        try:
            frame = getframe(1)
            if event in introspect:
                # The direct caller: torch and Triton read frames and code objects all the time.
                culprit = kind_of(frame.f_code.co_filename) == "candidate"
            else:
                f = frame
                # Past the stdlib and past the harness's own reporting wrappers (registered code):
                # a candidate calling a wrapped `_thread.start_new` reached the C function from the
                # wrapper's frame, which passed for the harness's, and its thread ran (red team 8).
                while f is not None and (kind_of(f.f_code.co_filename) == "stdlib" or f.f_code in registered):
                    f = f.f_back
                owner = kind_of(f.f_code.co_filename) if f is not None else "stdlib"
                if owner == "triton":
                    culprit = False  # Triton's compiler (ptxas, gcc)
                elif rule == "environment_probe":
                    # Whose read: the nearest frame that is the candidate's, torch's, Triton's or the
                    # harness's. NumPy's loadtxt called by the candidate is the candidate's read;
                    # filelock reading boot_id for Inductor's cache lock (torch between it and the
                    # candidate) is torch's (an honest Inductor-derived candidate was refused).
                    near = next((k for k in (kind_of(g.f_code.co_filename) for g in _stack(f))
                                 if k in ("candidate", "torch", "triton", "harness")), None)
                    culprit = near == "candidate"
                elif rule in ("process_spawn", "signal"):
                    # In a candidate's worker only Triton spawns; the harness and torch never spawn
                    # or signal. One "from the harness" or a library is a callback the candidate
                    # left behind (weakref.finalize(out, os.system, ...), run when the output is freed).
                    culprit = True
                elif owner == "harness":
                    culprit = False
                elif owner == "candidate":
                    culprit = True
                elif rule == "file_metadata":
                    culprit = False  # a library's own (Inductor's file locks touch files); seccomp denies it anyway
                elif rule == "ctypes":
                    culprit = False  # libraries load their native parts through ctypes on demand
                else:  # torch or another library: the candidate's when the candidate asked for it
                    culprit = False
                    g = f
                    while g is not None:
                        if kind_of(g.f_code.co_filename) == "candidate":
                            culprit = True
                            break
                        g = g.f_back
            if not culprit:
                return
            detail = event
            if event == "object.__getattr__" and len(args) > 1:
                detail = f"{event}({args[1]!s:.40})"
            elif event == "open" and args:
                detail = f"open({_opened(args[0])!s:.60})"
            events.append(("blocked", rule, detail, line_in_candidate(frame)))
        finally:
            state["busy"] = False
        raise PermissionError(f"tritonize: {detail} is not allowed in a kernel candidate (rule {rule})")

    return hook


_INSTALLED = False


def install() -> None:
    """Once per worker process, before any job: the hook lies dormant until `arm`."""
    global _INSTALLED
    if not _INSTALLED:
        sys.addaudithook(_make_hook())
        _audit_fork_exec()
        _INSTALLED = True


def _audit_fork_exec() -> None:
    """`_posixsubprocess.fork_exec` (what subprocess.Popen calls) raises no audit event of its own:
    called directly it started a child process unseen (red team 7: a child used as an oracle).
    It now raises one, except inside Popen, which raised "subprocess.Popen" already."""
    try:
        import _posixsubprocess
        import subprocess
    except ImportError:
        return
    original = _posixsubprocess.fork_exec
    popen_codes = (subprocess.Popen.__init__.__code__, subprocess.Popen._execute_child.__code__)
    getframe = sys._getframe

    def fork_exec(*args: Any, **kwargs: Any) -> Any:
        f1 = getframe(1)
        f2 = f1.f_back
        if not (f1.f_code is popen_codes[1] and f2 is not None and f2.f_code is popen_codes[0]):
            sys.audit("_posixsubprocess.fork_exec", args[0] if args else None)
        return original(*args, **kwargs)

    _posixsubprocess.fork_exec = fork_exec
    subprocess._fork_exec = fork_exec


def register(*codes: Any) -> None:
    """Code objects allowed to add evidence (only before arming)."""
    sys.audit("tritonize.register", *codes)


def arm(candidate_path: str) -> None:
    """From now on, the candidate's events are refused and recorded (one way: no disarm)."""
    sys.audit("tritonize.arm", candidate_path)


def reader() -> Callable[[], tuple]:
    """A reader bound to the real sys.audit as it is now (take it before the candidate loads)."""
    audit = sys.audit

    def read() -> tuple:
        box: list = []
        audit("tritonize.read", box)
        return box[0] if box else ()

    return read


_CLASSIFY: dict[str, Any] = {"roots": None, "candidate": None, "cache": {}}


def classify(filename: str) -> str:
    """'candidate' | 'harness' | 'stdlib' | 'triton' | 'torch' | 'library' for a code filename
    (the op recorder's attribution; the hook keeps its own private copy)."""
    c = _CLASSIFY
    k = c["cache"].get(filename)
    if k is not None:
        return k
    if c["roots"] is None:
        c["roots"] = _ordered_roots()
    if filename.startswith("<frozen"):
        k = "stdlib"
    elif filename.startswith("<"):
        k = "candidate"
    else:
        path = os.path.realpath(filename)
        k = "candidate"
        if path != c["candidate"]:
            for root, kind in c["roots"]:
                if path.startswith(root + os.sep):
                    k = kind
                    break
    c["cache"][filename] = k
    return k


def set_candidate(path: str) -> None:
    _CLASSIFY["candidate"] = os.path.realpath(path)
    _CLASSIFY["cache"].clear()
    # Fixed now, before the candidate loads, so the integrity snapshot covers the table itself.
    _CLASSIFY["roots"] = _ordered_roots()
