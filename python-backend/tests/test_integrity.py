"""The verifier's self-check (judge/integrity.py) on a private copy of the package: judges sharing an
install rewrite its bytecode (a fresh install, parallel processes) without that reading as tampering,
while a changed source or a forged .pyc still does. Found on a fresh GPU machine, where 8 parallel
test processes judged 217 candidates `verifier_tampered` from one another's bytecode temp files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tritonize.judge import integrity

# Each scenario arms, changes one thing as another process would, and prints check()'s answer.
SCENARIO = r"""
import importlib.util, json, marshal, sys
from pathlib import Path
from tritonize.judge import integrity
assert str(integrity.PACKAGE).startswith(sys.argv[2]), integrity.PACKAGE  # the copy, never the real package
integrity.arm()
src = integrity.PACKAGE / "judge" / "verdicts.py"
pyc = Path(importlib.util.cache_from_source(str(src)))
what = sys.argv[1]
if what == "temp":          # importlib's atomic write, caught mid-way
    (pyc.parent / (pyc.name + ".140540219291440")).write_bytes(pyc.read_bytes())
elif what == "recompiled":  # same code, other bytes (as two compiles with other hash seeds give)
    data = pyc.read_bytes()
    pyc.write_bytes(data[:16] + marshal.dumps(marshal.loads(data[16:]), 2))
elif what == "forged":      # the source's header, other code
    data = pyc.read_bytes()
    pyc.write_bytes(data[:16] + marshal.dumps(compile("VERDICT = 'correct'", str(src), "exec")))
elif what == "garbage":     # bytes marshal cannot read
    pyc.write_bytes(pyc.read_bytes()[:16] + b"\xff" * 64)
elif what == "source":
    src.write_text(src.read_text() + "\n# changed\n")
print(json.dumps(integrity.check()))
"""


@pytest.fixture
def copy(tmp_path) -> Path:
    root = tmp_path
    shutil.copytree(integrity.PACKAGE, root / "tritonize", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _check_after(copy: Path, what: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", SCENARIO, what, str(copy)], env={**os.environ, "PYTHONPATH": str(copy)},
                          cwd=copy, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("what", ["temp", "recompiled"])
def test_another_judges_bytecode_writes_are_not_tampering(copy, what):
    assert _check_after(copy, what) == []


@pytest.mark.parametrize("what", ["forged", "garbage", "source"])
def test_changed_code_is_still_tampering(copy, what):
    changed = _check_after(copy, what)
    assert any("verdicts" in c for c in changed), changed
