"""End-to-end verdicts over the candidate library (tests/candidates/ against tests/problems/).

Every case runs the real verifier (reference and candidate in their own worker processes, the
CPU cases in Triton's interpreter) through the Python API with a warm worker pool and a shared
reference cache, then checks the verdict AND the evidence: rule names, lines in the candidate
file, op names, error numbers. The CLI contract (exit codes, one-line stderr, stdout = exactly one
JSON report) is checked through real `python -m tritonize.cli` subprocesses.

    cd python-backend && ../.venv/bin/python -m pytest tests/test_verdicts.py -q          # CPU
    cd python-backend && python -m pytest tests/test_verdicts.py -q -m gpu                # on a GPU box
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

HERE = Path(__file__).parent
BACKEND = HERE.parent
CANDIDATES = HERE / "candidates"
GPU_CANDIDATES = CANDIDATES / "gpu"
PROBLEMS = HERE / "problems"
EXAMPLES = HERE.parents[1] / "examples"
VERDICTS = {"correct", "incorrect", "rejected", "compile_error", "runtime_error", "timeout"}


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # pragma: no cover
        return False


HAS_CUDA = _cuda()
gpu = pytest.mark.gpu
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU (torch.cuda.is_available() is False)")


# ------------------------------------------------------------------------------------------------
# Running the verifier


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line and not line.lstrip().startswith("#"):
            return i
    raise AssertionError(f"{needle!r} not found in {path.name}")


def diags(rep: dict, rule: str, severity: str | None = None) -> list[dict]:
    return [d for d in rep.get("diagnostics", []) if d["rule"] == rule and (severity is None or d["severity"] == severity)]


def trial(rep: dict, name: str) -> dict:
    for t in rep["correctness"]["trials"]:
        if t["name"] == name:
            return t
    raise AssertionError(f"no trial {name!r} in {[t['name'] for t in rep['correctness']['trials']]}")


def failing_output(rep: dict) -> dict:
    """The first failing output at the problem's own sizes (batch-one runs first, at other sizes)."""
    trials = rep["correctness"]["trials"]
    for t in [t for t in trials if t["name"] != "batch-one"] + [t for t in trials if t["name"] == "batch-one"]:
        for o in t["outputs"]:
            if not o["ok"]:
                return o
    raise AssertionError("no failing output in the report")


def flags(rep: dict) -> set[str]:
    return {f["rule"] for f in (rep.get("correctness") or {}).get("flags", [])}


def explain(rep: dict) -> str:
    return json.dumps({k: rep.get(k) for k in ("verdict", "summary", "diagnostics", "anticheat", "error")},
                      default=str)[:3000]


# ------------------------------------------------------------------------------------------------
# Evidence checks (one per candidate). Each gets (report, candidate path).

Check = Callable[[dict, Path], None]


def all_trials_pass(rep: dict, cand: Path) -> None:
    names = [t["name"] for t in rep["correctness"]["trials"]]
    assert {"random-0", "random-1", "random-2", "heavy-tailed", "shape-variation"} <= set(names), names
    assert all(t["passed"] or t.get("flag_only") for t in rep["correctness"]["trials"])
    assert rep["anticheat"]["triton_launches"] >= len(names)
    assert rep["anticheat"]["torch_compute_ops"] == []
    assert not [d for d in rep["diagnostics"] if d["severity"] == "error"]


