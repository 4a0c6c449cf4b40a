"""The perturbed-params trial's model (worker/reference_job.py, in-process): what it changes, and
what it does when the state is large (red team 9: cheat_init_weight_cache, the ignored bool/int
buffers, cheat_ignore_param_big_state)."""

from __future__ import annotations

import textwrap

import pytest
import torch

from tritonize.worker import loader, reference_job
from tritonize.worker.reference_job import _Server

PROBLEM = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(64, 32))
            self.shift = nn.Parameter(torch.zeros(64))
            self.register_buffer("mask", torch.ones(64, dtype=torch.bool))
            self.register_buffer("roll", torch.tensor(3))
            self.register_buffer("causal", torch.ones(8, 8).tril())

        def forward(self, x):
            y = x @ self.weight.t() + self.shift
            return torch.where(self.mask, y, -y).roll(int(self.roll), -1)


    def get_inputs():
        return [torch.randn(4, 32)]


    def get_init_inputs():
        return []
    ''')


def server(tmp_path) -> _Server:
    path = tmp_path / "problem.py"
    path.write_text(PROBLEM)
    srv = _Server.__new__(_Server)
    srv.mod = loader.load_module(str(path), name_hint="problem_perturb_test")
    srv.seed, srv.device, srv.init = 5, "cpu", []
    torch.manual_seed(0)
    srv.model = srv.mod.Model()
    return srv


def test_every_parameter_and_the_constant_buffers_change(tmp_path):
    srv = server(tmp_path)
    found = srv._perturbed()
    assert not isinstance(found, str), found
    overrides, _, vmodel, *_ = found
    assert set(overrides["constant_at_init"]) == {"shift", "mask", "roll"} and not overrides["only_constant"]
    before, after = srv.model.state_dict(), vmodel.state_dict()
    for name in ("weight", "shift", "mask", "roll"):  # weight: random at init, re-drawn all the same
        assert not torch.equal(before[name], after[name]), name
    assert torch.equal(before["causal"], after["causal"])  # a structure, not constant: kept
    assert int(after["roll"]) > 0 and after["mask"].dtype == torch.bool


def test_a_large_state_perturbs_the_constant_ones_and_shares_the_rest(tmp_path, monkeypatch):
    srv = server(tmp_path)
    size = sum(p.numel() * p.element_size() for p in srv.model.state_dict().values())
    monkeypatch.setattr(reference_job, "_PERTURB_MAX_BYTES", size - 1)
    overrides, _, vmodel, *_ = srv._perturbed()
    assert overrides["only_constant"]
    assert vmodel.weight is srv.model.weight  # shared, not copied
    assert not torch.equal(vmodel.shift, srv.model.shift) and torch.equal(srv.model.shift, torch.zeros(64))
    monkeypatch.setattr(reference_job, "_PERTURB_MAX_BYTES", size // 8)  # more than 4x: no trial
    assert "take" in srv._perturbed()


INT_BUFFERS = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("perm", torch.randperm(32))
            self.register_buffer("offsets", torch.tensor([0, 5, 9, 20, 32]))

        def forward(self, x):
            if STRICT:  # an order the reference itself depends on
                assert bool((self.perm[:4] == torch.tensor(FIRST)).all())
            return x[:, self.perm].cumsum(-1)[:, self.offsets[1:] - 1]


    def get_inputs():
        return [torch.randn(4, 32)]


    def get_init_inputs():
        return []
    ''')


def int_server(tmp_path, strict: bool) -> _Server:
    torch.manual_seed(0)
    first = torch.randperm(32)[:4].tolist()
    path = tmp_path / "problem.py"
    path.write_text(INT_BUFFERS.replace("STRICT", str(strict)).replace("FIRST", str(first)))
    srv = _Server.__new__(_Server)
    srv.mod = loader.load_module(str(path), name_hint=f"problem_int_buffers_{strict}")
    srv.seed, srv.device, srv.init = 5, "cpu", []
    torch.manual_seed(0)
    srv.model = srv.mod.Model()
    return srv


def test_an_unsorted_integer_buffer_is_shuffled_and_sorted_offsets_redrawn_sorted(tmp_path):
    """Red team 11 c35 / red team 12 c01: a kernel reading an __init__ copy of a permutation, or of
    sorted segment offsets, passed every trial."""
    srv = int_server(tmp_path, strict=False)
    overrides, _, vmodel, *_ = srv._perturbed()
    before, after = srv.model.state_dict(), vmodel.state_dict()
    assert overrides["shuffled"] == ["perm", "offsets"]
    assert not torch.equal(before["perm"], after["perm"])
    assert torch.equal(after["perm"].sort().values, torch.arange(32))  # still a permutation
    off = after["offsets"]
    assert not torch.equal(before["offsets"], off)
    assert int(off[0]) == 0 and int(off[-1]) == 32 and bool((off[1:] > off[:-1]).all())  # still offsets


