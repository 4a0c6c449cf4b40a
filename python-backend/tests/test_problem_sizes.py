"""AST size rewriting of KernelBench-format problems (tritonize.problem.sizes)."""

from __future__ import annotations

import ast
from pathlib import Path

from tritonize.problem.sizes import reduce_for_cpu, scan, shape_variation

SUITE = Path(__file__).resolve().parents[2] / "bench" / "suite" / "problems"

LITERALS = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.l = nn.Linear(a, b)

    def forward(self, x):
        return torch.softmax(self.l(x), dim=1)


def get_inputs():
    return [torch.randn(4096, 8192)]


def get_init_inputs():
    return [8192, 2048]
'''


def test_literal_sizes_are_rewritten_by_value_so_relations_survive():
    rw = shape_variation(LITERALS)
    assert rw.note is None
    tree = ast.parse(rw.source)
    fns = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    randn = next(n for n in ast.walk(fns["get_inputs"]) if isinstance(n, ast.Call))
    init = fns["get_init_inputs"].body[0].value.elts
    # in_features (8192 in get_init_inputs) and the input's last dim (8192 in get_inputs) stay equal
    assert randn.args[1].value == init[0].value == 4095
    assert randn.args[0].value == 2047 and init[1].value == 1023
    assert all(v % 2 == 1 for _, v in rw.changes.values())
    # everything else, line numbers included, is untouched
    assert rw.source.count("\n") == LITERALS.count("\n") and "dim=1" in rw.source


def test_keywords_ranges_and_small_sizes_are_not_sizes():
    src = '''import torch
batch_size = 512
kernel_size = 5
def get_inputs():
    return [torch.randint(0, 10, (batch_size, 64)), torch.randn(3, 32).sum(dim=1)]
def get_init_inputs():
    return [kernel_size]
'''
    keys = {s.key: s.value for s in scan(src)}
    assert keys["batch_size"] == 512
    assert "kernel_size" not in keys  # changing it changes the computation
    assert 10 not in keys.values() and 0 not in keys.values() and 3 not in keys.values()
    assert 64 in keys.values() and 32 in keys.values()


def test_no_size_gives_a_note_not_silence():
    rw = shape_variation("import torch\ndef get_inputs():\n    return [torch.randn(2, 3)]\ndef get_init_inputs():\n    return []\n")
    assert rw.changes == {} and rw.note and "no size" in rw.note
    assert shape_variation("def (:\n").note.startswith("the problem does not parse")


def test_reduce_for_cpu_scales_a_realistic_problem_and_validates_it():
    src = (SUITE / "18_linear_relu.py").read_text()
    rw = reduce_for_cpu(src, 1.0, timeout=600)
    assert rw.note is None, rw.note
    assert set(rw.changes) == {"batch_size", "in_features", "out_features"}
    assert all(new < old and new % 2 == 1 for old, new in rw.changes.values())
    # in_features == out_features (both 4096) keep their relation: same new value
    assert rw.changes["in_features"][1] == rw.changes["out_features"][1]


def test_reduce_for_cpu_leaves_a_cheap_problem_alone():
    src = "import torch\nimport torch.nn as nn\nN = 100\nclass Model(nn.Module):\n    def forward(self, x):\n        return x + 1\n" \
          "def get_inputs():\n    return [torch.randn(N)]\ndef get_init_inputs():\n    return []\n"
    rw = reduce_for_cpu(src, 1.0, timeout=600)
    assert rw.changes == {} and rw.note is None and rw.source == src


def test_reduce_for_cpu_reports_a_problem_that_breaks_at_other_sizes():
    # The Model hard-codes 4096 (not through get_inputs): every smaller size fails; the note says so.
    src = ("import torch\nimport torch.nn as nn\nclass Model(nn.Module):\n    def forward(self, x):\n"
           "        return x.view(4096, 4096).softmax(-1)\n"
           "def get_inputs():\n    return [torch.randn(4096, 4096)]\ndef get_init_inputs():\n    return []\n")
    rw = reduce_for_cpu(src, 1.0, timeout=600)
    assert rw.changes == {} and rw.note and "fails at smaller sizes" in rw.note


WIDE_SOFTMAX = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=1)


batch_size = 4096
dim = 16384


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
'''


def test_full_extent_keeps_the_largest_size_whole_for_one_trial():
    """Red team: a softmax handling at most 4096 columns passed at the reduced 1023 columns. The
    full-extent variant keeps `dim` at 16384 and pushes the batch to the floor."""
    rw = reduce_for_cpu(WIDE_SOFTMAX, 1.0, timeout=600)
    assert rw.changes["dim"][1] < 16384 and rw.extents
    first = rw.extents[0]
    assert first.changes == {"batch_size": (4096, 5)}, first.changes
    assert "dim = 16384" in first.source and "batch_size = 5" in first.source
    assert rw.as_dict()["full_extent"][0] == {"batch_size": [4096, 5]}
    # Then the next size (a grid over rows capped below 4096 passes at 5 rows): as many rows as the
    # interpreter affords with the columns at the floor, more than the reduction kept.
    if "batch_size" in rw.changes:
        second = rw.extents[1].changes
        assert second["dim"] == (16384, 5) and second.get("batch_size", (4096, 4096))[1] > rw.changes["batch_size"][1], second


