"""Apply cases from the third red-team pass (/work/rt7/apply/cases/NN_*): each either gives the same
program output after Apply or is refused with one line naming the cause and the line."""

from __future__ import annotations

import difflib
import os
import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import faithful, lines_of, run


def refused(text: str, tmp_path, first: str, count: int = 1, **kw) -> ExtractError:
    with pytest.raises(ExtractError) as info:
        extract(text, str(tmp_path / "p.py"), *lines_of(text, first, count), record_inputs=False, **kw)
    return info.value


# 42 / 71: the CLI wrote the whole file back through text mode: CRLF became LF and a BOM was dropped.
CLI_FILE = textwrap.dedent('''\
    import torch


    def f(x):
        h = x * 2 + 1
        y = torch.relu(h)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(f(torch.randn(4)))
    ''')


@pytest.mark.parametrize("bom,newline", [(b"", "\r\n"), (b"\xef\xbb\xbf", "\n"), (b"\xef\xbb\xbf", "mixed")])
def test_cli_apply_keeps_line_endings_and_bom(tmp_path, bom, newline):
    from tritonize.extract.__main__ import main
    lines = CLI_FILE.split("\n")
    if newline == "mixed":  # every other line CRLF
        body = "".join(ln + ("\r\n" if k % 2 else "\n") for k, ln in enumerate(lines[:-1]))
    else:
        body = newline.join(lines)
    path = tmp_path / "prog.py"
    path.write_bytes(bom + body.encode())
    before = run(path)
    orig = path.read_bytes()
    e, _ = extract(CLI_FILE, str(path), *lines_of(CLI_FILE, "h = x * 2"), record_inputs=False)
    cand = tmp_path / "cand.py"
    cand.write_text(faithful(e.problem))
    assert main(["apply", str(path), "--lines", "5-5", "--candidate", str(cand)]) == 0
    new = path.read_bytes()
    assert new.startswith(bom) and (bom or not new.startswith(b"\xef\xbb\xbf"))
    # Apart from inserted text, only the selected statement changed: every other byte is the original.
    o_lines = orig.splitlines(True)
    sel_start = sum(len(ln) for ln in o_lines[:4])
    sel_end = sel_start + len(o_lines[4].rstrip(b"\r\n"))
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, orig, new, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert") or sel_start <= i1 <= i2 <= sel_end, (tag, orig[i1:i2])
    assert new.splitlines(True)[-7:] == o_lines[-7:]
    if newline == "\r\n":
        assert new.count(b"\n") == new.count(b"\r\n")
    assert run(path) == before


# 15 / 15b / 16: a helper the selection calls prints, logs or appends to a module-level list; the
# kernel (or the helper's copy in the kernel module, with its own list) would drop that.
HELPERS = textwrap.dedent('''\
    import logging
    import torch

    CALLS = []
    STATE = {"n": 0}
    log = logging.getLogger(__name__)


    def act(t):
        print("act called with", tuple(t.shape))
        return torch.relu(t) * 3.0


    def record(t):
        CALLS.append(tuple(t.shape))
        return t


    def count(t):
        STATE["n"] += 1
        return t


    def deep(t):
        log.info("deep")
        return t * 2


    def middle(t):
        return deep(t) + 1


    def local_list(t):
        parts = []
        parts.append(t)
        parts.append(t * 2)
        return torch.cat(parts)


    def f(x):
        y = act(x)
        y = record(x)
        y = count(x)
        y = middle(x)
        y = local_list(x)
        return y
    ''')


def test_side_effects_in_called_helpers_are_refused(tmp_path):
    for call, helper, effect, line in (("y = act(x)", "act", "(print(…), line 10)", 10),
                                       ("y = record(x)", "record", "(CALLS.append(…) changes the module-level CALLS, line 15)", 15),
                                       ("y = count(x)", "count", "STATE", 20),
                                       ("y = middle(x)", "deep", "(log.info(…), line 25)", 25)):
        err = refused(HELPERS, tmp_path, call)
        assert f"the selection uses {helper} (line" in err.reason and effect in err.reason, err.reason
        assert err.line == line
    # A helper's own local list is not module state.
    e, _ = extract(HELPERS, str(tmp_path / "p.py"), *lines_of(HELPERS, "y = local_list(x)"), record_inputs=False)
    assert "def local_list" in e.problem


