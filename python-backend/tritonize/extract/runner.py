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
              extra_path: list[str] | None = None, cwd: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tritonize-extract-") as tmp:
        spec_path, out_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "out.json")
        spec = {**spec, "tmp": tmp}
        Path(spec_path).write_text(json.dumps(spec))
        try:
            proc = subprocess.run([sys.executable, "-m", module, spec_path, out_path], env=child_env(extra_path),
                                  cwd=cwd or tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout, text=True, errors="replace")
        except subprocess.TimeoutExpired:
            raise ExtractError(f"{what} did not finish within {timeout:g} s") from None
        finally:
            failed = restore_files(tmp)
        if failed:
            raise ExtractError(f"{what} wrote to {failed[0]}, and its earlier content could not be put back; "
                               "check that file")
        if not os.path.exists(out_path):
            tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
            raise ExtractError(f"{what} failed: {tail[0]}")
        return json.loads(Path(out_path).read_text())


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
