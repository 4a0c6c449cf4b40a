"""Red team 36 (Apply, black box, session 24, on red team 34's fixes): integer powers and the legacy
torch.Tensor constructor made default-dtype tensors unguarded (c03a, c03c, c03d), a channels-last
result came back contiguous (c14), torch's DebugMode saw none of the kernel (c02), globals().update
rebound a builtin the inserted code calls (c11), and .data updates written back as updates autograd
sees broke backward (c04, c04b: now refused, tests/test_apply_redteam34.py)."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.errors import ExtractError

from test_apply_redteam24 import _apply, _stops
from test_apply_redteam34 import _apply_code
from test_apply_redteam8 import refused

POWERS = textwrap.dedent('''\
    import sys
    import torch


    def scale(x, idx):
        y = x * idx.pow(0.5) + x * torch.Tensor([1.0, 2.0, 3.0, 4.0])
        return y


    if __name__ == "__main__":
        x, idx = torch.ones(4, 4), torch.arange(4)
        print(scale(x, idx).dtype)
        if sys.argv[1:] == ["float64"]:
            torch.set_default_dtype(torch.float64)
            print(scale(x, idx).dtype)
    ''')


def test_integer_powers_and_the_legacy_constructor_are_guarded_for_the_default_dtype(tmp_path):  # c03a, c03c
    path = _apply(tmp_path, POWERS, "y = x * idx.pow(0.5)", 1)
    _stops(path, "float64", "default dtype")


IMAGES = textwrap.dedent('''\
    import sys
    import torch
    from torch.utils._debug_mode import DebugMode


    def act(x, b):
        y = torch.relu(x + b) * 2.0
        return y


    if __name__ == "__main__":
        x = torch.randn(2, 3, 4, 4).to(memory_format=torch.channels_last)
        b = torch.randn(4)
        print(act(x, b).is_contiguous(memory_format=torch.channels_last))
        if sys.argv[1:] == ["debug"]:
            with DebugMode():
                act(x, b)
    ''')


def test_a_channels_last_result_in_another_format_is_refused(tmp_path):  # c14
    with pytest.raises(ExtractError) as err:
        _apply_code(tmp_path, IMAGES, "y = torch.relu(x + b) * 2.0", 1, '''\
            def forward(self, *args):
                return super().forward(*args).contiguous()
            ''')
    assert "channels-last" in err.value.reason, err.value.reason


def test_torch_debug_mode_stops_the_call(tmp_path):  # c02
    path = _apply(tmp_path, IMAGES, "y = torch.relu(x + b) * 2.0", 1)
    _stops(path, "debug", "DebugMode (a torch function/dispatch mode)")


def test_globals_update_refuses_same_file_placement(tmp_path):  # c11
    text = IMAGES.replace("    x = torch.randn(2, 3, 4, 4)", "    globals().update({'kind': 'relu'})\n    x = torch.randn(2, 3, 4, 4)")
    reason = refused(tmp_path, text, "y = torch.relu(x + b) * 2.0", 1)
    assert "through globals()" in reason and "--placement module" in reason, reason
