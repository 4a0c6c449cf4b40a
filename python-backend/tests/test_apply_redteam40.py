"""Red team 40 (Apply, black box, session 25, on red team 38's fixes): a module-level parameter read
by copied code was copied into the kernel's module (c07, c07c, c13: the applied program trained
nothing, and with gradients on in every recorded call Apply still exited 0), and an in-place update
inside `for _ in range(iters)` with iters = 0 was counted as unconditional (c06: the write-back's
copy_() made a later backward raise). Our programs, in our words."""

from __future__ import annotations

import textwrap

from test_apply_redteam8 import refused

GLOBAL_PARAM = textwrap.dedent('''\
    import torch

    SCALE = torch.nn.Parameter(torch.full((6,), 0.5))


    def gate(t):
        return torch.sigmoid(t * SCALE)


    def block(x):
        y = gate(x) + 1.0
        return y


    if __name__ == "__main__":
        opt = torch.optim.SGD([SCALE], lr=0.1)
        for _ in range(3):
            loss = block(torch.randn(2, 6)).sum()
            loss.backward()
            opt.step()
            opt.zero_grad()
        print(round(SCALE.sum().item(), 4))
    ''')


def test_a_module_level_parameter_read_by_copied_code_is_refused(tmp_path):  # c07, c07c
    reason = refused(tmp_path, GLOBAL_PARAM, "y = gate(x) + 1.0")
    assert "'SCALE'" in reason and "requires grad" in reason, reason


def test_a_whole_function_reading_a_module_level_parameter_is_refused(tmp_path):  # c13
    reason = refused(tmp_path, GLOBAL_PARAM, "def gate(t):", 2)
    assert "'SCALE'" in reason and "requires grad" in reason, reason


MAYBE_LOOP = textwrap.dedent('''\
    import sys
    import torch


    def balance(P, iters):
        for _ in range(iters):
            P.div_(P.sum(dim=1, keepdim=True))
        return P


    if __name__ == "__main__":
        P = torch.rand(4, 4) + 0.1
        print(round(balance(P, int(sys.argv[1]) if sys.argv[1:] else 2).sum().item(), 4))
    ''')


def test_an_update_in_a_loop_that_may_run_zero_times_is_refused(tmp_path):  # c06
    reason = refused(tmp_path, MAYBE_LOOP, "for _ in range(iters):", 2)
    assert "may run zero times" in reason, reason
