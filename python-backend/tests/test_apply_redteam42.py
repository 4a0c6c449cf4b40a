"""Red team 42 (Apply, black box, session 25, on red team 40's fixes): a lazily negated view
(`spec.conj().imag`) reached the kernel, which read the memory without the negation (c12), and a
module-level `exec(open(config).read())` bound a builtin the inserted code calls (c02). Our programs,
in our words. Found and not fixed: docs/apply.md, session 25."""

from __future__ import annotations

import textwrap

from test_apply_redteam24 import _apply, _stops
from test_apply_redteam8 import refused

NEG_VIEW = textwrap.dedent('''\
    import sys
    import torch


    def energy(x):
        y = torch.relu(x) * 2.0
        return y


    if __name__ == "__main__":
        z = torch.complex(torch.linspace(-1, 1, 8), torch.linspace(1, -1, 8))
        print(round(energy(z.real.clone()).sum().item(), 4))
        if sys.argv[1:] == ["neg"]:
            print(round(energy(z.conj().imag).sum().item(), 4))
    ''')


def test_a_lazily_negated_view_stops(tmp_path):  # c12
    path = _apply(tmp_path, NEG_VIEW, "y = torch.relu(x) * 2.0", 1)
    _stops(path, "neg", "lazily negated")


EXEC_CONFIG = textwrap.dedent('''\
    import torch

    type = "relu"
    exec("type = 'gelu'")


    def act(x):
        return torch.relu(x) * 2.0


    if __name__ == "__main__":
        print(type, round(act(torch.linspace(-1, 1, 5)).sum().item(), 4))
    ''')


def test_a_module_level_exec_refuses_same_file_placement(tmp_path):  # c02
    reason = refused(tmp_path, EXEC_CONFIG, "return torch.relu(x) * 2.0")
    assert "exec()" in reason or "type" in reason, reason


INTERPRET_AFTER_TORCH = textwrap.dedent('''\
    import os
    import torch

    # no GPU here: Triton kernels in the interpreter
    os.environ["TRITON_INTERPRET"] = "1"


    def act(x):
        y = torch.relu(x) * 2.0
        return y


    if __name__ == "__main__":
        print(round(act(torch.linspace(-1, 1, 8)).sum().item(), 4))
    ''')


def test_the_inserted_code_comes_after_environment_settings_that_follow_import_torch(tmp_path):  # c01
    from tritonize.extract.apply import import_block_end
    from tritonize.extract.source import SourceFile

    src = SourceFile(INTERPRET_AFTER_TORCH, str(tmp_path / "prog.py"))
    at = import_block_end(src)
    assert INTERPRET_AFTER_TORCH[:at].rstrip().endswith('os.environ["TRITON_INTERPRET"] = "1"'), INTERPRET_AFTER_TORCH[:at]