def test_a_whole_function_that_prints_is_refused(tmp_path):
    text = HELPERS.replace("def act(t):", "def act(t):\n    t = t + 0", 1)
    err = refused(text, tmp_path, "def act(t):", 4)
    assert err.reason.startswith("act has a side effect the kernel would drop (print(…), line 11)")


def test_helper_side_effect_end_to_end(tmp_path):
    # 16: the program's output would lose the helper's print.
    text = HELPERS + '\n\nif __name__ == "__main__":\n    print(f(torch.ones(2)))\n'
    path = tmp_path / "prog.py"
    path.write_text(text)
    start, end = lines_of(text, "y = act(x)")
    with pytest.raises(ExtractError) as info:
        apply_candidate(text, str(path), start, end, "", check=False)
    assert "print(…), line 10" in info.value.reason and path.read_text() == text


# 14: random draws advance the global generator; a kernel would not, so later draws would change.
RNG = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def noisy(t):
        return t + t.new_empty(t.shape).uniform_()


    def f(x):
        y = x + 0.0 * torch.rand_like(x)
        y = F.dropout(x, 0.1)
        y = F.dropout(x, 0.1, training=False)
        y = noisy(x)
        y = x.bernoulli()
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(4)
        print(f(x))
        print(torch.randn(3))
    ''')


def test_random_draws_in_the_selection_or_its_helpers_are_refused(tmp_path):
    for first, what in (("y = x + 0.0", "torch.rand_like(…), line 10"), ("y = F.dropout(x, 0.1)", "F.dropout(…), line 11"),
                        ("y = x.bernoulli()", "x.bernoulli(…), line 14")):
        err = refused(RNG, tmp_path, first)
        assert err.reason.startswith(f"the selection draws random numbers ({what})"), err.reason
    err = refused(RNG, tmp_path, "y = noisy(x)")
    assert "the selection uses noisy (line 5), which draws random numbers (t.new_empty(t.shape).uniform_(…), line 6)" \
        in err.reason
    # Dropout with training=False draws nothing.
    extract(RNG, str(tmp_path / "p.py"), *lines_of(RNG, "y = F.dropout(x, 0.1, training=False)"), record_inputs=False)
    # End to end (the case as found): refused, file untouched.
    path = tmp_path / "prog.py"
    path.write_text(RNG)
    start, end = lines_of(RNG, "y = x + 0.0")
    with pytest.raises(ExtractError) as info:
        apply_candidate(RNG, str(path), start, end, faithful(""), check=False)
    assert "draws random numbers" in info.value.reason and path.read_text() == RNG


# 37 / 37c: a whole class applied must pickle and deep-copy (pickle finds the class by __module__ and
# __qualname__), and a class with members the replacement lacks is refused.
WHOLE = textwrap.dedent('''\
    import copy
    import pickle
    import torch
    import torch.nn as nn


    class Block(nn.Module):
        def __init__(self, d, scale=2.0):
            super().__init__()
            self.lin = nn.Linear(d, d)
            self.scale = scale

        def forward(self, x):
            return torch.relu(self.lin(x)) * self.scale


    class Child(Block):
        pass


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Block(4)
        x = torch.randn(2, 4)
        with torch.no_grad():
            print(m(x))
            print(pickle.loads(pickle.dumps(m))(x))
            print(copy.deepcopy(m)(x))
            print(Child(4)(x).shape)
        print(type(m).__name__, type(m).__qualname__, type(m).__module__, isinstance(m, Block))
    ''')


@pytest.mark.parametrize("placement", ["module", "same-file"])
def test_a_whole_class_pickles_and_keeps_its_module(tmp_path, placement):
    from test_apply_redteam import apply_and_run
    before, after, res = apply_and_run(tmp_path, WHOLE, "class Block", 8, placement)
    assert after == before and "Block Block __main__ True" in after


def test_a_whole_class_with_other_members_is_refused(tmp_path):
    text = WHOLE.replace("    def forward(self, x):", "    EXPANSION = 4\n\n    @property\n    def width(self):\n"
                         "        return self.lin.in_features\n\n    def forward(self, x):")
    path = tmp_path / "prog.py"
    path.write_text(text)
    start, end = lines_of(text, "class Block", 14)
    e, src = extract(text, str(path), start, end)
    with pytest.raises(ExtractError) as info:
        apply_candidate(text, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False)
    assert "class Block has members other than __init__ and forward (EXPANSION, line 13; width, line 16)" \
        in info.value.reason and "Select the body of Block.forward" in info.value.reason
    assert info.value.line == 13 and path.read_text() == text


# 62: the selection runs inside `with torch.autocast(...)` in the real program (bf16 matmul); the
# problem, the check and a kernel compute in float32.
AUTOCAST = textwrap.dedent('''\
    import torch


    def f(x, w):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = torch.relu(x @ w)
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        y = f(torch.randn(4, 8), torch.randn(8, 4))
        print(y.dtype, y)
    ''')


def test_a_selection_recorded_under_autocast_is_refused(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(AUTOCAST)
    start, end = lines_of(AUTOCAST, "y = torch.relu")
    e, src = extract(AUTOCAST, str(path), start, end)
    assert e.autocast == ["cpu"]
    for inference_only in (False, True):  # not the autograd refusal: --inference-only does not lift it
        with pytest.raises(ExtractError) as info:
            apply_candidate(AUTOCAST, str(path), start, end, faithful(e.problem), extracted=(e, src),
                            inference_only=inference_only)
        assert "with autocast on (cpu)" in info.value.reason and info.value.line == 6
    assert path.read_text() == AUTOCAST
    # Outside the with block (same file, the next call without autocast) nothing is refused.
    plain = AUTOCAST.replace('    with torch.autocast("cpu", dtype=torch.bfloat16):\n        y', '    if True:\n        y')
    path.write_text(plain)
    e, _ = extract(plain, str(path), start, end)
    assert e.autocast == []


# 64: two outputs are one tensor (`b = a`); a kernel returns two tensors, so `a.add_()` later would
# no longer show in `b`.
SAME_OUTPUT = textwrap.dedent('''\
    import torch


    def f(x):
        a = x * 2.0
        b = a
        a.add_(1.0)
        return a, b, a is b


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(f(torch.randn(3)))
    ''')


def separate(problem: str) -> str:
    """Same values, every result a new tensor (like a Triton kernel)."""
    return problem + textwrap.dedent('''


        class ModelNew(Model):
            def forward(self, *args):
                return tuple(t.clone() for t in super().forward(*args))
        ''')


def test_outputs_that_are_the_same_tensor_are_refused(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(SAME_OUTPUT)
    start, end = lines_of(SAME_OUTPUT, "a = x * 2.0", 2)
    e, src = extract(SAME_OUTPUT, str(path), start, end)
    with pytest.raises(ExtractError) as info:
        apply_candidate(SAME_OUTPUT, str(path), start, end, separate(e.problem), extracted=(e, src))
    assert "outputs a and b are the same tensor" in info.value.reason and info.value.line == 5
    # Distinct outputs with the same values apply.
    text = SAME_OUTPUT.replace("b = a\n", "b = a.clone()\n")
    path.write_text(text)
    start, end = lines_of(text, "a = x * 2.0", 2)
    e, src = extract(text, str(path), start, end)
    apply_candidate(text, str(path), start, end, separate(e.problem), extracted=(e, src))


# 78b: a dict argument was a "literal" constructor input cached by repr: the kernel wrote into the
# first caller's dict from then on. 66: an argument None in the recorded run, later a tensor whose
# repr matches another's (rounded, summarised): the module built for the first was reused.
DICT_ARG = textwrap.dedent('''\
    import torch


    def f(x, stats, b=None, s=1.0):
        stats["total"] = float(x.sum()) * 2.0
        y = x * 2.0 if b is None else x * 2.0 + b
        z = x * s
        return stats["total"] + 1.0, y, z


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(f(torch.randn(3), {}, s=2))
    ''')


def test_dict_none_and_non_literal_constructor_inputs(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(DICT_ARG)
    with pytest.raises(ExtractError) as info:
        extract(DICT_ARG, str(path), *lines_of(DICT_ARG, "stats["))
    assert "'stats' is a dict, neither a tensor nor a literal" in info.value.reason and info.value.line == 5
    start, end = lines_of(DICT_ARG, "y = x * 2.0 if")
    e, src = extract(DICT_ARG, str(path), start, end)
    with pytest.raises(ExtractError) as info:
        apply_candidate(DICT_ARG, str(path), start, end, faithful(e.problem), extracted=(e, src))
    assert "b is None in the recorded run" in info.value.reason and info.value.line == 6
    assert path.read_text() == DICT_ARG
    # `s` recorded as the int 2 is a constructor input keyed by repr; another kind of value (a tensor,
    # whose repr is rounded) raises instead of silently reusing the module built for another value.
    from test_apply_redteam import apply_and_run
    before, after, res = apply_and_run(tmp_path, DICT_ARG, "z = x * s", 1, "same-file")
    assert after == before
    import subprocess
    import sys
    probe = ("import torch, prog\n"
             "try:\n    prog.f(torch.ones(3), {}, s=torch.tensor(3.0))\n    print('reused')\n"
             "except TypeError as e:\n    print('refused', 'not a number or literal' in str(e))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, TRITON_INTERPRET="1"))
    assert out.stdout.strip() == "refused True", out.stderr[-2000:]


# 35 / 36: __name__ and __file__ in the kernel module are that module's, not the user's file's.
DUNDERS = textwrap.dedent('''\
    import os
    import torch


    def tag(t):
        return t * len(__file__)


    def f(x):
        y = x * (2.0 if __name__ == "__main__" else 3.0)
        y = x * len(os.path.basename(__file__))
        y = tag(x)
        return y
    ''')


def test_reading_the_module_name_or_file_is_refused(tmp_path):
    for first, what, line in (("y = x * (2.0", "the selection reads __name__ (line 10)", 10),
                              ("y = x * len(", "the selection reads __file__ (line 11)", 11),
                              ("y = tag(x)", "the selection uses tag (line 5), which reads __file__ (line 6)", 6)):
        err = refused(DUNDERS, tmp_path, first)
        assert err.reason.startswith(what), err.reason
        assert ("`name = __name__`" if "__name__" in what else "`file = __file__`") in err.reason
        assert err.line == line


# 67: an import alias the module rebinds later: the kernel's copy of the import keeps the real module.
REBOUND_IMPORT = textwrap.dedent('''\
    import os
    import os.path
    import torch
    import torch.nn.functional as F

    try:
        import numpy as np
    except ImportError:
        np = None


    def f(x):
        y = F.relu(x) * 2.0
        z = x * len(os.sep) + (0 if np is None else 1)
        return y + z


    class _Fake:
        @staticmethod
        def relu(t):
            return t * 100.0


    if __name__ == "__main__":
        x = torch.randn(3)
        print(f(x))
        F = _Fake()
        print(f(x))
    ''')


def test_an_import_the_module_binds_again_is_refused(tmp_path):
    err = refused(REBOUND_IMPORT, tmp_path, "y = F.relu")
    assert "'F' is imported (line 4) and the program binds it again (line 27)" in err.reason
    # Two imports of one name, and an import with its fallback in one try statement, are fine.
    extract(REBOUND_IMPORT, str(tmp_path / "p.py"), *lines_of(REBOUND_IMPORT, "z = x * len"), record_inputs=False)


# 49: models/net.py in a namespace package (no __init__.py), imported as models.net: module placement
# wrote `from net_triton import …`, which fails there. The same file run as a script has no package.
NS_NET = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            h = self.lin(x)
            y = torch.sigmoid(h) * h
            return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        with torch.no_grad():
            print(Net()(torch.randn(2, 4)))
    ''')
