"""Apply cases found by the red team (a helper that had only the CLI contract), end to end: the
program is run, the selection extracted with its inputs recorded, applied with a faithful candidate
(the problem's own Model as ModelNew), and the edited program run again. Its output must not change,
or the extraction must refuse with a reason a user can act on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from programs import run_program

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

# A module global that a function rebinds with `global` while the program runs: a copy of its value
# in the kernel would be stale after set_scale(3.0).
REBOUND = textwrap.dedent('''\
    import torch

    SCALE = 1.0


    def make_act(bias):
        def act(x):
            y = torch.sigmoid(x + bias) * SCALE
            return y
        return act


    def set_scale(s):
        global SCALE
        SCALE = s


    if __name__ == "__main__":
        torch.manual_seed(9)
        x = torch.randn(5, 3)
        f = make_act(0.5)
        a = f(x).sum().item()
        set_scale(3.0)
        b = f(x).sum().item()
        print(f"{a:.6f} {b:.6f}")
    ''')

# The selection appends to a module-level list: a kernel cannot do that on the caller's object.
CONTAINER = textwrap.dedent('''\
    import torch

    LOG = []


    def layer(x, w):
        h = x @ w
        LOG.append(h.shape[0])
        y = torch.relu(h)
        return y


    if __name__ == "__main__":
        torch.manual_seed(3)
        print(layer(torch.randn(3, 4), torch.randn(4, 5)).sum().item(), LOG)
    ''')

# A helper copied into the kernel module that reads a rebound global would freeze it: refused.
REBOUND_HELPER = textwrap.dedent('''\
    import torch

    GAIN = 1.0


    def scaled(t):
        return t * GAIN


    def set_gain(g):
        global GAIN
        GAIN = g


    def f(x):
        y = scaled(x) + 1
        return y


    if __name__ == "__main__":
        print(f(torch.ones(2)).sum().item())
    ''')

SIMPLE = textwrap.dedent('''\
    import torch


    def f(x, w):
        h = x @ w
        y = torch.relu(h) * 2
        return y


    if __name__ == "__main__":
        torch.manual_seed(1)
        print(f"{f(torch.randn(3, 4), torch.randn(4, 5)).sum().item():.6f}")
    ''')


def run(path: Path) -> str:
    p = run_program(path, env=dict(os.environ, PYTHONHASHSEED="0", TRITON_INTERPRET="1"))  # a Triton kernel on the CPU
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def lines_of(text: str, first: str, count: int = 1):
    lines = text.replace("\r\n", "\n").split("\n")
    i = next(k for k, ln in enumerate(lines) if ln.strip().startswith(first))
    last = i + count - 1
    return (i + 1, 1), (last + 1, len(lines[last]) + 1)


def faithful(problem: str) -> str:
    return problem + "\n\nclass ModelNew(Model):\n    pass\n"


def apply_and_run(tmp_path: Path, text: str, first: str, count: int, placement: str, newline: str = "\n"):
    path = tmp_path / "prog.py"
    path.write_bytes(text.replace("\n", newline).encode())
    before = run(path)
    data = path.read_bytes().decode()
    e, src = extract(data, str(path), *lines_of(data, first, count))
    res = apply_candidate(data, str(path), *lines_of(data, first, count), faithful(e.problem), placement=placement,
                          extracted=(e, src))
    path.write_bytes(res["text"].encode())
    if res["module"]:
        Path(res["module"]["path"]).write_bytes(res["module"]["text"].encode())
    return before, run(path), res


@pytest.mark.parametrize("placement", ["same-file", "module"])
def test_a_global_rebound_at_run_time_is_read_at_the_call_site(tmp_path, placement):
    before, after, res = apply_and_run(tmp_path, REBOUND, "y = torch.sigmoid", 1, placement)
    assert after == before
    site = [ln for ln in res["text"].split("\n") if "tritonize_" in ln and "def " not in ln and "import" not in ln]
    assert any("SCALE" in ln for ln in site), site  # passed at the call, not frozen in the kernel


def test_a_helper_that_reads_a_rebound_global_is_refused(tmp_path):
    with pytest.raises(ExtractError) as info:
        extract(REBOUND_HELPER, str(tmp_path / "p.py"), *lines_of(REBOUND_HELPER, "y = scaled"), record_inputs=False)
    assert "'GAIN'" in info.value.reason and "reassigns" in info.value.reason


def test_changing_a_python_container_in_place_is_refused(tmp_path):
    with pytest.raises(ExtractError) as info:
        extract(CONTAINER, str(tmp_path / "p.py"), *lines_of(CONTAINER, "h = x @ w", 3), record_inputs=False)
    assert ".append" in info.value.reason and info.value.line == 8


def test_a_module_level_list_is_not_copied_by_value(tmp_path):
    # Reading (not changing) the list: extraction may pass it or refuse it, never copy it silently.
    text = CONTAINER.replace("LOG.append(h.shape[0])", "n = len(LOG)")
    try:
        e, _ = extract(text, str(tmp_path / "p.py"), *lines_of(text, "h = x @ w", 3), record_inputs=False)
    except ExtractError:
        return
    assert "LOG = []" not in e.problem


@pytest.mark.parametrize("placement", ["same-file", "module"])
def test_crlf_files_keep_crlf_line_endings(tmp_path, placement):
    before, after, res = apply_and_run(tmp_path, SIMPLE, "h = x @ w", 2, placement, newline="\r\n")
    assert after == before
    for text in [res["text"]] + ([res["module"]["text"]] if res["module"] else []):
        assert "\n" not in text.replace("\r\n", ""), "LF line inside a CRLF file"
    for e in res["edits"]:
        assert "\n" not in e["newText"].replace("\r\n", "")


def test_init_values_that_compare_equal_build_separate_kernels(tmp_path):
    # 1, 1.0 and True are equal as dict keys; the cache of built kernels must not merge them.
    res_text = apply_and_run(tmp_path, SIMPLE, "h = x @ w", 2, "same-file")[2]["text"]
    assert "lru_cache" not in res_text and "repr(init)" in res_text


def test_refusal_messages_say_what_is_wrong(tmp_path):
    nonlocal_src = textwrap.dedent('''\
        import torch


        def outer(x):
            n = 0

            def inner():
                nonlocal n
                n += 1
                return x * n
            return inner()
        ''')
    with pytest.raises(ExtractError) as info:
        extract(nonlocal_src, str(tmp_path / "p.py"), *lines_of(nonlocal_src, "nonlocal n", 3), record_inputs=False)
    assert "nonlocal" in info.value.reason
    fstr = 'import torch\n\n\ndef report(x, w):\n    print(f"proj={(x @ w).sum().item():.6f}")\n'
    col = fstr.split("\n")[4].index("(x @ w)") + 1
    with pytest.raises(ExtractError) as info:
        extract(fstr, str(tmp_path / "p.py"), (5, col), (5, col + len("(x @ w)")), record_inputs=False)
    assert "f-string" in info.value.reason