def test_masks_made_from_indices_stay_and_random_masks_are_shuffled():
    from tritonize.worker.reference_job import _rearrangement

    kept = {"causal": torch.ones(8, 8).tril(), "causal -inf": torch.full((8, 8), float("-inf")).triu(1),
            "identity": torch.eye(6), "window": torch.ones(8, 8).tril() * torch.ones(8, 8).triu(-2),
            "causal bool": torch.ones(5, 5, dtype=torch.bool).tril()}
    for name, t in kept.items():
        assert _rearrangement(t) is None, name
    g = torch.Generator().manual_seed(0)
    moved = {"pruning mask": (torch.rand(8, 8, generator=g) > 0.5).float(), "bool mask": torch.rand(16, generator=g) > 0.5,
             "identity permutation": torch.arange(10), "permutation": torch.randperm(10, generator=g)}
    for name, t in moved.items():
        assert _rearrangement(t) == "shuffle", name


def test_a_shuffle_the_reference_rejects_falls_back_to_the_order_it_had(tmp_path):
    srv = int_server(tmp_path, strict=True)
    assert "order of its integer buffers (perm, offsets)" in srv._perturbed()  # nothing else to perturb
    srv.model.register_parameter("w", torch.nn.Parameter(torch.randn(3)))
    found = srv._perturbed()
    assert not isinstance(found, str), found
    overrides, _, vmodel, *_ = found
    assert overrides["shuffled"] == [] and torch.equal(vmodel.perm, srv.model.perm)
    assert not torch.equal(vmodel.w, srv.model.w)


SIGNED = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.rand(32) + 0.5)        # positive at init
            self.temp = nn.Parameter(torch.tensor(2.0))            # a lone positive parameter
            self.register_buffer("var", torch.rand(32) + 0.5)      # a buffer: its sign stays
            ROOT

        def forward(self, x):
            return torch.relu(x) * self.scale / self.temp / self.var.sqrt() ROOT_USE


    def get_inputs():
        return [torch.randn(4, 32)]


    def get_init_inputs():
        return []
    ''')


def signed_server(tmp_path, root: bool) -> _Server:
    src = SIGNED.replace("ROOT_USE", "* self.gain.sqrt()" if root else "").replace(
        "ROOT", "self.gain = nn.Parameter(torch.ones(32))" if root else "")
    path = tmp_path / "signed.py"
    path.write_text(src)
    srv = _Server.__new__(_Server)
    srv.mod = loader.load_module(str(path), name_hint=f"problem_signed_{int(root)}")
    srv.seed, srv.device, srv.init = 5, "cpu", []
    torch.manual_seed(0)
    srv.model = srv.mod.Model()
    return srv


def test_trainable_parameters_change_sign_in_places_and_buffers_keep_theirs(tmp_path):
    # red team 12 c04: relu(x * s) for relu(x) * s is right while s >= 0, which training does not keep
    srv = signed_server(tmp_path, root=False)
    overrides, _, vmodel, *_ = srv._perturbed()
    assert overrides["sign_flipped"] == ["scale", "temp"]
    after = vmodel.state_dict()
    assert bool((after["scale"] < 0).any()) and bool((after["scale"] > 0).any())
    assert float(after["temp"]) < 0  # a lone one: negative
    assert bool((after["var"] > 0).all())


def test_only_the_parameter_that_makes_the_reference_nan_keeps_its_sign(tmp_path):
    # red team 13 c20: one parameter under a sqrt once spared every other parameter the sign change
    srv = signed_server(tmp_path, root=True)  # sqrt(gain): NaN for a negative gain
    overrides, _, vmodel, _, _, result = srv._perturbed()
    assert overrides["sign_flipped"] == ["scale", "temp"]
    assert all(bool(torch.isfinite(o).all()) for o in result["outputs"])
    after = vmodel.state_dict()
    assert bool((after["gain"] > 0).all()) and bool((after["scale"] < 0).any()) and float(after["temp"]) < 0
    assert not torch.equal(after["gain"], srv.model.state_dict()["gain"])  # still perturbed


def test_zeros_a_parameter_had_only_at_init_get_values(tmp_path):
    # red team 13 c03: a lower-triangular weight at init; a kernel skipping the upper triangle passed
    srv = server(tmp_path)
    with torch.no_grad():
        srv.model.weight.copy_(torch.randn(64, 32).tril())
    overrides, _, vmodel, *_ = srv._perturbed()
    w, w0 = vmodel.state_dict()["weight"], srv.model.state_dict()["weight"]
    assert bool((w0 == 0).any()) and bool((w[w0 == 0] != 0).all()), "the upper triangle stayed zero"
    assert torch.equal(vmodel.state_dict()["causal"], srv.model.state_dict()["causal"])  # a buffer: kept
    assert "weight" in overrides["zeros_filled"]


DROPOUT = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Model(nn.Module):
        def __init__(self, p, lo, pair):
            super().__init__()
            self.drop = nn.Dropout(p)
            self.lo, self.pair = lo, pair

        def forward(self, x):
            return self.drop(torch.clamp(x, self.lo, self.pair[1]))


    def get_inputs():
        return [torch.randn(8, 16)]


    def get_init_inputs():
        return INIT
    ''')