def test_full_extent_with_one_shared_size_is_a_larger_trial_or_none():
    # M = N = K share one value: keeping it whole keeps everything whole (minutes in the
    # interpreter), so the kept size is halved while too costly, never below its reduced value.
    src = ("import torch\nimport torch.nn as nn\nN = 4096\nclass Model(nn.Module):\n    def forward(self, a, b):\n"
           "        return a @ b\ndef get_inputs():\n    return [torch.randn(N, N), torch.randn(N, N)]\n"
           "def get_init_inputs():\n    return []\n")
    rw = reduce_for_cpu(src, 1.0, timeout=600)
    assert rw.changes["N"][1] < 4096
    full = [e for e in rw.extents if e.label != "aligned"]
    assert all(rw.changes["N"][1] < e.changes["N"][1] < 4096 for e in full) and len(full) <= 1


def test_an_aligned_trial_keeps_the_problems_alignment_as_large_as_affordable():
    """Red team 10: a kernel that skips the last 64 rows only when both sizes are even passed every
    reduced trial (each has an odd size). The aligned trial rounds every reduced size up to the
    power of two (at most 64) dividing its full size, then grows while the interpreter affords it."""
    src = ("import torch\nimport torch.nn as nn\nROWS = 4096\nCOLS = 2048\nclass Model(nn.Module):\n"
           "    def forward(self, x):\n        return torch.relu(x)\ndef get_inputs():\n    return [torch.randn(ROWS, COLS)]\n"
           "def get_init_inputs():\n    return []\n")
    rw = reduce_for_cpu(src, 1.0, timeout=600)
    aligned = [e for e in rw.extents if e.label == "aligned"]
    assert len(aligned) == 1, rw.extents
    sizes = {k: v[1] for k, v in aligned[0].changes.items()}
    rows, cols = sizes.get("ROWS", 4096), sizes.get("COLS", 2048)
    assert rows % 64 == 0 and cols % 64 == 0 and rows * cols > 64 * 64 * 4, sizes
    assert rw.as_dict()["aligned"] == {k: list(v) for k, v in aligned[0].changes.items()}
    # Odd full sizes have nothing to keep: no aligned trial.
    odd = reduce_for_cpu(src.replace("4096", "4095").replace("2048", "2047"), 1.0, timeout=600)
    assert not [e for e in odd.extents if e.label == "aligned"]


def test_sizes_written_as_expressions_are_sizes():
    """Red team 8: `dim = 2 ** 10`, `n = 64 * 64` were not sizes: no reduction and no shape
    variation, so a kernel hard-coding the shape passed. The whole expression is rewritten."""
    from tritonize.problem.sizes import scan, shape_variation

    src = ("import torch\nB = 2 ** 10\nD = 64 * 64\nS = 1 << 12\nK = (2 **\n  10)\n\n\n"
           "def get_inputs():\n    return [torch.randn(B, D), torch.randn(S, K)]\n\n\ndef get_init_inputs():\n    return []\n")
    assert {(s.key, s.value) for s in scan(src)} == {("B", 1024), ("D", 4096), ("S", 4096)}  # K spans two lines
    rw = shape_variation(src)
    assert rw.changes["B"] == (1024, 511) and rw.changes["D"][0] == 4096 and "B = 511\n" in rw.source
    compile(rw.source, "p.py", "exec")


def test_batch_of_one_sets_every_leading_dimension_to_one():
    """Red team 12 c09: a kernel wrong only for a single row passed every trial (none had a size 1)."""
    from tritonize.problem.sizes import batch_of_one

    src = "import torch\nROWS = 64\nCOLS = 300\n\ndef get_inputs():\n    return [torch.randn(ROWS, COLS), torch.randn(8, 5)]\n"
    rw = batch_of_one(src)
    assert "ROWS = 1" in rw.source and "COLS = 300" in rw.source and "torch.randn(1, 5)" in rw.source
    assert batch_of_one("import torch\n\ndef get_inputs():\n    return [torch.randn(1, 7)]\n").changes == {}


ROPE_CACHE = '''import torch
import torch.nn as nn
B = 2
H = 4
S = 24
D = 32
MAX_POS = 128


class Model(nn.Module):
    def __init__(self, dim, max_pos):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, dim, 2).float() / dim)), persistent=False)

    def forward(self, x):
        t = torch.arange(x.shape[-2], dtype=torch.float32)
        emb = torch.outer(t, self.inv_freq).repeat(1, 2)
        return x * emb.cos()


def get_inputs():
    return [torch.randn(B, H, S, D)]


def get_init_inputs():
    return [D, MAX_POS]
'''


def test_full_extent_keeps_a_constructor_size_at_least_the_kept_size():
    """Red team 14b: a RoPE kernel sizes its cos/sin cache by max_pos and asserts S <= max_pos; the
    full-extent trial kept S = 24 with MAX_POS reduced to 16, an honest kernel's runtime_error. A
    size get_init_inputs reads, larger than the kept one, stays at least as large."""
    src = ROPE_CACHE.replace("B = 2", "B = 64").replace("H = 4", "H = 16").replace("S = 24", "S = 1024") \
        .replace("D = 32", "D = 64").replace("MAX_POS = 128", "MAX_POS = 2048")
    rw = reduce_for_cpu(src, 1.0, timeout=600)
    assert rw.changes and rw.extents, (rw.changes, rw.note)
    for e in [rw] + rw.extents:
        size = lambda name: e.changes.get(name, (None, {"S": 1024, "MAX_POS": 2048}[name]))[1]  # noqa: E731
        assert size("S") <= size("MAX_POS"), (e.label, e.changes)
