"""Apply cases from the second red-team pass (/work/rta/cases/cNN_*): each either gives the same
program output after Apply or is refused with one line naming the cause and the line."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.apply import apply_candidate
from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract
from tritonize.extract.source import apply_lsp_edits, lsp_to_col

from test_apply_redteam import faithful, lines_of, run


def refused(text: str, tmp_path, first: str, count: int = 1, **kw) -> ExtractError:
    with pytest.raises(ExtractError) as info:
        extract(text, str(tmp_path / "p.py"), *lines_of(text, first, count), record_inputs=False, **kw)
    return info.value


# c19d: an emoji inside the selected line. LSP characters are UTF-16 code units (the emoji is two).
EMOJI = textwrap.dedent('''\
    import torch


    def f(x):
        y = torch.tensor(float(len("😀日本"))) + x * 2
        return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(f(torch.randn(4)))
    ''')


def test_lsp_positions_count_utf16_code_units(tmp_path):
    line = EMOJI.split("\n")[4]
    col = line.index("x * 2")  # code points
    assert lsp_to_col(EMOJI, 4, col + 1) == col  # the emoji before it is 2 units, 1 code point
    path = tmp_path / "prog.py"
    path.write_text(EMOJI, encoding="utf-8")
    before = run(path)
    start, end = (5, col + 1), (5, col + 6)
    e, src = extract(EMOJI, str(path), start, end)
    res = apply_candidate(EMOJI, str(path), start, end, faithful(e.problem), extracted=(e, src))
    assert res["extraction"]["range"]["start"] == {"line": 4, "character": col + 1}
    written = apply_lsp_edits(EMOJI, res["edits"])  # what the CLI / VS Code write
    assert written == res["text"]
    path.write_text(written, encoding="utf-8")
    assert run(path) == before


# c45: the selection runs with gradients on and `h` (output of a Linear) requires grad.
AUTOGRAD = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            h = self.lin(x)
            y = h * 2.0 + 1.0
            return y.pow(2).mean()


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = M()
        loss = m(torch.randn(3, 4))
        loss.backward()
        print(loss.item(), m.lin.weight.grad)
    ''')


def test_apply_refuses_inputs_that_need_gradients(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(AUTOGRAD)
    start, end = lines_of(AUTOGRAD, "y = h * 2.0")
    e, src = extract(AUTOGRAD, str(path), start, end)
    assert e.grad_enabled is True
    with pytest.raises(ExtractError) as info:
        apply_candidate(AUTOGRAD, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False)
    assert "h requires grad" in info.value.reason and "no_grad" in info.value.reason and info.value.line == 12
    assert info.value.why == "autograd" and "--inference-only" in info.value.reason
    # The user may say the code is inference only (explicitly; the kernel still has no backward).
    apply_candidate(AUTOGRAD, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False,
                    inference_only=True)
    # The same code under torch.no_grad() applies.
    text = AUTOGRAD.replace("    loss = m(", "    with torch.no_grad():\n        loss = m(").replace(
        "    loss.backward()\n", "")
    path.write_text(text)
    e, src = extract(text, str(path), start, end)
    assert e.grad_enabled is False
    apply_candidate(text, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False)


# c09: the selection is a `with torch.no_grad():` block; the call would run with gradients on.
NOGRAD_BLOCK = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4))

        def step(self, g):
            with torch.no_grad():
                self.w.mul_(0.9)
                self.w.add_(g)
            return self.w
    ''')


def test_a_with_block_that_changes_grad_mode_is_refused(tmp_path):
    err = refused(NOGRAD_BLOCK, tmp_path, "with torch.no_grad()", 3)
    assert "torch.no_grad" in err.reason and "inside the with block" in err.reason and err.line == 11


# c11: SCALE is rebound in the __main__ block after the first call; c13: another module sets user.EPS.
MODULE_CONST = textwrap.dedent('''\
    import torch

    SCALE = 2.0


    def f(x):
        return x * SCALE + 1


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(4)
        print(f(x))
        SCALE = 3.0
        print(f(x))
    ''')


def test_a_module_constant_read_by_the_selection_is_read_at_the_call_site(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(MODULE_CONST)
    before = run(path)
    line = MODULE_CONST.split("\n")[6]
    start, end = (7, line.index("x * SCALE") + 1), (7, len(line) + 1)
    e, src = extract(MODULE_CONST, str(path), start, end)
    assert "SCALE = 2.0" not in e.problem and [i.expr for i in e.init_inputs] == ["SCALE"]
    res = apply_candidate(MODULE_CONST, str(path), start, end, faithful(e.problem), extracted=(e, src))
    assert "(x, SCALE)" in res["text"]
    path.write_text(res["text"])
    assert run(path) == before
    # Bound once at module level but set from another module: still read at the call site.
    once = MODULE_CONST.replace("        SCALE = 3.0\n", "")
    e, _ = extract(once, str(path), start, end, record_inputs=False)
    assert "SCALE = 2.0" not in e.problem and "SCALE" in [i.expr for i in e.inputs]


# c37: a copied helper reads a module constant that the __main__ block (or a for loop) rebinds.
HELPER_CONST = textwrap.dedent('''\
    import torch

    SCALE = 2.0


    def scale(x):
        return x * SCALE


    def f(x):
        return scale(x) + 1


    if __name__ == "__main__":
        x = torch.randn(4)
        print(f(x))
        for SCALE in (1.0, 2.0):
            print(f(x))
    ''')


def test_a_helper_reading_a_module_constant_bound_twice_is_refused(tmp_path):
    text = HELPER_CONST
    line = text.split("\n")[10]
    with pytest.raises(ExtractError) as info:
        extract(text, str(tmp_path / "p.py"), (11, line.index("scale(x)") + 1), (11, len(line) + 1),
                record_inputs=False)
    assert "'SCALE'" in info.value.reason and "reassigns (line 17)" in info.value.reason


def pure(problem: str) -> str:
    """Same values as the problem's Model, in new tensors (like a Triton kernel)."""
    return problem + textwrap.dedent('''


        class ModelNew(Model):
            def forward(self, *args):
                out = super().forward(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
                return out.clone() if isinstance(out, torch.Tensor) else out
        ''')


