"""Apply's children forked from the fork server (extract/fork_server.py) are what a started
`python -m MODULE ARGS` is: the same argv, folder, sys.path, environment, hash seed, stdio, exit
status and interpreter exit; a timeout kills the child's whole group; a dead server is replaced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tritonize.extract import runner

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux-only")

PROBE = r'''
import atexit, json, os, sys
def bye():
    with open(os.path.join(os.environ["PROBE_OUT"], "atexit.txt"), "w") as f:
        f.write("ran")
atexit.register(bye)
print("to stdout, buffered")
print("to stderr", file=sys.stderr)
info = {"argv": sys.argv, "cwd": os.getcwd(), "path": sys.path[:3], "main": __name__,
        "env": {k: os.environ.get(k) for k in ("PROBE_OUT", "PROBE_FLAG", "PYTHONHASHSEED")},
        "hash": hash("tritonize"), "stdin": sys.stdin.read(), "torch_loaded": "torch" in sys.modules,
        "open_fds": sorted(int(f) for f in os.listdir("/proc/self/fd"))[:6]}
with open(os.path.join(os.environ["PROBE_OUT"], "info.json"), "w") as f:
    json.dump(info, f)
sys.exit(int(os.environ.get("PROBE_CODE", "0")))
'''


def _probe(tmp_path: Path, forked: bool, monkeypatch, code: int = 3) -> tuple[int, str, dict]:
    mods, out, cwd = tmp_path / "mods", tmp_path / ("out-f" if forked else "out-s"), tmp_path / "cwd"
    for d in (mods, out, cwd):
        d.mkdir(exist_ok=True)
    (mods / "probe_mod.py").write_text(PROBE)
    monkeypatch.setenv("TRITONIZE_NO_ZYGOTE", "0" if forked else "1")
    monkeypatch.setenv("PROBE_OUT", str(out))
    monkeypatch.setenv("PROBE_FLAG", "x")
    monkeypatch.setenv("PROBE_CODE", str(code))
    status, err = runner._run("probe_mod", ["a", "b c"], runner.child_env([str(mods)]), str(cwd), 120, str(out))
    return status, err, json.loads((out / "info.json").read_text()) | {"atexit": (out / "atexit.txt").exists()}


def test_a_forked_child_sees_what_a_started_one_sees(tmp_path, monkeypatch):
    started = _probe(tmp_path, False, monkeypatch)
    forked = _probe(tmp_path, True, monkeypatch)
    assert started[0] == forked[0] == 3
    assert "to stderr" in forked[1] and "to stderr" in started[1]
    s, f = started[2], forked[2]
    assert f["argv"][1:] == s["argv"][1:] == ["a", "b c"]
    assert Path(f["argv"][0]).name == Path(s["argv"][0]).name == "probe_mod.py"
    assert f["cwd"] == s["cwd"] and f["path"] == s["path"] and f["path"][0] == f["cwd"]
    assert f["main"] == s["main"] == "__main__"
    assert f["env"]["PROBE_FLAG"] == "x" and f["env"]["PYTHONHASHSEED"] == s["env"]["PYTHONHASHSEED"]
    assert f["hash"] == s["hash"]  # the same hash seed: set iteration orders as in a started child
    assert f["stdin"] == s["stdin"] == ""
    assert f["atexit"] and s["atexit"]  # the interpreter's exit ran (flushed files, atexit handlers)
    assert f["open_fds"][:3] == [0, 1, 2] and len(f["open_fds"]) <= len(s["open_fds"]) + 1  # nothing of the server's
    assert f["torch_loaded"] and not s["torch_loaded"]  # the point of it


def test_an_exception_is_status_1_with_its_traceback(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "boom_mod.py").write_text("raise ValueError('the user program failed here')\n")
    monkeypatch.setenv("TRITONIZE_NO_ZYGOTE", "0")
    status, err = runner._run("boom_mod", [], runner.child_env([str(mods)]), str(tmp_path), 120, str(tmp_path))
    assert status == 1 and "ValueError: the user program failed here" in err


def test_a_timeout_kills_the_child_and_what_it_started(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    pidfile = tmp_path / "grandchild.pid"
    (mods / "slow_mod.py").write_text(
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(300)\n")
    monkeypatch.setenv("TRITONIZE_NO_ZYGOTE", "0")
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        runner._run("slow_mod", [], runner.child_env([str(mods)]), str(tmp_path), 8, str(tmp_path))
    assert time.monotonic() - t0 < 60
    grandchild = int(pidfile.read_text())
    for _ in range(50):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(grandchild, 9)
        pytest.fail("the child's own subprocess outlived the timeout")


def test_a_child_that_kills_its_server_fails_alone_and_the_next_child_runs(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "rogue_mod.py").write_text("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n")
    (mods / "fine_mod.py").write_text("import sys\nsys.exit(7)\n")
    monkeypatch.setenv("TRITONIZE_NO_ZYGOTE", "0")
    env = runner.child_env([str(mods)])
    status, _ = runner._run("rogue_mod", [], env, str(tmp_path), 120, str(tmp_path))
    assert status != 0  # its status died with the server: reported as killed, never as success
    status, _ = runner._run("fine_mod", [], env, str(tmp_path), 120, str(tmp_path))
    assert status == 7
