"""Copied definitions that the running program changed (red team 8: b18, b19, b30, b36, b77): the
kernel's copy would keep the file's version, so extraction refuses, naming the name; the same
programs without the change still extract."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import lines_of

USER = textwrap.dedent('''\
    import torch

    SCALE = 2.0
    CFG = {"scale": 3.0}


    class Cfg:
        shift = 1.0


    def helper(x):
        return x * SCALE + CFG["scale"] + Cfg.shift


    def rotate(x):
        return torch.flip(x, [0])


    def f(x):
        y = helper(x) + rotate(x)
        return y
    ''')

MAIN = textwrap.dedent('''\
    import torch
    import user
    {change}
    print(user.f(torch.arange(4.0)))
    ''')


@pytest.mark.parametrize("change,name", [
    ("user.SCALE = 5.0", "SCALE"),                                   # b18: set by another module
    ("user.rotate = lambda x: x * 0", "rotate"),                      # b19: monkeypatched helper
    ("vars(user)['SCALE'] = 7.0", "SCALE"),                           # b30: globals() write
    ("user.CFG['scale'] = 9.0", "CFG"),                               # b36: config dict changed
    ("user.Cfg.shift = 4.0", "Cfg.shift"),                            # b77: class attribute set
])
def test_copied_definitions_changed_at_run_time_are_refused(tmp_path, change, name):
    (tmp_path / "user.py").write_text(USER)
    (tmp_path / "main.py").write_text(MAIN.format(change=change))
    with pytest.raises(ExtractError) as info:
        extract(USER, str(tmp_path / "user.py"), *lines_of(USER, "y = helper(x)"), entry="main.py")
    assert f"'{name}" in str(info.value) and "the program" in str(info.value), str(info.value)


MAIN_LATER = textwrap.dedent('''\
    import torch
    import user
    print(user.f(torch.arange(4.0)))
    {change}
    print(user.f(torch.arange(4.0)))
    ''')


@pytest.mark.parametrize("change,name", [
    ("vars(user)['SCALE'] = 7.0", "SCALE"),                           # b30: changed after the first call
    ("user.CFG['scale'] = 9.0", "CFG"),                               # b36
    ("user.rotate = lambda x: x * 0", "rotate"),
])
def test_copied_definitions_changed_after_the_recorded_call_are_refused_at_apply(tmp_path, change, name):
    """The recorded (first) call sees the file's values; the program changes them before the second
    call, which the recording watches: the kernel's frozen copy would be wrong there."""
    (tmp_path / "user.py").write_text(USER)
    (tmp_path / "main.py").write_text(MAIN_LATER.format(change=change))
    e, _ = extract(USER, str(tmp_path / "user.py"), *lines_of(USER, "y = helper(x)"), entry="main.py")
    assert [d["what"] for d in e.later] == ["stale"], e.later
    assert f"'{name}" in e.later[0]["message"] and "before call 2" in e.later[0]["message"], e.later
    assert e.warnings and e.warnings[0].startswith("Apply will refuse a kernel for this selection: before call 2")


def test_unchanged_copies_still_extract(tmp_path):
    (tmp_path / "user.py").write_text(USER)
    (tmp_path / "main.py").write_text(MAIN.format(change="pass"))
    e, _ = extract(USER, str(tmp_path / "user.py"), *lines_of(USER, "y = helper(x)"), entry="main.py")
    assert e.shapes == "recorded"


PLAIN = textwrap.dedent('''\
    import torch

    LR = 0.1


    def step(x):
        loss = float(x.sum())
        scaled = loss * LR
        mask = torch.ones(3) * LR
        return scaled, mask


    if __name__ == "__main__":
        print(step(torch.arange(4.0)))
    ''')


def test_plain_number_selections_are_refused_before_any_llm_call(tmp_path):
    """New-user try-out (session 7): `loss * LR` on Python floats spent four LLM turns."""
    path = tmp_path / "prog.py"
    path.write_text(PLAIN)
    with pytest.raises(ExtractError) as info:
        extract(PLAIN, str(path), *lines_of(PLAIN, "scaled = loss * LR"))
    assert "plain numbers" in str(info.value) and "loss" in str(info.value)
    e, _ = extract(PLAIN, str(path), *lines_of(PLAIN, "mask = torch.ones(3) * LR"))  # torch code from a number
    assert e.shapes == "recorded"
