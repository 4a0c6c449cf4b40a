"""The Apply corpus, end to end on the CPU: every selection in apply_corpus/selections.py is
extracted with its inputs recorded by running the file, applied with its candidate in both
placements (Triton candidates run under TRITON_INTERPRET=1), behaviour-checked, and the edited
program is run: its output must be the original program's, byte for byte.

Batched per corpus file so the interpreter starts a few times per file, not per selection: one
recording run for all of a file's selections, one child for all behaviour checks, one child that
runs every edited copy (each as __main__ in its own folder; see apply_corpus/run_programs.py).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.check import alias_info, behaviour_checks
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import HookOnly, extract, find_entry, record_many
from tritonize.extract.source import SourceFile

sys.path.insert(0, str(Path(__file__).parent))
from apply_corpus.selections import SELECTIONS  # noqa: E402

CORPUS = Path(__file__).parent / "apply_corpus"
TIMEOUT = float(os.environ.get("TRITONIZE_CORPUS_TIMEOUT", "900"))  # generous: CI machines are shared
FILES = sorted({s[0] for s in SELECTIONS})


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
        end_off = off + len(what)

        def pos(o: int) -> tuple[int, int]:
            return text.count("\n", 0, o) + 1, o - (text.rfind("\n", 0, o) + 1) + 1
        return pos(off), pos(end_off)
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == what)
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return (first, 1), (node.end_lineno, len(lines[node.end_lineno - 1]) + 1)


def faithful(problem: str) -> str:
    """A candidate that computes exactly what the problem's Model does (its own code, as ModelNew)."""
    return problem + "\n\nclass ModelNew(Model):\n    pass\n"


def run_programs(paths: list[Path]) -> dict[str, dict]:
    out = paths[0].parent.parent / "outputs.json"
    env = dict(os.environ, TRITON_INTERPRET="1", PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, str(CORPUS / "run_programs.py"), str(out), *map(str, paths)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=paths[0].parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("file", FILES)
def test_corpus_file(file, tmp_path):
    sels = [s for s in SELECTIONS if s[0] == file]
    text = (CORPUS / file).read_text()
    orig = tmp_path / "orig" / file
    orig.parent.mkdir()
    shutil.copy(CORPUS / file, orig)
    ranges = [selection_range(text, how, what) for _, how, what, _ in sels]

    hooks: list[dict] = []
    for start, end in ranges:
        with pytest.raises(HookOnly):
            extract(text, str(orig), start, end, hooks=hooks)
    entry = find_entry(SourceFile(text), str(orig), None)
    recorded = record_many(str(orig), hooks, entry, TIMEOUT)

    failures: list[str] = []
    pairs, variants, labels = [], [], []
    for n, ((_, how, what, cand), (start, end), rec) in enumerate(zip(sels, ranges, recorded)):
        label = f"{file} {how} {what[0] if isinstance(what, tuple) else what}"
        try:
            ext, src = extract(text, str(orig), start, end, recorded=rec)
            assert ext.shapes == "recorded" and not ext.guessed
            compile(ext.problem, "problem.py", "exec")
            code = faithful(ext.problem) if cand == "faithful" else (CORPUS / "candidates" / cand).read_text()
            for placement in ("same-file", "module"):
                d = tmp_path / f"{n}-{placement}"
                d.mkdir()
                target = d / file
                res = apply_candidate(text, str(target), start, end, code, placement=placement, check=False,
                                      extracted=(ext, src))
                assert res["text"] != text
                target.write_text(res["text"])
                if res["module"]:
                    Path(res["module"]["path"]).write_text(res["module"]["text"])
                pairs.append({"original": ext.problem, "applied": res["appliedProblem"], "module": res["module"],
                              **alias_info(ext)})
                variants.append(target)
                labels.append(f"{label} [{placement}]")
        except (ExtractError, AssertionError) as e:
            failures.append(f"{label}: {e}")

    checks = behaviour_checks(pairs, TIMEOUT) if pairs else []
    outputs = run_programs([orig, *variants])
    expected = outputs[str(orig)]
    assert expected["error"] is None, expected["error"]
    for label, chk, target in zip(labels, checks, variants):
        got = outputs[str(target)]
        if not chk["ok"]:
            failures.append(f"{label}: behaviour check: {chk['reason']}")
        elif got["error"]:
            failures.append(f"{label}: the edited program failed: {got['error'].strip().splitlines()[-1]}")
        elif got["stdout"] != expected["stdout"]:
            failures.append(f"{label}: output changed: {got['stdout']!r} != {expected['stdout']!r}")
    passed = len(labels) - sum(1 for f in failures if "[" in f)
    print(f"\ncorpus {file}: {len(sels)} selections, {len(labels)} applies, {passed} unchanged outputs")
    assert not failures, "\n".join(failures)