NS_RUN = "import torch\nfrom models.net import Net\n\ntorch.manual_seed(0)\nwith torch.no_grad():\n    print(Net()(torch.randn(2, 4)))\n"


def test_module_placement_in_a_namespace_package(tmp_path):
    (tmp_path / "models").mkdir()
    net, entry = tmp_path / "models" / "net.py", tmp_path / "run.py"
    net.write_text(NS_NET)
    entry.write_text(NS_RUN)
    before = run(entry), run(net)
    start, end = lines_of(NS_NET, "y = torch.sigmoid")
    e, src = extract(NS_NET, str(net), start, end, entry="../run.py")
    assert e.package == "models"
    res = apply_candidate(NS_NET, str(net), start, end, faithful(e.problem), placement="module", extracted=(e, src))
    net.write_text(res["text"])
    (tmp_path / "models" / "net_triton.py").write_text(res["module"]["text"])
    assert "from .net_triton import" in res["text"]
    assert (run(entry), run(net)) == before  # imported as models.net, and run as a script


def test_in_place_ops_on_a_copy_of_a_module_global_are_not_module_state(tmp_path):
    text = ("import torch\nBUF = torch.ones(3)\n\n\ndef h(t):\n    return BUF.clone().add_(t)\n\n\n"
            "def f(x):\n    y = h(x)\n    return y\n")
    extract(text, str(tmp_path / "p.py"), *lines_of(text, "y = h(x)"), record_inputs=False)
    err = refused(text.replace("BUF.clone().add_(t)", "BUF.add_(t)"), tmp_path, "y = h(x)")
    assert "BUF.add_(…) changes the module-level BUF, line 6" in err.reason


