"""Parent side of the child processes this package starts: recording real inputs from the user's
entry point, and the behaviour check of an edit. Each runs in its own interpreter with a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .errors import ExtractError

BACKEND_ROOT = str(Path(__file__).resolve().parents[2])


def child_env(extra_path: list[str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    path = [BACKEND_ROOT, *(extra_path or [])]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(path)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_child(module: str, spec: dict[str, Any], timeout: float, what: str,
              extra_path: list[str] | None = None, cwd: str | None = None,
              env_extra: dict[str, str | None] | None = None) -> Any:
    """`env_extra`: variables set (None: removed) in the child's environment from its start."""
    env = child_env(extra_path)
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    with tempfile.TemporaryDirectory(prefix="tritonize-extract-") as tmp:
        spec_path, out_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "out.json")
        spec = {**spec, "tmp": tmp}
        Path(spec_path).write_text(json.dumps(spec))
        try:
            code, stderr = _run(module, [spec_path, out_path], env, cwd or tmp, timeout, tmp)
        except subprocess.TimeoutExpired:
            raise ExtractError(f"{what} did not finish within {timeout:g} s") from None
        finally:
            failed = restore_files(tmp)
        if failed:
            raise ExtractError(f"{what} wrote to {failed[0]}, and its earlier content could not be put back; "
                               "check that file")
        if not os.path.exists(out_path):
            tail = stderr.strip().splitlines()[-1:] or [f"exit status {code}"]
            raise ExtractError(f"{what} failed: {tail[0]}")
        return json.loads(Path(out_path).read_text())


def _run(module: str, args: list[str], env: dict[str, str], cwd: str, timeout: float, tmp: str) -> tuple[int, str]:
    """`python -m module args...` in `cwd` with exactly `env`: forked from the fork server where
    there is one (the same child without its 2-4 s of importing torch), else started. Returns the
    exit status and stderr; raises subprocess.TimeoutExpired after killing the child's group."""
    server = _fork_server(env)
    if server is not None:
        from ..judge.zygote import ZygoteError

        err_path = os.path.join(tmp, "child-stderr.txt")
        try:
            with open(os.path.join(tmp, "child-stdout.txt"), "wb") as out, open(err_path, "wb") as err:
                child = server.request({"module": module, "args": args, "env": env, "cwd": cwd},
                                       [out.fileno(), err.fileno()])
        except ZygoteError:
            child = None  # e.g. torch failed to import there: a started child says why
        if child is not None:
            try:
                code = child.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_group(child.pid)
                child.wait(30)
                raise
            return code, Path(err_path).read_text(errors="replace")
    proc = subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, text=True,
                          errors="replace")
    return proc.returncode, proc.stderr or ""


def _kill_group(pid: int) -> None:
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)  # the forked child leads its own session (fork_server._child)
    except OSError:
        pass


def _fork_server(child: dict[str, str]) -> Any:
    """The fork server for children of this interpreter and the child's import-relevant environment
    (judge/zygote.shared), or None. Its PYTHONPATH is this package's alone (each child sets its own)."""
    from ..judge.zygote import shared

    return shared("tritonize.extract.fork_server", sys.executable, {**child, "PYTHONPATH": child_env()["PYTHONPATH"]})


def restore_files(tmp: str) -> list[str]:
    """Undo what the child's program wrote to files (see record._KeepFiles): each file it opened for
    writing gets its bytes (and mode and times) back, each file it created is removed. Returns the
    paths that could not be restored."""
    manifest = os.path.join(tmp, "files.jsonl")
    if not os.path.exists(manifest):
        return []
    import shutil
    failed = []
    for line in Path(manifest).read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed child: its file was not opened yet
        try:
            if entry["backup"]:
                os.makedirs(os.path.dirname(entry["path"]), exist_ok=True)  # its folder was removed
                shutil.copy2(entry["backup"], entry["path"])
            elif os.path.isfile(entry["path"]):
                os.remove(entry["path"])
        except OSError:
            failed.append(entry["path"])
    return failed
