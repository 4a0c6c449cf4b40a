"""Red team 20 (black box, session 19): Apply on programs whose recording differs from a plain run."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import lines_of

DOUBLE_COUNTS = textwrap.dedent('''\
    import torch

    torch.set_default_dtype(torch.float64)  # this program works in double precision


    def rates(counts, dt):
        return counts / dt


    if __name__ == "__main__":
        counts = torch.arange(0, 64, dtype=torch.int64).reshape(8, 8)
        with torch.no_grad():
            r = rates(counts, 3.0)
        print(r.dtype, "%.12f" % r.sum().item())
    ''')


def test_integer_inputs_under_another_default_dtype_are_refused(tmp_path):
    # c09: int64 / float is float64 under the program's default dtype; the problem, the verifier and
    # the kernel run under float32, so the applied code returned float32 (or float32's precision).
    path = tmp_path / "rates.py"
    path.write_text(DOUBLE_COUNTS)
    with pytest.raises(ExtractError) as info:
        extract(DOUBLE_COUNTS, str(path), *lines_of(DOUBLE_COUNTS, "return counts / dt"))
    assert "default dtype to torch.float64" in info.value.reason and "'counts' is torch.int64" in info.value.reason
    assert "counts.to(torch.float64)" in info.value.reason and info.value.line == 7


def test_floating_inputs_under_another_default_dtype_are_refused_too(tmp_path):
    # Session 19 let a float64 input through (nothing here takes the default dtype); red team 38 c01
    # (torch.where with two Python numbers) showed a static reading keeps missing ways the default
    # decides a result dtype, so any other default where the selection runs is refused.
    text = DOUBLE_COUNTS.replace("dtype=torch.int64", "dtype=torch.float64")
    path = tmp_path / "rates.py"
    path.write_text(text)
    with pytest.raises(ExtractError) as info:
        extract(text, str(path), *lines_of(text, "return counts / dt"))
    assert "default dtype to torch.float64 where this code runs" in info.value.reason, info.value.reason


OMP_ONE = textwrap.dedent('''\
    import os
    os.environ["OMP_NUM_THREADS"] = "1"  # reproducible single-threaded runs
    import torch


    def shift(x, b):
        return x + b


    if __name__ == "__main__":
        a = torch.randn(48, 32)
        b = torch.randn(48)
        # one thread: the transposed view as it is; several: a contiguous copy
        xt = a.t() if torch.get_num_threads() == 1 else a.t().contiguous()
        with torch.no_grad():
            print(shift(xt, b).sum().item())
    ''')


def test_a_thread_setting_the_program_makes_before_importing_torch_is_recorded_with_it(tmp_path):
    # c01, c14: the recording child imports torch before the program runs, so OMP_NUM_THREADS set by
    # the program came too late there: 2 threads and a contiguous input, where the real run has one
    # thread and the transposed view. The run is recorded again with the program's value.
    path = tmp_path / "prog.py"
    path.write_text(OMP_ONE)
    e, _ = extract(OMP_ONE, str(path), *lines_of(OMP_ONE, "return x + b"))
    assert ".permute(1, 0)" in e.problem, e.problem  # the real run's layout


JIT_OFF = textwrap.dedent('''\
    import os
    os.environ["PYTORCH_JIT"] = "0"  # debugging: TorchScript functions run as Python
    import torch


    @torch.jit.script
    def fused_act(x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        h = x + b
        return h * torch.sigmoid(h)


    if __name__ == "__main__":
        x = torch.randn(8, 32)
        with torch.no_grad():
            print(fused_act(x, torch.randn(32)).sum().item())
    ''')


def test_a_program_that_turns_the_jit_off_before_importing_torch_is_recorded(tmp_path):
    # c02: with torch imported before the program, the JIT stayed on, the function was scripted and
    # never traced: "the entry point finished without running the selected code".
    path = tmp_path / "prog.py"
    path.write_text(JIT_OFF)
    e, _ = extract(JIT_OFF, str(path), *lines_of(JIT_OFF, "h = x + b", 2))
    assert "torch.empty((8, 32)" in e.problem, e.problem
