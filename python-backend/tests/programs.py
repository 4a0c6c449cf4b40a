"""Run a user's program as `python PROGRAM ARGS...` would, for the Apply tests.

Each Apply test runs the program before and after the edit; a started interpreter pays 2-4 s of
`import torch` on the CI's two cores, about a third of the Apply tests' time. The program runs in a
child of the extract fork server instead (tritonize/extract/fork_server.py: its own session,
environment, folder, argv and interpreter exit, with torch already imported). Set
TRITONIZE_TEST_FRESH_PROGRAMS=1 to start a fresh interpreter for each run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)


def run_program(path: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ if env is None else env)
    cwd = cwd or path.parent
    if os.environ.get("TRITONIZE_TEST_FRESH_PROGRAMS") != "1":
        done = _forked(path, args, cwd, env, timeout)
        if done is not None:
            return done
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=env)


def _forked(path: Path, args: tuple[str, ...], cwd: Path, env: dict[str, str], timeout: float):
    from tritonize.extract.runner import _fork_server, _kill_group
    from tritonize.judge.zygote import ZygoteError

    child_env = {**env, "PYTHONPATH": os.pathsep.join([HERE, *filter(None, [env.get("PYTHONPATH")])])}
    server = _fork_server(child_env)
    if server is None:
        return None
    with tempfile.TemporaryDirectory(prefix="tritonize-program-") as tmp:
        out_p, err_p = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        try:
            with open(out_p, "wb") as out, open(err_p, "wb") as err:
                child = server.request({"module": "_script_main", "args": [str(path), *args], "env": child_env,
                                        "cwd": str(cwd)}, [out.fileno(), err.fileno()])
        except ZygoteError:
            return None
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child.pid)
            child.wait(30)
            raise
        read = lambda p: Path(p).read_text(errors="replace")  # noqa: E731
        return subprocess.CompletedProcess([sys.executable, str(path), *args], code, read(out_p), read(err_p))
