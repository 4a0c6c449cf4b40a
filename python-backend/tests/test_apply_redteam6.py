"""Apply cases from red team 8's false refusals, fixed in session 9: each applies with the program's
output unchanged."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from tritonize.extract.apply import apply_candidate
from tritonize.extract.problem import extract

from test_apply_redteam import apply_and_run, faithful, lines_of, run

# b31: the file imports torch only after its first def; the kernel code goes after the imports that
# come before the first def, so it must bring its own `import torch` (it was deduplicated against the
# later one: NameError at import).
IMPORT_AFTER_DEF = textwrap.dedent('''\
    """Model utilities."""


    def human(n):
        return f"{n:,}"


    import torch
    import torch.nn as nn


    class Gate(nn.Module):
        def forward(self, x):
            y = torch.sigmoid(x) * x
            return y


    if __name__ == "__main__":
        torch.manual_seed(0)
        print(human(1234567), round(Gate()(torch.randn(4, 8)).sum().item(), 4))
    ''')


def test_a_file_that_imports_torch_after_its_first_def(tmp_path):
    before, after, res = apply_and_run(tmp_path, IMPORT_AFTER_DEF, "y = torch.sigmoid", 1, "same-file")
    assert after == before
    # Since red team 38 c21 the kernel code goes after the file's own first `import torch` (and the
    # imports right after it): what the file runs before that import still runs before torch is imported.
    text = res["text"]
    assert text.index("def human") < text.index("import torch.nn as nn\n") < text.index("# --- Tritonize"), text


# b16: two Applies with module placement in one file; the second used to be refused because
# prog_triton.py existed: it gets prog_triton_2.py.
TWO = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def mlp(x, b):
        h = F.gelu(x + b)
        return h


    def gate(x):
        return torch.sigmoid(x) * x


    if __name__ == "__main__":
        torch.manual_seed(0)
        x = torch.randn(4, 8)
        b = torch.randn(8)
        print(round(mlp(x, b).sum().item(), 4), round(gate(x).sum().item(), 4))
    ''')


def test_a_second_apply_with_module_placement_gets_its_own_module(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")  # the second recording runs the first kernel
    before, after1, res1 = apply_and_run(tmp_path, TWO, "h = F.gelu", 1, "module")
    assert after1 == before and res1["module"]["path"].endswith("prog_triton.py")
    path = tmp_path / "prog.py"
    text = path.read_text()
    e, src = extract(text, str(path), *lines_of(text, "return torch.sigmoid"))
    res2 = apply_candidate(text, str(path), *lines_of(text, "return torch.sigmoid"), faithful(e.problem),
                           placement="module", extracted=(e, src))
    assert res2["module"]["path"].endswith("prog_triton_2.py")
    path.write_text(res2["text"])
    Path(res2["module"]["path"]).write_text(res2["module"]["text"])
    assert run(path) == before
    assert (tmp_path / "prog_triton.py").read_text() == res1["module"]["text"]  # the first is untouched


# b04: F.relu(h, inplace=True) and torch.sigmoid_(b) update their argument; the extraction took them
# for pure calls, so the kernel's version left h and b unchanged (refused only at the behaviour check,
# after the LLM calls). Now the update is seen at extraction.
INPLACE_FUNCTIONAL = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def act(h, b):
        F.relu(h, inplace=True)
        torch.sigmoid_(b)
        y = h * b
        return y
    ''')


def test_functional_in_place_calls_update_their_first_argument():
    from tritonize.extract.problem import extract as ex
    e, _ = ex(INPLACE_FUNCTIONAL, "/tmp/act.py", *lines_of(INPLACE_FUNCTIONAL, "F.relu(h", 2), record_inputs=False)
    assert {o["target"]: o["inplace"] for o in e.outputs} == {"h": True, "b": True}
    assert [i.name for i in e.inputs if i.mutated] == ["h", "b"]