def _check_only(tmp_path, text: str, start, end):
    path = tmp_path / "prog.py"
    path.write_text(text)
    e, src = extract(text, str(path), start, end)
    with pytest.raises(ExtractError) as info:
        apply_candidate(text, str(path), start, end, pure(e.problem), extracted=(e, src))
    return info.value


# c02 / c03: the selected expression returns its input itself or a view of it.
VIEW = textwrap.dedent('''\
    import torch


    def f(x):
        y = x.view(2, 8)
        y.add_(1)
        return x


    if __name__ == "__main__":
        print(f(torch.randn(16)))
    ''')


def test_an_expression_that_returns_a_view_of_its_input_is_refused(tmp_path):
    line = VIEW.split("\n")[4]
    for expr in ("x.view(2, 8)", "x.float()"):
        text = VIEW.replace("x.view(2, 8)", expr).replace("y.add_(1)", "y.mul_(2)")
        c = line.index("x.view") + 1
        err = _check_only(tmp_path, text, (5, c), (5, c + len(expr)))
        assert "view of its input x" in err.reason and err.line == 5, err.reason


# c35: f(x, x[0]): the selection updates x in place, and y is a view of x in the real run.
ALIASED_INPUTS = textwrap.dedent('''\
    import torch


    def f(x, y):
        x.mul_(2)
        z = y + 1
        return z


    if __name__ == "__main__":
        x = torch.randn(2, 4)
        print(f(x, x[0]), x)
    ''')