def test_a_registry_decorator_is_not_a_helper_the_kernel_runs(tmp_path):
    # rt7 case 25: `@register` writes a module dict when the function is defined; Apply keeps the
    # decorated def in the user's file, so the decorator still runs there.
    text = ("import torch\n\nREGISTRY = {}\n\n\ndef register(fn):\n    REGISTRY[fn.__name__] = fn\n    return fn\n\n\n"
            "@register\ndef f(x, alpha: float = 1.0):\n    return x * alpha\n\n\ndef g(x):\n    y = f(x)\n    return y\n")
    extract(text, str(tmp_path / "p.py"), *lines_of(text, "@register", 3), record_inputs=False)
    extract(text, str(tmp_path / "p.py"), *lines_of(text, "y = f(x)"), record_inputs=False)


def test_applied_kernel_without_a_gpu_says_so(tmp_path):
    """New-user try-out (session 7): the applied file, run on a machine without CUDA, died in Triton
    with "0 active drivers". The wrapper says what is needed and the three ways out."""
    import subprocess
    import sys

    path = tmp_path / "prog.py"
    path.write_text(CLI_FILE)
    e, src = extract(CLI_FILE, str(path), *lines_of(CLI_FILE, "h = x * 2"))
    res = apply_candidate(CLI_FILE, str(path), *lines_of(CLI_FILE, "h = x * 2"), faithful(e.problem),
                          placement="same-file", extracted=(e, src))
    path.write_text(res["text"])
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    p = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert p.returncode != 0
    last = p.stderr.strip().splitlines()[-1]
    assert "needs CUDA tensors on a GPU (got a tensor on cpu)" in last and "TRITON_INTERPRET=1" in last, last
    assert run(path) == run_original(tmp_path, CLI_FILE)  # with the interpreter it runs as before


def run_original(tmp_path, text: str) -> str:
    orig = tmp_path / "orig.py"
    orig.write_text(text)
    return run(orig)