def correct_with(kernel: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        all_trials_pass(rep, cand)
        assert kernel in rep["anticheat"]["triton_kernels"]
    return check


def row_sum_reorder(rep: dict, cand: Path) -> None:
    all_trials_pass(rep, cand)
    out = trial(rep, "random-0")["outputs"][0]
    # Not bit-identical to torch.sum (a real reordering), yet within the fp64-based tolerance.
    assert out["max_abs_err"] > 0 and out["cand_err_vs_fp64"] <= out["allowed_err"]


def degenerate(rep: dict, cand: Path) -> None:
    all_trials_pass(rep, cand)
    assert "degenerate_output" in flags(rep), rep["correctness"]["flags"]


def mismatch(reason_has: tuple[str, ...] = (), kb: bool | None = None, trial_name: str | None = None,
             index: list[int] | None = None) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert diags(rep, "mismatch"), rep["diagnostics"]
        if trial_name:
            assert not trial(rep, trial_name)["passed"]
            bad = next(o for o in trial(rep, trial_name)["outputs"] if not o["ok"])
        else:
            bad = failing_output(rep)
        for text in reason_has:
            assert text in (bad.get("reason") or ""), bad
        if kb is not None:
            assert bad["passes_kernelbench_tol"] is kb, bad
        if index is not None:
            assert bad["first_mismatch"] == index, bad
        assert rep["anticheat"]["torch_compute_ops"] == []
        # Diagnostic points into the candidate (the kernel's def line or forward).
        assert all(d["line"] > 0 for d in diags(rep, "mismatch"))
    return check


def wrong_at_store(rep: dict, cand: Path) -> None:
    """The mismatch is pinned on the line that writes the wrong value (the kernel's one store)."""
    mismatch(kb=False)(rep, cand)
    assert {d["line"] for d in diags(rep, "mismatch")} == {line_of(cand, "tl.store(out_ptr + offs, a - b")}, \
        rep["diagnostics"]


def off_by_one(rep: dict, cand: Path) -> None:
    mismatch(index=[2999])(rep, cand)
    bad = failing_output(rep)
    assert bad["candidate_value"] == 12345.0


def subtle(rep: dict, cand: Path) -> None:
    """Within KernelBench's 1e-2 but far outside the fp64-based tolerance."""
    bad = trial(rep, "random-0")["outputs"][0]
    assert not bad["ok"] and bad["passes_kernelbench_tol"] is True, bad
    assert bad["cand_err_vs_fp64"] > 10 * bad["allowed_err"], bad
    assert "would pass KernelBench" in bad["reason"]


def precision(rep: dict, cand: Path) -> None:
    subtle(rep, cand)
    lines = {d["line"] for d in diags(rep, "precision_downgrade", "warning")}
    assert line_of(cand, "a.to(tl.float16)") in lines, rep["diagnostics"]
    # The verdict names it too: fp16 rounding is a small norm-wise error (a truncated softmax, which
    # also passes 1e-2, is a plain mismatch: test_rules).
    assert diags(rep, "precision_downgrade", "error") and "lower-precision path" in rep["summary"], rep["summary"]
    assert failing_output(rep)["norm_rel_err"] < 0.05


def nan_heavy_tailed(rep: dict, cand: Path) -> None:
    assert trial(rep, "random-0")["passed"]
    mismatch(("NaN",), trial_name="heavy-tailed")(rep, cand)


def static_reject(rule: str, needle: str | None) -> Check:
    def check(rep: dict, cand: Path) -> None:
        found = diags(rep, rule, "error")
        assert found, rep["diagnostics"]
        if needle is not None:
            assert found[0]["line"] == line_of(cand, needle)
        assert rule in rep["summary"]
        assert "correctness" not in rep or not rep["correctness"].get("trials")  # never ran
    return check


def fallback(op: str, decoy: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert op in rep["anticheat"]["torch_compute_ops"], rep["anticheat"]
        assert decoy in rep["anticheat"]["triton_kernels"]
        found = diags(rep, "pytorch_fallback")
        assert found and op in found[0]["message"]
        assert "pytorch_fallback" in rep["summary"] and op in rep["summary"]
    return check


def fallback_op_line(rep: dict, cand: Path) -> None:
    fallback("aten.add.Tensor", "copy_kernel")(rep, cand)
    assert diags(rep, "pytorch_fallback")[0]["line"] == line_of(cand, "return a + b")


def compiled_hidden(rep: dict, cand: Path) -> None:
    if any(f"rule {r}" in rep["summary"] for r in ("process_spawn", "dynamic_code", "introspection", "hidden_compute",
                                                    "environment_probe")):
        return  # the audit guard / profiler witness stopped Inductor's machinery first (its /proc reads: session 17)
    assert "copy_kernel" in rep["anticheat"]["triton_kernels"]
    if rep["device"]["type"] == "cpu" or rep["anticheat"]["torch_compute_ops"]:
        fallback("aten.add.Tensor", "copy_kernel")(rep, cand)
    else:  # Inductor's kernels ran: the profiler must have seen them
        assert rep["anticheat"].get("other_kernels"), rep["anticheat"]


def reference_hidden(rep: dict, cand: Path) -> None:
    if rep["verdict"] == "rejected" and "rule introspection" in rep["summary"]:
        return  # the audit guard refused the frame walk (worker/guard.py)
    if rep["verdict"] == "rejected":
        fallback("aten.add.Tensor", "copy_kernel")(rep, cand)


def cache_first(rep: dict, cand: Path) -> None:
    assert trial(rep, "batch-one")["passed"]  # the first call (batch-one runs first): its own answer
    later = trial(rep, "random-0")
    if rep["verdict"] == "rejected":
        assert diags(rep, "no_triton_launch") and not later["launches"]
    else:
        assert not later["passed"]
    assert diags(rep, "caching", "warning")


def cache_keyed(rep: dict, cand: Path) -> None:
    assert trial(rep, "random-0")["passed"] and not trial(rep, "random-1")["passed"]
    # The cached output is the first call's own tensor: returned again, on its storage (session 12).
    assert diags(rep, "mismatch") or diags(rep, "output_reused")
    assert line_of(cand, "_CACHE[key] = out") in {d["line"] for d in diags(rep, "caching", "warning")}


def mutated(rep: dict, cand: Path) -> None:
    assert "input_mutated" in flags(rep), rep["correctness"]
    assert diags(rep, "input_mutated")
    # the values themselves are right: only the mutation makes it incorrect
    assert all(o["ok"] for o in trial(rep, "random-0")["outputs"])


def hidden_monkeypatch(rep: dict, cand: Path) -> None:
    assert "monkeypatch" in rep["summary"]
    assert "torch.allclose" in rep["summary"] or "torch.testing.assert_close" in rep["summary"]
    assert not diags(rep, "monkeypatch", "error") or diags(rep, "monkeypatch")[0]["line"] >= 0


def forged_print(rep: dict, cand: Path) -> None:
    mismatch(kb=False)(rep, cand)
    assert len(diags(rep, "io_escape", "warning")) >= 3


def runtime_at(needle: str, text: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        found = diags(rep, "runtime_error")
        assert found and found[0]["line"] == line_of(cand, needle), rep["diagnostics"]
        assert text in found[0]["message"]
        assert str(line_of(cand, needle)) in rep["summary"]
    return check


def exited_early(rep: dict, cand: Path) -> None:
    assert diags(rep, "runtime_error"), rep["diagnostics"]
    assert "exit" in rep["summary"].lower()


def crashed(rep: dict, cand: Path) -> None:
    if rep["verdict"] == "rejected":  # the audit guard refused the ctypes write (worker/guard.py)
        assert diags(rep, "ctypes") and "rule ctypes" in rep["summary"], rep["summary"]
        return
    assert diags(rep, "runtime_error")
    text = rep["summary"].lower()
    assert "sigsegv" in text or "signal 11" in text or "-11" in text or "segmentation" in text, rep["summary"]
    assert diags(rep, "io_escape", "warning")  # the ctypes import


def compile_at(needle: str, text: str | None) -> Check:
    def check(rep: dict, cand: Path) -> None:
        found = diags(rep, "compile_error")
        assert found and found[0]["line"] == line_of(cand, needle), rep["diagnostics"]
        if text:
            assert text in found[0]["message"], found[0]
    return check


def timed_out(rep: dict, cand: Path) -> None:
    assert diags(rep, "timeout")
    assert rep["elapsed_s"] < 60


def shape_spec(rep: dict, cand: Path) -> None:
    assert trial(rep, "random-0")["passed"] and not trial(rep, "shape-variation")["passed"]
    assert diags(rep, "shape_specialization") and "shape_specialization" in rep["summary"]
    assert line_of(cand, "torch.empty(3000") in {d["line"] for d in diags(rep, "shape_hardcoding", "warning")}


def never_correct(rep: dict, cand: Path) -> None:
    assert rep["verdict"] != "correct"


# (candidate, problem, expected verdict(s), evidence check)
CASES: list[tuple[str, str, tuple[str, ...], Check]] = [
    # correct
    ("vector_add_correct.py", "vector_add.py", ("correct",), correct_with("add_kernel")),
    ("relu_correct.py", "relu.py", ("correct",), correct_with("relu_kernel")),
    ("row_sum_reordered.py", "row_sum.py", ("correct",), row_sum_reorder),
    ("matmul_tl_dot.py", "matmul.py", ("correct",), correct_with("matmul_kernel")),
    ("softmax_correct.py", "softmax.py", ("correct",), correct_with("softmax_kernel")),
    ("fma_fp16_correct.py", "fma_fp16.py", ("correct",), correct_with("fma_kernel")),
    ("degenerate_zeros.py", "zeros.py", ("correct",), degenerate),
    ("fp16_overflow_like_reference.py", "scale_fp16.py", ("correct",), correct_with("scale_kernel")),
    ("autotune_multi_config.py", "vector_add.py", ("correct",), correct_with("add_kernel")),
    # wrong
    ("wrong_off_by_one_mask.py", "vector_add.py", ("incorrect",), off_by_one),
    ("wrong_op.py", "vector_add.py", ("incorrect",), wrong_at_store),
    ("wrong_dtype.py", "vector_add.py", ("incorrect",), mismatch(("float64", "float32"))),
    ("wrong_shape.py", "row_sum.py", ("incorrect",), mismatch(("[64, 1]", "[64]"))),
    ("wrong_nan_softmax.py", "softmax.py", ("incorrect",), nan_heavy_tailed),
    ("wrong_nan_output.py", "vector_add.py", ("incorrect",), mismatch(("NaN",))),
    ("wrong_transposed.py", "relu.py", ("incorrect",), mismatch(kb=False)),
    ("wrong_gelu_tanh.py", "gelu.py", ("incorrect",), subtle),
    ("wrong_precision_fp16.py", "matmul.py", ("incorrect",), precision),
    # cheats
    ("cheat_torch_fallback_decoy.py", "vector_add.py", ("rejected",), fallback_op_line),
    ("cheat_pure_torch.py", "vector_add.py", ("rejected",), static_reject("no_triton_kernel", None)),
    ("cheat_torch_compile.py", "vector_add.py", ("rejected",), static_reject("torch_compile", "torch.compile(_add")),
    ("cheat_torch_compile_hidden.py", "vector_add.py", ("rejected",), compiled_hidden),
    ("cheat_empty_like.py", "relu.py", ("incorrect",), mismatch(kb=False)),
    ("cheat_cache_first_output.py", "vector_add.py", ("incorrect", "rejected"), cache_first),
    ("cheat_cache_keyed_decoy.py", "vector_add.py", ("incorrect",), cache_keyed),
    ("cheat_mutate_input.py", "vector_add.py", ("incorrect",), mutated),
    ("cheat_monkeypatch_allclose.py", "vector_add.py", ("rejected",), static_reject("monkeypatch", "torch.allclose =")),
    ("cheat_monkeypatch_elapsed_time.py", "vector_add.py", ("rejected",), static_reject("monkeypatch", "elapsed_time =")),
    ("cheat_monkeypatch_perf_counter.py", "vector_add.py", ("rejected",), static_reject("monkeypatch", "perf_counter =")),
    ("cheat_monkeypatch_hidden.py", "vector_add.py", ("rejected",), hidden_monkeypatch),
    ("cheat_print_forged_verdict.py", "vector_add.py", ("incorrect",), forged_print),
    ("cheat_os_exit.py", "vector_add.py", ("rejected",), static_reject("io_escape", "os._exit(0)")),
    ("cheat_os_exit_hidden.py", "vector_add.py", ("runtime_error",), exited_early),
    ("cheat_try_except_fallback.py", "vector_add.py", ("rejected",), static_reject("try_except_compute", "try:")),
    ("cheat_side_stream.py", "vector_add.py", ("rejected",), static_reject("side_stream", "torch.cuda.Stream()")),
    ("cheat_threads.py", "vector_add.py", ("rejected",), static_reject("threads", "from concurrent.futures")),
    ("cheat_reads_reference.py", "vector_add.py", ("rejected",), static_reject("reads_reference", "gc.get_objects()")),
    ("cheat_reads_reference_hidden.py", "vector_add.py", ("rejected", "incorrect"), reference_hidden),
    ("cheat_forged_result_file.py", "vector_add.py", ("rejected",), static_reject("io_escape", 'open("/tmp/')),
    ("cheat_tensor_subclass.py", "vector_add.py", ("incorrect", "runtime_error", "rejected"), never_correct),
    ("shape_hardcoded.py", "vector_add.py", ("rejected",), shape_spec),
    # errors
    ("runtime_raise.py", "vector_add.py", ("runtime_error",), runtime_at("raise ValueError", "ValueError")),
    ("compile_syntax_error.py", "vector_add.py", ("compile_error",), compile_at("def forward(self, a, b)", None)),
    ("compile_triton_error.py", "vector_add.py", ("compile_error",), compile_at("tl.arange(0, 1000)", "power of 2")),
    ("timeout_infinite_loop.py", "vector_add.py", ("timeout",), timed_out),
    ("crash_segfault_ctypes.py", "vector_add.py", ("runtime_error", "rejected"), crashed),
]

TIMEOUTS = {"timeout_infinite_loop.py": 8.0}


def test_library_is_complete():
    """Every candidate file is in CASES (and the headers name the problem the case uses)."""
    from test_rules import CASES as RULE_CASES  # the judging-rule cases live in tests/test_rules.py

    listed = {c for c, *_ in CASES} | {c for c, *_ in RULE_CASES}
    on_disk = {p.name for p in CANDIDATES.glob("*.py") if not p.name.startswith("escape_")}  # test_sandbox.py
    assert on_disk == listed, (on_disk - listed, listed - on_disk)
    for cand, prob, *_ in CASES:
        assert f"Problem: {prob}" in (CANDIDATES / cand).read_text()[:800], cand


def _check_report_shape(rep: dict) -> None:
    assert rep["schema"] == 1 and rep["verdict"] in VERDICTS
    assert isinstance(rep["summary"], str) and rep["summary"]
    for d in rep["diagnostics"]:
        assert isinstance(d["line"], int) and d["line"] >= 0
        assert d["severity"] in ("error", "warning", "info") and d["rule"] and d["message"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("cand,prob,verdicts,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_verdict_cpu(runner, cand, prob, verdicts, check):
    path = CANDIDATES / cand
    rep = runner(path, PROBLEMS / prob, "cpu", timeout=TIMEOUTS.get(cand, 60.0))
    _check_report_shape(rep)
    assert rep["verdict"] in verdicts, explain(rep)
    assert rep["device"]["interpreter"] is True
    check(rep, path)


def test_forged_result_file_never_written(runner):
    target = Path("/tmp/tritonize-forged-report.json")
    if target.exists():
        target.unlink()
    runner(CANDIDATES / "cheat_forged_result_file.py", PROBLEMS / "vector_add.py")
    assert not target.exists()


@pytest.mark.timeout(120)
def test_row_sum_reorder_fails_assert_close_defaults():
    """The reordered row sum is a meaningful test: torch.testing.assert_close's fp32 defaults reject
    it on the problem's own inputs (for seed 42 and most others), while the verifier accepts it."""
    code = f"""
import importlib.util, torch
def load(p, n):
    s = importlib.util.spec_from_file_location(n, p); m = importlib.util.module_from_spec(s); s.loader.exec_module(m); return m
prob = load({str(PROBLEMS / 'row_sum.py')!r}, 'p'); cand = load({str(CANDIDATES / 'row_sum_reordered.py')!r}, 'c')
fails = 0
for seed in range(4):
    torch.manual_seed(seed)
    x, = prob.get_inputs()
    ref, got, truth = prob.Model()(x), cand.ModelNew()(x), x.double().sum(1)
    try:
        torch.testing.assert_close(got, ref)
    except AssertionError:
        fails += 1
    assert (got.double() - truth).abs().max() <= 8 * (ref.double() - truth).abs().max() + 4 * 1.2e-7 * truth.abs().max()
print(fails)
"""
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=100)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip()) >= 1


# ------------------------------------------------------------------------------------------------
# CLI contract


def cli(*args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(BACKEND)}
    return subprocess.run([sys.executable, "-m", "tritonize.cli", *args], cwd=BACKEND, env=env,
                          capture_output=True, text=True, timeout=timeout)


def one_line_error(p: subprocess.CompletedProcess) -> None:
    assert p.returncode == 2, (p.returncode, p.stdout[-500:], p.stderr[-500:])
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tritonize:"), p.stderr


@pytest.mark.timeout(60)
def test_cli_missing_file_exit_2():
    one_line_error(cli("verify", str(PROBLEMS / "nope.py"), str(CANDIDATES / "vector_add_correct.py"), "--device", "cpu", "--json"))
    one_line_error(cli("verify", str(PROBLEMS / "vector_add.py"), str(CANDIDATES / "nope.py"), "--device", "cpu", "--json"))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("args", [
    ("verify",),
    ("verify", "only_one.py"),
    ("verify", "a.py", "b.py", "--device", "tpu"),
    ("verify", "a.py", "b.py", "--timeout", "soon"),
    ("frobnicate", "a.py", "b.py"),
    ("verify", "a.py", "b.py", "--no-such-flag"),
], ids=["no-args", "one-file", "bad-device", "bad-timeout", "bad-command", "bad-flag"])
def test_cli_bad_args_exit_2(args):
    one_line_error(cli(*args))


@pytest.mark.timeout(60)
@pytest.mark.skipif(HAS_CUDA, reason="only meaningful without a GPU")
def test_cli_cuda_without_gpu_exit_2():
    p = cli("verify", str(PROBLEMS / "vector_add.py"), str(CANDIDATES / "vector_add_correct.py"), "--device", "cuda", "--json")
    one_line_error(p)
    assert "cuda" in p.stderr.lower()


@pytest.mark.timeout(150)
def test_cli_correct_exit_0_and_one_json_object():
    p = cli("verify", str(PROBLEMS / "vector_add.py"), str(CANDIDATES / "vector_add_correct.py"), "--device", "cpu", "--json",
            "--timeout", "60")
    assert p.returncode == 0, p.stderr[-2000:]
    rep = json.loads(p.stdout)
    assert rep["verdict"] == "correct" and rep["device"]["type"] == "cpu" and rep["device"]["interpreter"] is True
    assert rep["versions"]["triton"] and rep["elapsed_s"] > 0


@pytest.mark.timeout(150)
def test_cli_forged_stdout_is_never_the_report():
    """The candidate prints a forged 'correct' JSON three ways; the CLI's stdout is exactly the one
    real report (json.loads of the whole stdout succeeds), verdict incorrect, exit 1."""
    p = cli("verify", str(PROBLEMS / "vector_add.py"), str(CANDIDATES / "cheat_print_forged_verdict.py"), "--device", "cpu",
            "--json", "--timeout", "60")
    assert p.returncode == 1, p.stderr[-2000:]
    rep = json.loads(p.stdout)
    assert rep["verdict"] == "incorrect"
    assert "forged" not in p.stdout.replace("cheat_print_forged_verdict", "")


@pytest.mark.timeout(60)
def test_cli_static_rejection_exit_1_and_text_mode():
    p = cli("verify", str(PROBLEMS / "vector_add.py"), str(CANDIDATES / "cheat_monkeypatch_allclose.py"), "--device", "cpu", "--json")
    assert p.returncode == 1
    rep = json.loads(p.stdout)
    assert rep["verdict"] == "rejected" and any(d["rule"] == "monkeypatch" and d["line"] == 21 for d in rep["diagnostics"])
    t = cli("verify", str(PROBLEMS / "vector_add.py"), str(CANDIDATES / "cheat_monkeypatch_allclose.py"), "--device", "cpu")
    assert t.returncode == 1 and "rejected" in t.stdout.lower()


@pytest.mark.timeout(150)
def test_cli_broken_problem_exit_2(tmp_path):
    bad = tmp_path / "bad_problem.py"
    bad.write_text("import torch\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return x\n"
                   "def get_inputs():\n    raise RuntimeError('boom')\ndef get_init_inputs():\n    return []\n")
    p = cli("verify", str(bad), str(CANDIDATES / "relu_correct.py"), "--device", "cpu", "--json", "--timeout", "60")
    one_line_error(p)
    assert "problem" in p.stderr


# ------------------------------------------------------------------------------------------------
# GPU (run on the GPU machine: pytest -m gpu). The whole library again with --device cuda, plus
# cheats that only exist on a GPU.

GPU_EXPECT_DIFF: dict[str, tuple[str, ...]] = {}  # same verdicts expected on both devices

GPU_CASES: list[tuple[str, str, tuple[str, ...], Check]] = []


def _gpu_case(cand: str, prob: str, verdicts: tuple[str, ...], check: Check) -> None:
    GPU_CASES.append((cand, prob, verdicts, check))


def stale_nan(rep: dict, cand: Path) -> None:
    bad = failing_output(rep)
    assert "NaN" in (bad.get("reason") or ""), bad  # freed memory is NaN-poisoned before the candidate runs


def illegal_address(rep: dict, cand: Path) -> None:
    text = (rep["summary"] + json.dumps(rep["diagnostics"])).lower()
    assert "illegal" in text or "out of bounds" in text or "misaligned" in text, rep["summary"]


def dynamic_tamper(name: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert "monkeypatch" in rep["summary"] and name in rep["summary"], rep["summary"]
    return check


def side_stream_timing(rep: dict, cand: Path) -> None:
    """Work outside the timed region (side stream) or no work at all (memoized): acceptable outcomes
    are rejected (timing_forged), incorrect (output of a timed call read before it was written), or
    a correct verdict whose timing is flagged and carries no speedup, or one measured honestly so the
    cheat buys nothing (timed calls see new values every call, so a memo never hits and the
    candidate is no faster than eager; seen on the H100: 0.16x)."""
    if rep["verdict"] == "correct":
        t = rep.get("timings") or {}
        s = t.get("speedup_vs_eager")
        assert s is None or s < 1.0, t
        if s is None:
            assert t.get("flags"), t


_gpu_case("gpu_empty_like_stale.py", "relu.py", ("incorrect",), stale_nan)
_gpu_case("gpu_illegal_address.py", "vector_add.py", ("runtime_error",), illegal_address)
_gpu_case("gpu_monkeypatch_synchronize.py", "vector_add.py", ("rejected",),
          static_reject("monkeypatch", "torch.cuda.synchronize ="))
_gpu_case("gpu_monkeypatch_synchronize_hidden.py", "vector_add.py", ("rejected",), dynamic_tamper("torch.cuda.synchronize"))
_gpu_case("gpu_matmul_tf32_default.py", "matmul.py", ("incorrect",), subtle)


@gpu
@needs_cuda
@pytest.mark.timeout(300)
@pytest.mark.parametrize("cand,prob,verdicts,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_verdict_cuda(runner, cand, prob, verdicts, check):
    path = CANDIDATES / cand
    verdicts = GPU_EXPECT_DIFF.get(cand, verdicts)
    rep = runner(path, PROBLEMS / prob, "cuda", timeout=TIMEOUTS.get(cand, 60.0))
    _check_report_shape(rep)
    assert rep["verdict"] in verdicts, explain(rep)
    assert rep["device"]["type"] == "cuda" and rep["device"]["interpreter"] is False
    check(rep, path)


@gpu
@needs_cuda
@pytest.mark.timeout(300)
@pytest.mark.parametrize("cand,prob,verdicts,check", GPU_CASES, ids=[c[0][:-3] for c in GPU_CASES])
def test_gpu_only_cheats(runner, cand, prob, verdicts, check):
    path = GPU_CANDIDATES / cand
    rep = runner(path, PROBLEMS / prob, "cuda", timeout=60.0)
    _check_report_shape(rep)
    assert rep["verdict"] in verdicts, explain(rep)
    check(rep, path)


@gpu
@needs_cuda
@pytest.mark.timeout(600)
@pytest.mark.parametrize("cand", ["gpu_side_stream_hidden.py", "gpu_memoize_data_ptr.py"])
def test_gpu_timing_cheats(cand):
    """Cheats that verify-only cannot see (the worker synchronizes the device and every trial has
    fresh inputs) must not get a clean speedup out of the benchmark."""
    path = GPU_CANDIDATES / cand
    rep = _bench(path, EXAMPLES / "softmax" / "problem.py")
    _check_report_shape(rep)
    assert rep["verdict"] in ("rejected", "incorrect", "correct"), explain(rep)
    side_stream_timing(rep, path)


def _bench(cand: Path, prob: Path) -> dict:
    from tritonize.judge.run import verify

    return verify(prob, cand, device="cuda", timeout=120.0, benchmark=True, options={"bench_budget_s": 5.0})


@gpu
@needs_cuda
@pytest.mark.timeout(600)
def test_gpu_correct_bench_has_timings():
    rep = _bench(CANDIDATES / "vector_add_correct.py", PROBLEMS / "vector_add.py")
    assert rep["verdict"] == "correct", explain(rep)
    t = rep["timings"]
    assert t["candidate"]["median_ms"] > 0 and t["eager"]["median_ms"] > 0


def test_gpu_library_is_complete():
    listed = {c for c, *_ in GPU_CASES} | {"gpu_side_stream_hidden.py", "gpu_memoize_data_ptr.py",
                                                "gpu_cuda_graph_replay.py"}  # the last: tests/test_rules.py
    on_disk = {p.name for p in GPU_CANDIDATES.glob("*.py")}
    assert on_disk == listed, (on_disk - listed, listed - on_disk)


def test_the_correct_summary_puts_a_large_absolute_error_beside_pytorchs_own():
    """A bit-exact kernel read "largest error against the reference run in float64 2.06e+05" (try-out
    10): the broadened trial's values are ~1e9, where PyTorch's own float32 error is as large."""
    from tritonize.judge.verdicts import correct_summary

    out = lambda cand, ref, allowed: {"ok": True, "cand_err_vs_fp64": cand, "ref_err_vs_fp64": ref, "allowed_err": allowed}
    s = correct_summary({"flags": [], "trials": [
        {"name": "random-0", "outputs": [out(1e-7, 1e-7, 1e-5)]},
        {"name": "broadened", "outputs": [out(2.06e5, 2.06e5, 3.4e6)]}]})
    assert s.startswith("matches the reference on 2 trials (random-0, broadened); ")
    assert "error against a float64 run of the reference at most 6% of the tolerance; largest absolute error 2.06e+05 " \
        "on broadened, where PyTorch's own error is 2.06e+05" in s, s