def test_an_in_place_update_of_an_input_that_aliases_another_is_refused(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(ALIASED_INPUTS)
    with pytest.raises(ExtractError) as info:
        extract(ALIASED_INPUTS, str(path), *lines_of(ALIASED_INPUTS, "x.mul_(2)", 2))
    assert "updates x in place" in info.value.reason and "shares memory with y" in info.value.reason
    assert info.value.line == 5


# c28 / c30: y is bound before the selection and assigned in it on some paths only.
PARTIAL = textwrap.dedent('''\
    import torch


    def f(x, flag, d):
        y = x.clone()
        if flag:
            y = x * 2
        try:
            y = x / (1 // d)
        except ZeroDivisionError:
            pass
        if flag:
            y = x * 3
        else:
            y = x * 4
        return y
    ''')


def test_an_output_assigned_on_some_paths_only_is_refused(tmp_path):
    err = refused(PARTIAL, tmp_path, "if flag:", 2)
    assert "'y' is assigned on some paths" in err.reason and err.line == 7
    err = refused(PARTIAL, tmp_path, "try:", 4)
    assert "'y' is assigned on some paths" in err.reason and err.line == 9
    start, end = (12, 1), (15, len("        y = x * 4") + 1)
    e, _ = extract(PARTIAL, str(tmp_path / "p.py"), start, end, record_inputs=False)  # if/else: every path
    assert [o["target"] for o in e.outputs] == ["y"]


# c49: the selection is inside an unselected try whose handler reads y.
IN_TRY = textwrap.dedent('''\
    import torch


    def f(x):
        y = None
        try:
            y = x * 2
            z = y[10] + 1
        except IndexError:
            return y
        return z
    ''')


def test_several_output_statements_inside_an_unselected_try_are_refused(tmp_path):
    err = refused(IN_TRY, tmp_path, "y = x * 2", 2)
    assert "inside the try block of line 6" in err.reason and err.line == 7
    e, _ = extract(IN_TRY, str(tmp_path / "p.py"), *lines_of(IN_TRY, "z = y[10]"), record_inputs=False)


# c10: self.bias exists only when use_bias; the call site would read it every time.
COND_ATTR = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class M(nn.Module):
        def __init__(self, use_bias):
            super().__init__()
            self.use_bias = use_bias
            self.scale = nn.Parameter(torch.ones(4))
            if use_bias:
                self.bias = nn.Parameter(torch.ones(4))

        def forward(self, x):
            y = (x + self.bias) if self.use_bias else x * 2
            z = self.use_bias and self.bias
            w = (x * self.scale) if self.use_bias else x
            return y, z, w
    ''')


def test_an_attribute_read_only_on_a_conditional_path_is_refused(tmp_path):
    for first in ("y = (x + self.bias)", "z = self.use_bias and"):
        err = refused(COND_ATTR, tmp_path, first)
        assert "self.bias is read only on a conditional path" in err.reason and err.line in (14, 15)
    # self.scale is set unconditionally in __init__: reading it on one branch only is fine.
    extract(COND_ATTR, str(tmp_path / "p.py"), *lines_of(COND_ATTR, "w = (x * self.scale)"), record_inputs=False)


# c47: print / assert in the selection would be dropped by the kernel.
SIDE_EFFECTS = textwrap.dedent('''\
    import logging
    import warnings
    import torch

    logger = logging.getLogger(__name__)


    def f(x):
        assert x.shape[-1] == 4, "bad shape"
        print("norm:", round(float(x.norm()), 3))
        warnings.warn("slow")
        logger.info("x %s", x.shape)
        if x.sum() > 1e9:
            raise ValueError("huge")
        y = x * 2
        return y
    ''')


def test_a_side_effect_in_the_selection_is_refused(tmp_path):
    for first, what in (("assert", "assert"), ("print(", "print(…)"), ("warnings.warn", "warnings.warn(…)"),
                        ("logger.info", "logger.info(…)"), ("if x.sum()", "raise")):
        start, end = lines_of(SIDE_EFFECTS, first)
        end = lines_of(SIDE_EFFECTS, "y = x * 2")[1]
        with pytest.raises(ExtractError) as info:
            extract(SIDE_EFFECTS, str(tmp_path / "p.py"), start, end, record_inputs=False)
        assert f"side effect the kernel would drop ({what}, line" in info.value.reason
        assert info.value.line == start[0] + (1 if what == "raise" else 0)
        assert info.value.one_line().count("line") == 1


# c50: the environment is set between imports; the kernel and `import triton` must come after it.
ENV_FIRST = textwrap.dedent('''\
    """Doc."""
    import os
    os.environ["TRITON_INTERPRET"] = "1"
    import torch

    SCALE = 2.0


    def f(x):
        return x * 2.0 + 1.0
    ''')


def test_kernel_code_is_inserted_after_the_last_leading_import():
    from tritonize.extract.apply import import_block_end
    from tritonize.extract.source import SourceFile
    src = SourceFile(ENV_FIRST)
    at = import_block_end(src)
    assert src.line_of(at) == 4 and ENV_FIRST[:at].endswith("import torch")


# c38: a latin-1 file; the clients read and write UTF-8.
def test_a_file_declaring_a_non_utf8_encoding_is_refused(tmp_path):
    text = "# -*- coding: latin-1 -*-\n" + SIMPLE_SRC
    with pytest.raises(ExtractError) as info:
        apply_candidate(text, str(tmp_path / "p.py"), *lines_of(text, "y = x * 2"), "", check=False)
    assert "encoding latin-1" in info.value.reason and info.value.line == 1


SIMPLE_SRC = "import torch\n\n\ndef f(x):\n    y = x * 2\n    return y\n"


# c51: a whole class applied: the class keeps its __name__; with gradients on it is refused.
WHOLE_CLASS = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Scale(nn.Module):
        def __init__(self, n, s=2.0):
            super().__init__()
            self.w = nn.Parameter(torch.randn(n))
            self.s = s

        def forward(self, x):
            return x * self.w * self.s


    if __name__ == "__main__":
        torch.manual_seed(0)
        m = Scale(4)
        with torch.no_grad():
            print(m(torch.randn(4)))
        print(type(m).__name__, type(m).__qualname__)
    ''')


def test_a_whole_class_keeps_its_name_and_is_refused_with_gradients_on(tmp_path):
    from test_apply_redteam import apply_and_run
    before, after, res = apply_and_run(tmp_path, WHOLE_CLASS, "class Scale", 8, "same-file")
    assert after == before and "Scale Scale" in after
    text = WHOLE_CLASS.replace("    with torch.no_grad():\n        print(", "    print(")
    assert "no_grad" not in text
    path = tmp_path / "grad.py"
    path.write_text(text)
    start, end = lines_of(text, "class Scale", 8)
    e, src = extract(text, str(path), start, end)
    with pytest.raises(ExtractError) as info:
        apply_candidate(text, str(path), start, end, faithful(e.problem), extracted=(e, src), check=False)
    assert "parameter w requires grad" in info.value.reason and info.value.line == 5
