"""Red team 44 (Apply, black box, session 26): a module-level nn.Module with weights that copied code
reads (loaded or trained by the program: the kernel's module held its own, built from the file's line),
and the guard's stop swallowed by the program's `except RuntimeError`. Our programs, in our words."""

from __future__ import annotations

import textwrap

from test_apply_redteam8 import refused, run_raw
from test_apply_redteam24 import _apply

# c15: the weights are loaded into the module-level table before the call the selection records.
LOADED = textwrap.dedent('''\
    import torch
    import torch.nn as nn

    TABLE = nn.Embedding(10, 4)


    def lookup(idx):
        return TABLE(idx) * 2.0


    def block(idx, b):
        y = torch.tanh(lookup(idx) + b)
        return y


    if __name__ == "__main__":
        TABLE.load_state_dict({"weight": torch.linspace(-1, 1, 40).view(10, 4)})
        with torch.no_grad():
            print(round(block(torch.arange(6).view(2, 3), torch.zeros(4)).sum().item(), 4))
    ''')


def test_a_module_level_module_with_weights_read_by_copied_code_is_refused(tmp_path):  # c11, c15
    reason = refused(tmp_path, LOADED, "y = torch.tanh(lookup(idx) + b)")
    assert "'TABLE' (line 4) is an nn.Embedding" in reason and "loads, trains or moves" in reason, reason


def test_a_stateless_module_level_module_is_no_reason_to_refuse(tmp_path):
    text = LOADED.replace("TABLE = nn.Embedding(10, 4)", "ACT = nn.Tanh()").replace(
        "TABLE(idx) * 2.0", "ACT(idx.float()) * 2.0").replace(
        'TABLE.load_state_dict({"weight": torch.linspace(-1, 1, 40).view(10, 4)})', "ACT.eval()").replace(
        "torch.zeros(4)", "torch.zeros(3)")
    _apply(tmp_path, text, "y = torch.tanh(lookup(idx) + b)", 1)


# c06: a table read by a helper, recorded under no_grad (evaluation), then trained in a loop that skips a
# batch on RuntimeError (an out-of-memory skip): the guard's stop was swallowed, training silently did nothing.
SKIPS = textwrap.dedent('''\
    import sys
    import torch

    POS = torch.linspace(-0.5, 0.1, 32).view(4, 8).clone()


    def add_pos(x):
        return x + POS[: x.shape[0]]


    def encode(x):
        y = torch.tanh(add_pos(x))
        return y


    if __name__ == "__main__":
        x = torch.linspace(-1, 2, 32).view(4, 8)
        with torch.no_grad():
            print(round(encode(x).sum().item(), 4))
        if sys.argv[1:] != ["train"]:
            sys.exit(0)
        POS.requires_grad_(True)
        skipped = 0
        for step in range(3):
            try:
                encode(x).pow(2).mean().backward()
            except RuntimeError:
                skipped += 1
                continue
        print("skipped", skipped)
    ''')


def test_the_guards_stop_is_not_swallowed_by_except_runtimeerror(tmp_path):  # c06
    path = _apply(tmp_path, SKIPS, "y = torch.tanh(add_pos(x))", 1)
    run = run_raw(path, "train")
    assert run.returncode != 0 and "skipped" not in run.stdout, (run.stdout, run.stderr[-600:])
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("_TritonizeGuardStop: ") and "POS" in last and "requires grad" in last, last


def test_the_candidates_own_runtime_errors_stay_runtime_errors(tmp_path):
    """The guard's raises become _TritonizeGuardStop; a `raise RuntimeError` in the candidate's code does not."""
    from tritonize.extract.apply import apply_candidate
    from tritonize.extract.problem import extract

    from test_apply_redteam import faithful, lines_of

    path = tmp_path / "prog.py"
    path.write_text(SKIPS)
    rng = lines_of(SKIPS, "y = torch.tanh(add_pos(x))")
    e, src = extract(SKIPS, str(path), *rng)
    cand = faithful(e.problem) + "\n\ndef _declines():\n    raise RuntimeError('candidate: size not supported')\n"
    res = apply_candidate(SKIPS, str(path), *rng, cand, extracted=(e, src))
    assert "raise RuntimeError('candidate: size not supported')" in res["text"]
    assert "raise _TritonizeGuardStop(" in res["text"]
