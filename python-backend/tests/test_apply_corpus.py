"""The Apply corpus, end to end on the CPU: every selection in apply_corpus/selections.py is
extracted (inputs recorded by running the file), applied with its candidate in both placements
(Triton candidates run under TRITON_INTERPRET=1), and the edited program is run: its output must be
the original program's, byte for byte.

Slow (a few interpreter starts per selection): `-m "not gpu"` runs it; `-k` picks one selection.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

sys.path.insert(0, str(Path(__file__).parent))
from apply_corpus.selections import SELECTIONS  # noqa: E402

CORPUS = Path(__file__).parent / "apply_corpus"
TIMEOUT = float(os.environ.get("TRITONIZE_CORPUS_TIMEOUT", "600"))  # generous: CI machines are shared


def selection_range(text: str, how: str, what) -> tuple[tuple[int, int], tuple[int, int]]:
    """1-based (line, column) start and end (end column exclusive)."""
    lines = text.split("\n")
    if how == "lines":
        first, count = what
        i = next(k for k, ln in enumerate(lines) if ln.strip().startswith(first))
        last = i + count - 1
        return (i + 1, 1), (last + 1, len(lines[last]) + 1)
    if how == "expr":
        off = text.index(what)
        line = text.count("\n", 0, off) + 1
        col = off - (text.rfind("\n", 0, off) + 1) + 1
        end_off = off + len(what)
        eline = text.count("\n", 0, end_off) + 1
        ecol = end_off - (text.rfind("\n", 0, end_off) + 1) + 1
        return (line, col), (eline, ecol)
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == what)
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return (first, 1), (node.end_lineno, len(lines[node.end_lineno - 1]) + 1)


def run_program(path: Path) -> str:
    env = dict(os.environ, TRITON_INTERPRET="1", PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, path.name], cwd=path.parent, capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, f"{path.name} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


@lru_cache(maxsize=None)
def original_output(name: str) -> str:
    return run_program(CORPUS / name)


def faithful(problem: str) -> str:
    """A candidate that computes exactly what the problem's Model does (its own code, as ModelNew)."""
    return problem + "\n\nclass ModelNew(Model):\n    pass\n"


def _id(sel) -> str:
    file, how, what, cand = sel
    w = what[0] if isinstance(what, tuple) else what
    return f"{file.removesuffix('.py')}:{how}:{w[:28]}"


@pytest.mark.parametrize("sel", SELECTIONS, ids=[_id(s) for s in SELECTIONS])
def test_corpus_selection(sel, tmp_path):
    file, how, what, cand = sel
    text = (CORPUS / file).read_text()
    start, end = selection_range(text, how, what)
    work = tmp_path / "orig"
    work.mkdir()
    shutil.copy(CORPUS / file, work / file)
    extracted = extract(text, str(work / file), start, end, timeout=TIMEOUT)
    ext = extracted[0]
    assert ext.shapes == "recorded" and not ext.guessed, ext.shapes
    compile(ext.problem, "problem.py", "exec")
    code = faithful(ext.problem) if cand == "faithful" else (CORPUS / "candidates" / cand).read_text()
    expected = original_output(file)
    for placement in ("same-file", "module"):
        d = tmp_path / placement
        d.mkdir()
        target = d / file
        shutil.copy(CORPUS / file, target)
        res = apply_candidate(text, str(target), start, end, code, placement=placement, timeout=TIMEOUT,
                              extracted=(ext, extracted[1]))
        assert res["check"]["ok"], res["check"]
        target.write_text(res["text"])
        if res["module"]:
            Path(res["module"]["path"]).write_text(res["module"]["text"])
            assert Path(res["module"]["path"]).parent == d
        assert res["text"] != text
        out = run_program(target)
        assert out == expected, f"{placement}: output changed\n--- expected\n{expected}--- got\n{out}\n{res['diff']}"