def init_server(tmp_path, init: str, tag: str) -> _Server:
    path = tmp_path / f"{tag}.py"
    path.write_text(DROPOUT.replace("INIT", init))
    srv = _Server.__new__(_Server)
    srv.mod = loader.load_module(str(path), name_hint=f"problem_init_{tag}")
    srv.seed, srv.device, srv.init_seed = 5, "cpu", 0
    srv.init = list(srv.mod.get_init_inputs())
    return srv


def test_perturbed_init_changes_zeros_and_floats_inside_tuples(tmp_path):
    # red team 13 c04 (a 0.0 bound hard-coded) and c14 (a (lo, hi) pair hard-coded)
    srv = init_server(tmp_path, "[0, 0.0, (-0.5, 1.25)]", "zeros")  # an int p: not a float argument
    overrides, vinit, *_ = srv._init_perturbed()
    assert overrides["changed"] == ["1", "2[0]", "2[1]"] and vinit[0] == 0
    assert vinit[1] > 0 and vinit[2][0] < 0 < vinit[2][1] and vinit[2] != (-0.5, 1.25)


def test_a_zero_that_switches_dropout_on_stays_zero(tmp_path):
    srv = init_server(tmp_path, "[0.0, -1.0, (-0.5, 1.25)]", "dropout")  # p = 0.1 would make it random
    overrides, vinit, *_ = srv._init_perturbed()
    assert vinit[0] == 0.0 and "0" not in overrides["changed"]
    assert vinit[1] != -1.0 and vinit[1] < 0


def test_sorted_knots_stay_sorted(tmp_path):
    # red team 13b h02: learned bucketize boundaries, kept sorted by training; re-drawn unsorted, the
    # reference's bucketize answered nonsense and an honest kernel was `incorrect`
    srv = server(tmp_path)
    srv.model.register_parameter("knots", torch.nn.Parameter(torch.linspace(-2, 2, 16)))
    srv.model.register_buffer("edges", torch.linspace(3, -3, 9).repeat(2, 1))  # descending rows
    overrides, _, vmodel, *_ = srv._perturbed()
    k, e = vmodel.state_dict()["knots"], vmodel.state_dict()["edges"]
    assert not torch.equal(k, srv.model.knots) and bool((torch.diff(k) >= 0).all())
    assert not torch.equal(e, srv.model.edges) and bool((torch.diff(e, dim=-1) <= 0).all())


def test_a_nan_the_flips_did_not_make_does_not_stop_them(tmp_path):
    # red team 13b c04: -inf at banned tokens in every run turned the sign change off for all
    srv = signed_server(tmp_path, root=False)
    srv.mod.Model.forward = lambda self, x: torch.where(
        torch.arange(x.shape[-1]) % 7 == 0, float("-inf"), torch.relu(x) * self.scale / self.temp / self.var.sqrt())
    overrides, *_ = srv._perturbed()
    assert overrides["sign_flipped"] == ["scale", "temp"]


def test_a_constructor_argument_the_channel_cannot_carry_is_a_clear_error():
    import types

    from tritonize.worker.reference_job import _check_init
    _check_init([1, 2.0, "gelu", None, (3, 4.0), {"eps": 1e-5}, torch.ones(2), torch.float16, torch.Size([2, 3])])
    with pytest.raises(TypeError, match=r"get_init_inputs\(\)\[1\] is a types.SimpleNamespace.*as a dict"):
        _check_init([4, types.SimpleNamespace(eps=1e-5)])
