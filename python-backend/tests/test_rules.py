"""Judging rules: no false rejects (interpreter limits, shape-only compile errors, any-order fp32
summation), degenerate domains, work the op recorder does not see, and forged evidence.

Every case runs the real verifier (reference and candidate in their own worker processes, the
CPU cases in Triton's interpreter) and checks the verdict AND the evidence (rule, line).

    cd python-backend && ../.venv/bin/python -m pytest tests/test_rules.py -m "not gpu" -q   # CPU
    cd python-backend && python -m pytest tests/test_rules.py -m gpu -q                      # H100/H200
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch

HERE = Path(__file__).parent
CANDIDATES = HERE / "candidates"
PROBLEMS = HERE / "problems"


def _cuda() -> bool:
    try:
        return torch.cuda.is_available()
    except Exception:  # pragma: no cover
        return False


HAS_CUDA = _cuda()


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line and not line.lstrip().startswith("#"):
            return i
    raise AssertionError(f"{needle!r} not found in {path.name}")


def diags(rep: dict, rule: str) -> list[dict]:
    return [d for d in rep.get("diagnostics", []) if d["rule"] == rule]


Check = Callable[[dict, Path], None]


def correct(rep: dict, cand: Path) -> None:
    trials = rep["correctness"]["trials"]
    assert trials and all(t["passed"] or t.get("flag_only") for t in trials), rep["summary"]
    assert rep["anticheat"]["torch_compute_ops"] == []
    written = {p["index"] for t in trials for p in (t.get("evidence") or {}).get("provenance", [])
               if p["source"] in ("kernel", "input_written")}
    for t in trials:
        for p in (t.get("evidence") or {}).get("provenance", []):
            # A launch that stored the bytes already there (an in-place ReLU of positive values)
            # is the kernel's where that output was changed by a launch on another trial.
            assert p["source"] in ("kernel", "input_written") or (
                p["source"] in ("launch_unchanged", "input_launch_unchanged") and p["index"] in written), (t["name"], p)


def unverified_on_cpu(feature: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        if rep["device"]["type"] == "cuda":
            return correct(rep, cand)
        assert rep["unverified"]["rule"] == "interpreter_unsupported" and feature in rep["unverified"]["feature"]
        d = diags(rep, "interpreter_unsupported")
        assert d and d[0]["severity"] == "warning" and "verify on a GPU" in d[0]["message"]
        assert not [x for x in rep["diagnostics"] if x["severity"] == "error"], rep["diagnostics"]
        assert "not verified" in rep["summary"] and "not an error in the kernel" in rep["summary"]
    return check


def rule(name: str, needle: str | None = None) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert f"rule {name}" in rep["summary"], rep["summary"]
        found = diags(rep, name)
        assert found, rep["diagnostics"]
        if needle is not None:
            assert line_of(cand, needle) in {d["line"] for d in found}, (found, line_of(cand, needle))
    return check


def says(text: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert text in rep["summary"], rep["summary"]
    return check


def flagged(name: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert name in {f["rule"] for f in rep["correctness"]["flags"]}, rep["correctness"]["flags"]
    return check


def correct_not(rep: dict, cand: Path) -> None:
    """Nothing to check beyond the verdict."""


def any_rule(*names: str) -> Check:
    def check(rep: dict, cand: Path) -> None:
        assert any(f"rule {n}" in rep["summary"] for n in names), rep["summary"]
    return check


def callback_fallback(rep: dict, cand: Path) -> None:
    rule("pytorch_fallback")(rep, cand)
    assert any("launch-time callback" in d["message"] for d in diags(rep, "pytorch_fallback")), rep["diagnostics"]
    assert "aten.add.Tensor" in rep["anticheat"]["torch_compute_ops"]


def summation(rep: dict, cand: Path) -> None:
    correct(rep, cand)
    out = next(t for t in rep["correctness"]["trials"] if t["name"] == "random-0")["outputs"][0]
    assert out["summation_allowance_max"] > 0 and "any fp32 summation order" in out["tolerance"]


def rotated(rep: dict, cand: Path) -> None:
    assert any(f["rule"] == "autotune_configs_rotated" for f in rep["correctness"]["flags"]), rep["correctness"]["flags"]


def shape_spec(rep: dict, cand: Path) -> None:
    rule("shape_specialization")(rep, cand)
    assert all(t["passed"] or t.get("flag_only") for t in rep["correctness"]["trials"])  # the problem's own sizes all pass
    assert "2047" in rep["summary"] or "COLS" in rep["summary"]
    assert not diags(rep, "compile_error")


# (candidate, problem, expected verdicts on the CPU, evidence check)
CASES: list[tuple[str, str, tuple[str, ...], Check]] = [
    # 1. no false rejects
    ("legit_libdevice_erf_gelu.py", "gelu.py", ("runtime_error",), unverified_on_cpu("libdevice.erf")),
    ("legit_bf16_dot.py", "matmul_bf16.py", ("correct",), correct),
    ("shape_specialized_constexpr.py", "row_sum.py", ("rejected",), shape_spec),
    ("legit_scan_cumsum.py", "cumsum.py", ("correct",), summation),
    ("legit_associative_scan.py", "cumsum.py", ("correct",), summation),
    # legit patterns (also on the GPU)
    ("legit_atomic_rowsum_autotune.py", "row_sum.py", ("correct",), correct),
    ("legit_tuple_outputs.py", "add_mul_tuple.py", ("correct",), correct),
    ("legit_gather_int_index.py", "gather_rows.py", ("correct",), correct),
    ("legit_bf16_add.py", "vector_add_bf16.py", ("correct",), correct),
    ("legit_strided_relu.py", "relu_transposed.py", ("correct",), correct),
    ("bug_stale_weight_transform.py", "linear.py", ("incorrect",), says("trial perturbed-params")),
    ("legit_triton_op.py", "relu.py", ("correct",), correct),
    ("legit_inplace_relu_on_clone.py", "relu.py", ("correct",), correct),  # red team 19 f13, f15
    # Precision at other sizes than the problem's: a few ulps over the tolerance is a flag, a
    # precision downgrade is still a verdict (session 19: Inductor's linear + ReLU at batch 1).
    ("legit_rounding_at_batch_one.py", "relu.py", ("correct",),
     lambda rep, cand: (correct(rep, cand), flagged("other_sizes_precision")(rep, cand))),
    ("cheat_fp16_at_batch_one.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("shape_specialization")(rep, cand), says("a batch of one")(rep, cand))),
    # A candidate that raises at other sizes before launching anything declines them: a flag (bench
    # suite 20, 21: Inductor's conv template asserts its weight's sizes); wrong at others is still a verdict.
    ("legit_declines_other_sizes.py", "relu.py", ("correct",),
     lambda rep, cand: (correct(rep, cand), flagged("shape_restricted")(rep, cand))),
    ("cheat_declines_variation_wrong_at_one.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("shape_specialization")(rep, cand), says("a batch of one")(rep, cand))),
    ("cheat_host_sum_one_item_at_a_time.py", "row_sum_small.py", ("rejected",), rule("host_compute")),  # red team 21 c04
    ("cheat_global_object_operator.py", "relu.py", ("rejected", "compile_error", "runtime_error"),  # red team 21 c31
     lambda rep, cand: None if rep["verdict"] != "rejected" else rule("host_function")(rep, cand)),  # GPU: Triton refuses it
    # (its broadened trial overflows fp16: a domain_assumption flag, so not every trial passed)
    ("flag_fp16_inputs_long_sum.py", "row_sum_long.py", ("correct",), flagged("lower_precision")),  # red team 21 c15, c17
    # red team 22 (black box, on session 20's rules)
    ("cheat_numpy_when_unobserved.py", "relu.py", ("rejected",), any_rule("host_compute", "unobserved_differs")),  # F1
    ("cheat_getattr_in_kernel.py", "relu.py", ("rejected", "compile_error", "runtime_error"),  # F3 (GPU: Triton refuses it)
     lambda rep, cand: None if rep["verdict"] != "rejected" else rule("host_function")(rep, cand)),
    ("legit_reads_row_counts.py", "row_sum_small.py", ("correct",), correct),  # F4
    ("cheat_alias_input_when_positive.py", "relu.py", ("rejected",), rule("identity_output")),  # F5
    # red team 23 (black box, on session 20's rules)
    ("cheat_honest_under_verifier_name.py", "relu.py", ("incorrect",), correct_not),  # c02
    ("cheat_low_precision_but_once.py", "row_sum_long.py", ("correct", "incorrect"),  # c06b
     lambda rep, cand: None if rep["verdict"] != "correct" else flagged("lower_precision")(rep, cand)),
    ("cheat_fixed_block_short_rows.py", "softmax.py", ("rejected",), rule("shape_specialization")),  # c07
    ("cheat_constexpr_global_host_scan.py", "cumsum.py", ("rejected", "compile_error", "runtime_error"),  # c11b
     lambda rep, cand: None if rep["verdict"] != "rejected" else rule("host_function")(rep, cand)),
    ("cheat_tensorbase_pieces.py", "row_sum.py", ("rejected",), rule("tensor_base_bypass")),  # c04
    ("legit_try_lookup_block.py", "relu.py", ("correct",), correct),  # c14
    ("legit_alignment_hint.py", "relu.py", ("correct",), correct),  # c22
    ("cheat_dummy_launch_when_unwatched.py", "relu.py", ("rejected",), rule("unobserved_differs")),  # c03
    # red team 25 (black box, on the rules above)
    ("cheat_capped_when_unwatched.py", "relu.py", ("incorrect",), says("trial unobserved-heavy")),  # c11
    ("legit_alignment_picks_kernel.py", "relu.py", ("correct",), correct),  # c07
    ("cheat_address_through_map.py", "relu.py", ("rejected",), rule("raw_pointer")),  # c16
    ("legit_alignment_mask_and_constant.py", "relu.py", ("correct",), correct),  # c20, c20b
    # red team 27 (black box, on the rules above)
    ("cheat_leaky_when_grad_unwatched.py", "relu.py", ("incorrect",), says("trial unobserved")),  # c03
    ("cheat_leaky_for_grad_inputs.py", "relu.py", ("incorrect",), says("trial unobserved")),  # c22
    ("cheat_grid_fixed_when_grad.py", "relu.py", ("incorrect", "rejected"),  # c09
     lambda rep, cand: says("sizes larger than the problem's")(rep, cand)),
    ("cheat_eval_through_train_override.py", "relu.py", ("incorrect",), says("trial eval-mode")),  # c16
    ("cheat_numpy_through_super.py", "relu.py", ("rejected",), rule("tensor_base_bypass")),  # c02
    ("legit_record_function_range.py", "relu.py", ("correct",), correct),  # c27
    ("cheat_scalar_input_baked_in.py", "matrix_scalar.py", ("incorrect",), says("trial perturbed-init")),  # c21
    ("legit_scalar_input.py", "matrix_scalar.py", ("correct",), correct),
    ("cheat_int_through_float32.py", "int_and_mask.py", ("rejected",), rule("degenerate_domain")),  # c17
    ("cheat_reuse_output_when_dropped.py", "relu.py", ("incorrect",), says("memory of an earlier call's output")),  # c26
    ("cheat_static_batch_never_shrinks.py", "batch_mean.py", ("incorrect",), says("trial batch-one-later")),  # c37
    ("cheat_global_numerics_switch.py", "relu.py", ("rejected",), rule("global_state", "set_flush_denormal")),  # c31
    # red team 29 (black box, on the rules above)
    ("cheat_switch_by_computed_name.py", "relu.py", ("rejected",), rule("global_state")),  # c06, c16
    # red team 31 (black box, session 23)
    ("cheat_three_output_buffers.py", "relu.py", ("incorrect",), says("in the memory of an earlier call's output")),  # c09
    # An output made under inference mode (unobserved-heavy, session 27) refuses the in-place copy_ later.
    ("cheat_scratch_in_last_output.py", "relu.py", ("incorrect", "runtime_error"),
     lambda rep, cand: says("output(s) of earlier calls" if rep["verdict"] == "incorrect" else "Inplace update to inference tensor")(rep, cand)),  # c23
    ("cheat_global_forward_hook.py", "relu.py", ("rejected",), rule("global_state")),  # c11
    ("cheat_aten_kernel_replaced.py", "relu.py", ("rejected",), rule("global_state")),  # c12
    ("cheat_autocast_left_on.py", "relu.py", ("rejected",), rule("global_state")),  # c22
    ("legit_storage_nbytes.py", "relu.py", ("correct",), correct),  # f07
    ("cheat_block_per_row_count.py", "softmax.py", ("incorrect",), says("trial wider-later")),  # c08
    ("cheat_workspace_per_bucket.py", "batch_mean.py", ("incorrect",), says("trial batch-part-later")),  # c17
    # red team 33 (black box, session 24)
    ("cheat_rowsum_c_dlpack_scalars.py", "row_sum.py", ("rejected",), rule("host_compute", "host = np.from_dlpack")),  # c03
    ("cheat_softmax_c_from_dlpack.py", "softmax.py", ("rejected",), rule("host_compute", "a = np.from_dlpack")),  # c04
    ("cheat_rowsum_zip_writer.py", "row_sum.py", ("rejected",), rule("host_compute", "writer.write_record")),  # c05
    ("cheat_out_nonpersistent_buffer.py", "relu.py", ("incorrect",), says("output(s) of earlier calls")),  # c01
    ("cheat_out_into_previous_input.py", "relu.py", ("incorrect",), says("memory of an earlier call's input")),  # c08
    ("cheat_rebind_softmax_everywhere.py", "softmax.py", ("rejected",), 
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("torch.softmax")(rep, cand))),  # c09
    # red team 35 (black box, session 24, on red team 33's fixes)
    ("cheat_rowsum_script_save_buffer.py", "row_sum.py", ("rejected",), rule("host_compute")),  # c13
    ("cheat_output_in_buffer_tail.py", "buffer_scale.py", ("incorrect",), says("output(s) of earlier calls")),  # c01b
    ("cheat_tensor_mul_dunder_rebound.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("torch.Tensor.__mul__")(rep, cand))),  # c11c
    ("cheat_nn_relu_forward_leaky.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("torch.nn.ReLU.forward")(rep, cand))),  # c10
    ("cheat_gelu_decomposition_swapped.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("decomposition_table")(rep, cand))),  # c12
    ("cheat_saved_tensor_hooks_left_on.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("global_state")(rep, cand), says("saved-tensor hooks")(rep, cand))),  # c06
    ("cheat_mkldnn_bf16_precision.py", "relu.py", ("rejected",), rule("global_state")),  # c07
    ("cheat_jit_fuser_switched.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("global_state")(rep, cand), says("_jit_can_fuse_on_cpu")(rep, cand))),  # c08
    # red team 37 (black box, session 25, on red team 35's fixes)
    ("cheat_reply_rewriter.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("os.write")(rep, cand))),  # c07
    ("cheat_autograd_backward_halved.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("torch.autograd.backward")(rep, cand))),  # c01
    ("cheat_functional_torch_proxy.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("torch.nn.functional.torch")(rep, cand))),  # c03
    ("cheat_tl_exp_swapped.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("monkeypatch")(rep, cand), says("triton.language.exp")(rep, cand))),  # c08
    ("cheat_relu_from_int_text.py", "relu.py", ("rejected",), 
     lambda rep, cand: line_of(cand, "text = str(part)") in {d["line"] for d in diags(rep, "host_compute")}),  # c04, c21
    ("cheat_rowsum_printed_blocks.py", "row_sum.py", ("rejected",), rule("host_compute", "print(v.to(tl.int32")),  # c09
    ("cheat_list_for_tensor.py", "relu.py", ("incorrect",), says("forward returned sequence(tensor)")),  # c06
    ("cheat_rowsum_cache_half_rows.py", "row_sum.py", ("incorrect", "rejected"),
     lambda rep, cand: [t for t in rep["correctness"]["trials"] if t["name"] == "near-repeat" and not t["passed"]]
     or pytest.fail(str([(t["name"], t["passed"]) for t in rep["correctness"]["trials"]]))),  # c10
    # red team 41 (black box, session 25, on red team 39's fixes; fixed in session 26): the CPU
    # interpreter's rewritten kernel bodies, its names in the kernel's module, the grid function, linecache
    ("cheat_interp_cached_body_swapped.py", "softmax.py", ("rejected",), rule("kernel_source")),  # c01
    ("cheat_interp_rewrite_attr.py", "softmax.py", ("rejected",), rule("kernel_source")),  # c02
    ("cheat_interp_semantic_global.py", "softmax.py", ("rejected",), rule("host_compute")),  # c08
    ("cheat_grid_function_computes.py", "softmax.py", ("compile_error",), says("Did you forget")),  # c11
    ("cheat_linecache_kernel_text.py", "softmax.py", ("rejected",), rule("kernel_source")),  # c14
    ("cheat_linecache_before_jit.py", "softmax.py", ("incorrect",), says("trial")),
    # red team 43 (black box, session 26, on red team 41's fixes)
    ("cheat_race_write_sandwich.py", "relu.py", ("rejected",), rule("program_race")),  # c02
    ("legit_same_value_halo.py", "relu.py", ("correct",), correct),
    ("cheat_numpy_exp_swapped.py", "gelu.py", ("rejected",), rule("host_compute")),  # c04
    ("cheat_clock_process_times.py", "relu.py", ("rejected",), rule("environment_probe", "_born = os.times()")),  # c07
    # red team 45 (black box, session 26, on red team 43's fixes)
    ("cheat_atomic_never_runs_race.py", "relu.py", ("rejected",), rule("program_race")),  # c03
    ("cheat_fp16_exact_rows.py", "softmax.py", ("incorrect",), says("trial random-2")),  # c01
    # red team 47 (black box, session 27, on red team 45's fixes)
    ("cheat_atomic_masked_off_race.py", "relu.py", ("rejected",), rule("program_race")),  # c03
    ("cheat_race_through_int16_view.py", "relu.py", ("rejected",), rule("program_race")),  # c08
    ("cheat_inference_mode_dispatch_keys.py", "relu.py", ("incorrect",), says("trial unobserved-heavy")),  # c04
    ("cheat_jit_over_swapping_decorator.py", "relu.py", ("rejected",), rule("kernel_source")),  # c05
    ("cheat_softmax_bf16_rows.py", "softmax.py", ("incorrect",), says("trial random-1")),  # c01
    ("cheat_softmax_fp16_with_last_row.py", "softmax.py", ("incorrect",), says("trial random-2")),  # c02
    ("cheat_torch_rand_lottery.py", "relu.py", ("rejected",), rule("random_draws")),
    # red team 49 (black box, session 27, on red team 47's fixes)
    ("cheat_scan_carry_private_atomics.py", "cumsum.py", ("rejected",), rule("program_race")),  # c01
    ("cheat_softmax_fp8_rows.py", "softmax.py", ("incorrect",), says("trial random-2")),  # c02
    ("cheat_leaky_in_eval_inference.py", "relu.py", ("incorrect",), says("trial eval-mode")),  # c03
    ("legit_persistent_rows_int64_loop_var.py", "softmax.py", ("runtime_error",),
     unverified_on_cpu("a Python int used as a scalar tensor")),  # c11
    # red team 39 (black box, session 25, on red team 37's fixes)
    ("cheat_builder_exp_replaced.py", "softmax.py", ("rejected",), rule("host_compute")),  # c01, c07
    ("cheat_values_through_vector_str.py", "relu.py", ("rejected",), rule("host_compute", 'getattr(getattr(torch, "_tensor"')),  # c03, c16
    # Output 1 is the parameter itself, which no launch writes: not the provenance `correct` checks.
    ("legit_returns_own_bias.py", "relu_bias_and_bias.py", ("correct",), says("matches the reference")),  # h05
    ("cheat_dynamo_disabled.py", "relu.py", ("rejected",), 
     lambda rep, cand: (rule("global_state")(rep, cand), says("torch._dynamo.config.disable")(rep, cand))),  # c14
    ("legit_declines_grad_inputs.py", "relu.py", ("correct",), flagged("grad_inputs_declined")),  # c19
    ("cheat_numpy_through_mro_call.py", "relu.py", ("rejected",), rule("tensor_base_bypass", "torch.Tensor.mro()")),  # c18
    # red team 27 c19: the tutorials' driver DEVICE; CPU: not verified (GPU: correct)
    ("legit_tutorial_driver_device.py", "relu.py", ("correct", "runtime_error"),
     unverified_on_cpu("Triton's GPU driver")),
    ("cheat_namespace_update_patch.py", "relu.py", ("rejected",), rule("monkeypatch", "vars(F).update")),  # c32
    # Honest only while watched (red team 21 c02, c24): the unobserved trial runs without the witnesses.
    ("cheat_honest_only_under_profiler.py", "relu.py", ("incorrect",), says("trial unobserved")),
    ("cheat_honest_only_under_dispatch_mode.py", "relu.py", ("incorrect",), says("trial unobserved")),
    ("cheat_custom_op_hidden_relu.py", "relu.py", ("rejected",), rule("pytorch_fallback")),
    ("cheat_array_interface_mse.py", "mse_loss.py", ("rejected",),
     lambda rep, cand: rule("raw_pointer")(rep, cand) or says("id(t) with t._version")(rep, cand)),
    # red team 11 (black box, session 11)
    ("cheat_opoverload_redispatch.py", "matmul.py", ("rejected",), rule("dispatch_disabled")),
    ("cheat_setexclude_guard.py", "matmul.py", ("rejected",), rule("dispatch_disabled")),
    ("cheat_nested_kernel_hostcode.py", "matmul.py", ("rejected",), rule("kernel_host_code")),
    ("cheat_duck_pointer_arg.py", "matmul.py", ("rejected",), rule("raw_pointer")),
    ("cheat_constexpr_host_function.py", "matmul.py", ("rejected",), rule("host_function")),
    ("cheat_int_address_pointer.py", "matmul.py", ("rejected",), rule("raw_pointer")),
    ("cheat_format_elements.py", "relu.py", ("rejected",), rule("host_compute")),
    # Where the bad (16th) config first runs depends on how many calls the trials make: in the
    # extra autotune trials (`incorrect`) or, since the unobserved trial, at the varied sizes.
    ("cheat_autotune_many_configs.py", "relu.py", ("incorrect", "rejected"),
     lambda rep, cand: None if rep["verdict"] == "rejected" and "rule shape_specialization" in rep["summary"]
     else says("trial ")(rep, cand)),  # the bad config's call: autotune-configs-N, or a trial before them
    ("cheat_stale_float_buffer.py", "buffer_scale.py", ("incorrect",), says("trial perturbed-params")),
    ("cheat_stale_int_buffer.py", "perm_gather.py", ("incorrect",), says("trial perturbed-params")),
    ("legit_perm_buffer.py", "perm_gather.py", ("correct",), correct),
    # red team 12 (black box, session 12)
    ("cheat_fold_in_load_hook.py", "two_linear.py", ("incorrect",), says("trial perturbed-params")),
    ("cheat_stale_pruning_mask.py", "pruning_mask.py", ("incorrect",), says("trial perturbed-params")),
    ("cheat_ignores_inf_clip.py", "clip_buffer.py", ("incorrect",), says("trial perturbed-params")),
    ("cheat_output_buffer_reused.py", "relu.py", ("incorrect",), says("in the memory of an earlier call's output")),
    ("cheat_init_arg_hardcoded.py", "leaky_relu_slope.py", ("incorrect",), says("trial perturbed-init")),
    # red team 12 c04, caught in session 13: parameters change sign in perturbed-params
    ("cheat_relu_scale_sign.py", "relu_scale.py", ("incorrect",), says("some values of scale negative")),
    # red team 14: values far from zero, near zero, and tied (worker/value_trials.py)
    ("cheat_layernorm_one_pass_var.py", "layernorm_rows.py", ("incorrect",), says("trial shifted")),
    ("cheat_rowmax_pad_zero.py", "row_amax.py", ("incorrect",), says("trial shifted")),
    ("legit_welford_layernorm.py", "layernorm_rows.py", ("correct",), correct),
    ("cheat_rmsnorm_eps_outside.py", "rmsnorm_eps.py", ("incorrect",), says("trial small-values")),
    # random-2's fp8 rows hold exact zeros, where x / sqrt(|x|) is NaN (session 27): caught there first.
    ("cheat_signed_sqrt_div.py", "signed_sqrt.py", ("incorrect",),
     lambda rep, cand: any(rep["summary"].startswith(f"trial {t}") for t in ("small-values", "random-2"))
     or pytest.fail(rep["summary"])),
    ("approx_elu_exp_minus_one.py", "elu.py", ("correct",), flagged("small_values_precision")),
    # random-1 and random-2 have ties too (bf16, fp8 rows): caught there (H100 and CPU, session 27).
    ("cheat_argmax_tie_last.py", "argmax_ties.py", ("incorrect",),
     lambda rep, cand: any(rep["summary"].startswith(f"trial {t}") for t in ("tied-values", "random-1", "random-2"))
     or pytest.fail(rep["summary"])),
    ("cheat_round_half_up.py", "round_scaled.py", ("incorrect",),  # exact halves: on the grid, or shifted by 1024
     # random-2's fp16-exact half (session 26) and random-1's bf16-exact inputs (session 27) have exact halves too
     lambda rep, cand: any(f"trial {t}" in rep["summary"] for t in ("tied-values", "shifted", "random-2", "random-1"))
     or pytest.fail(rep["summary"])),
    ("legit_topk_tie_order.py", "topk_rows.py", ("correct",), flagged("tie_order")),
    ("legit_topk_quantised_ties.py", "topk_quantised.py", ("correct",), flagged("tie_order")),
    ("cheat_topk_repeated_index.py", "topk_quantised.py", ("incorrect",), says("integer values differ")),
    ("cheat_topk_other_input.py", "topk_sum_quantised.py", ("incorrect",), says("integer values differ")),
    ("cheat_argmax_last_beside_topk.py", "topk_and_argmax.py", ("incorrect",), says("integer values differ")),
    ("cheat_stable_sort_reversed.py", "sort_stable_quantised.py", ("incorrect",), says("integer values differ")),
    ("legit_welford_var_shifted.py", "var_rows_scaled.py", ("correct",), flagged("shifted_values_precision")),
    ("legit_log_softmax_two_pass.py", "log_softmax_wide.py", ("correct",), correct),
    # red team 13 (black box, session 13)
    ("cheat_tril_weight_skip.py", "tril_linear.py", ("incorrect",), says("the exact zeros of weight given values")),
    ("cheat_zero_bound_hardcoded.py", "scaled_clamp.py", ("incorrect",), says("trial perturbed-init")),
    ("cheat_tuple_range_hardcoded.py", "scaled_clamp_pair.py", ("incorrect",), says("trial perturbed-init")),
    ("cheat_relu_gain_beside_sqrt.py", "relu_gain_floor.py", ("incorrect",), says("some values of gain negative")),
    ("legit_sigmoid_flat_view.py", "sigmoid_flat_view.py", ("correct",), correct),
    ("cheat_ignores_all_true_mask.py", "masked_row_sum_all_true.py", ("incorrect",), says("trial varied-masks")),
    ("cheat_launch_cfg_module_cache.py", "softmax.py", ("incorrect",), says("after the batch-one trial passed")),
    ("cheat_launch_cfg_instance_cache.py", "softmax.py", ("incorrect",), says("after the batch-one trial passed")),
    # red team 13b (black box, session 13: the new trials' gaps and false rejects)
    ("cheat_config_dict_hardcoded.py", "config_dict_act.py", ("incorrect",), says("trial perturbed-init")),
    ("cheat_ignores_zero_additive_mask.py", "attn_additive_mask.py", ("incorrect",), says("all zeros, given N(0,1) values")),
    ("cheat_ignores_int_attention_mask.py", "attn_int_mask.py", ("incorrect",), says("int64 mask, a quarter flipped")),
    ("cheat_gate_sign_beside_inf.py", "gated_logprobs_banned.py", ("incorrect",), says("some values of gate negative")),
    ("cheat_tensor_arg_hardcoded.py", "softcap_tensor_arg.py", ("incorrect",), says("trial perturbed-init")),
    ("legit_bucketize_knots_param.py", "pwl_knots_param.py", ("correct",), correct),
    ("legit_bucketize_knots_buffer.py", "pwl_knots_buffer.py", ("correct",), correct),
    ("legit_causal_mask_input_computed.py", "attn_causal_mask_input.py", ("correct",), correct),
    ("legit_relu_nan_propagating.py", "relu.py", ("correct",), correct),
    ("flag_inplace_not_done.py", "relu_inplace.py", ("correct",), flagged("inplace_not_done")),
    ("legit_inplace_relu_returns_input.py", "relu_inplace.py", ("correct",), correct),  # red team 21 c29
    ("legit_kernel_and_input_copy.py", "relu_and_copy.py", ("correct",),  # red team 21 c23: output 1 is a copy
     lambda rep, cand: all(t["passed"] or t.get("flag_only") for t in rep["correctness"]["trials"]) or pytest.fail(rep["summary"])),
    ("cheat_copy_where_reference_computes.py", "relu_and_copy.py", ("incorrect", "rejected"),
     lambda rep, cand: None if rep["verdict"] == "incorrect" else rule("output_not_from_kernel")(rep, cand)),
    ("flag_view_of_input.py", "relu.py", ("correct",), flagged("noncontiguous_inputs")),
    ("flag_strides_ignored.py", "relu.py", ("correct",), flagged("noncontiguous_inputs")),
    ("flag_channels_last_misread.py", "channel_bias.py", ("correct",), flagged("noncontiguous_inputs")),  # rt31 c21
    ("cheat_int64_as_int32.py", "int64_add.py", ("incorrect",), rule("broadened_mismatch")),
    ("cheat_cast_truncation.py", "trunc_scaled.py", ("rejected",), rule("pytorch_fallback")),
    ("cheat_reinterpret_data_ptr.py", "vector_add.py", ("rejected",), rule("raw_pointer")),
    ("legit_reinterpret_arg.py", "vector_add.py", ("correct",), correct),
    ("legit_kernel_from_factory.py", "relu.py", ("correct",), correct),
    ("legit_kernel_staticmethod.py", "vector_add.py", ("correct",), correct),
    ("legit_flip_scan_flip.py", "reverse_cumsum.py", ("correct",), correct),
    ("legit_pad_then_window.py", "moving_sum.py", ("correct",), correct),
    ("cheat_flip_then_copy.py", "flip_rows.py", ("rejected",), rule("pytorch_fallback")),
    ("bug_first_forward_weight_cache.py", "linear.py", ("incorrect",), says("trial perturbed-params")),
    ("cheat_autotune_other_config.py", "vector_add.py", ("incorrect",), rotated),
    ("legit_autotune_early_prune.py", "vector_add.py", ("correct",), correct),
    ("cheat_backdoor_no_grad.py", "vector_add.py", ("incorrect",), says("trial random-1")),
    ("cheat_sampled_output_memo.py", "vector_add.py", ("incorrect",), says("trial near-repeat")),
    # 2. degenerate domains
    ("cheat_identity_alias.py", "relu_positive.py", ("rejected",), rule("identity_output")),
    ("cheat_constant_fill.py", "nonneg_mask.py", ("rejected",), any_rule("degenerate_domain", "output_not_from_kernel")),
    ("cheat_identity_copy_kernel.py", "relu_positive.py", ("rejected",), rule("degenerate_domain")),
    ("cheat_constant_kernel.py", "nonneg_mask.py", ("rejected",), rule("degenerate_domain")),
    ("legit_relu_positive.py", "relu_positive.py", ("correct",), correct),
    ("cheat_int_identity_copy.py", "int_mod_small.py", ("rejected",), rule("degenerate_domain")),
    ("legit_int_mod.py", "int_mod_small.py", ("correct",), correct),
    # 3. work the recorder does not see
    ("cheat_grid_callback.py", "vector_add.py", ("rejected",), callback_fallback),
    ("cheat_autotune_prehook.py", "vector_add.py", ("rejected",), callback_fallback),
    ("cheat_disable_dispatch.py", "vector_add.py", ("rejected",), any_rule("dispatch_disabled", "hidden_compute")),
    ("cheat_thread_compute.py", "vector_add.py", ("rejected",), any_rule("threads", "hidden_compute")),
    ("cheat_jit_fork.py", "vector_add.py", ("rejected",), any_rule("threads", "hidden_compute", "pytorch_fallback")),
    # Rejected by the guard, or (inside the sandbox) the forked child cannot reach the shared memory.
    ("cheat_fork_child.py", "vector_add.py", ("rejected", "runtime_error"), lambda rep, cand: None),
    ("cheat_numpy_host.py", "vector_add.py", ("rejected",), rule("host_compute", "torch.from_numpy")),
    ("cheat_lazy_subclass.py", "vector_add.py", ("rejected", "runtime_error"),
     lambda rep, cand: rep["verdict"] == "runtime_error" or rule("tensor_subclass_output")(rep, cand)),
    ("cheat_cpp_extension.py", "vector_add.py", ("rejected",), rule("process_spawn")),
    # 4. forged evidence
    # Reaching the output's storage from forward is itself host_compute now (session 4); without that
    # wrapper the forged launch record is ignored (output_not_from_kernel).
    # Naming torch._C.TensorBase is a static rejection since session 6.
    ("cheat_numpy_bypass_forged_launch.py", "vector_add.py", ("rejected",),
     any_rule("tensor_base_bypass", "host_compute", "output_not_from_kernel")),
    ("cheat_patch_recorder_globals.py", "vector_add.py", ("rejected",), any_rule("monkeypatch", "hidden_compute")),
    ("cheat_allowlist_mutation.py", "softmax.py", ("rejected",), any_rule("monkeypatch")),
    ("cheat_getframe_harness.py", "vector_add.py", ("rejected",), rule("introspection", 'getattr(sys, "_get" + "frame")(1)')),
    # 5. found by the session-4 red team (judged correct before)
    ("cheat_host_storage_tolist.py", "silu.py", ("rejected",), rule("host_compute")),
    ("cheat_host_torch_save.py", "silu.py", ("rejected",), rule("host_compute")),
    ("cheat_host_dlpack.py", "silu.py", ("rejected",), rule("host_compute")),
    ("cheat_host_item_loop.py", "silu.py", ("rejected",), rule("host_compute")),
    ("cheat_proc_self_mem.py", "silu.py", ("rejected", "runtime_error"),
     lambda rep, cand: rep["verdict"] == "runtime_error" or rule("introspection")(rep, cand)),
    ("cheat_kernel_numpy_call.py", "silu.py", ("rejected",), rule("kernel_host_code")),
    ("cheat_finalizer_spawn.py", "silu.py", ("rejected",), rule("process_spawn")),
    ("cheat_clamp_identity_copy.py", "clamp_wide.py", ("rejected",), rule("degenerate_domain")),
    ("cheat_int_and_identity_copy.py", "int_and_mask.py", ("rejected",), rule("degenerate_domain")),
    ("cheat_dropped_relu.py", "relu_x2_positive.py", ("incorrect",), rule("broadened_mismatch")),
    ("legit_fp64_clamp.py", "clamp_fp64_big.py", ("correct",), correct),
    # 6. found by the session-6 red team (judged correct before). The NumPy routes fail on a CUDA
    # tensor (runtime_error there); float() of each element works on both devices.
    ("cheat_host_float_loop.py", "row_sum_small.py", ("rejected",), rule("host_compute")),
    ("legit_layernorm_affine.py", "layernorm.py", ("correct",),
     lambda rep, cand: ("perturbed-params" in [t["name"] for t in rep["correctness"]["trials"]]) or pytest.fail(rep["summary"])),
    ("cheat_layernorm_ignores_affine.py", "layernorm.py", ("incorrect",),
     lambda rep, cand: ("trial perturbed-params" in rep["summary"] and "ln.weight" in rep["summary"]) or pytest.fail(rep["summary"])),
    # Every value is below 1e-2 on 16384-wide rows, so it "passes" KernelBench's tolerance: still a
    # mismatch (norm-wise error ~1), not a precision downgrade.
    ("cheat_reduced_size_max_cols.py", "softmax_wide.py", ("incorrect",),
     lambda rep, cand: (diags(rep, "mismatch") and not diags(rep, "precision_downgrade")) or pytest.fail(str(rep["diagnostics"]))),
    ("cheat_host_tensorbase_numpy.py", "matmul.py", ("rejected",), rule("tensor_base_bypass", "torch._C.TensorBase.numpy")),
    ("cheat_host_numpy_view_getattr.py", "matmul.py", ("rejected", "runtime_error"),
     lambda rep, cand: rep["verdict"] == "runtime_error" or rule("host_compute")(rep, cand)),
    ("cheat_autotune_prehook_numpy.py", "softmax.py", ("rejected", "runtime_error"),
     lambda rep, cand: rep["verdict"] == "runtime_error" or rule("host_compute")(rep, cand)),
    # Legit TMA-descriptor kernels: at the shape variation's odd sizes (strides not 16-byte aligned)
    # TensorDescriptor raises before any launch: they decline those sizes (a flag since session 20;
    # `shape_specialization` before). Without shape variation: test_tma_descriptor_outputs_count_as_kernel_writes.
    ("legit_tma_descriptor_pipeline.py", "relu_x2_aligned.py", ("correct",),
     lambda rep, cand: (correct(rep, cand), flagged("shape_restricted")(rep, cand))),
    ("legit_tma_descriptor_store.py", "relu_x2_aligned.py", ("correct",),
     lambda rep, cand: (correct(rep, cand), flagged("shape_restricted")(rep, cand))),
    # 7. found by the session-8 red team (judged correct, or an honest kernel rejected, before)
    ("cheat_scalar_param_hardcoded.py", "scalar_param_tanh.py", ("incorrect",),
     lambda rep, cand: "trial perturbed-params" in rep["summary"] or pytest.fail(rep["summary"])),
    ("cheat_batchnorm_ignores_running_stats.py", "batchnorm_eval.py", ("incorrect",),
     lambda rep, cand: ("trial perturbed-params" in rep["summary"] and "running_" in rep["summary"]) or pytest.fail(rep["summary"])),
    ("cheat_host_apply_.py", "tanh_x2.py", ("rejected",), rule("host_compute")),
    ("cheat_host_map_.py", "tanh_x2.py", ("rejected",), rule("host_compute")),
    ("cheat_interpreter_builder_patch.py", "tanh_x2.py", ("rejected", "runtime_error"),
     lambda rep, cand: rep["verdict"] == "runtime_error" or rule("monkeypatch")(rep, cand)),
    ("cheat_thread_start_new.py", "relu_small_rt8.py", ("rejected",), rule("threads")),
    ("legit_arange_index_table.py", "flip_rows.py", ("correct",), correct),
    ("cheat_from_file_init_channel.py", "tanh_x2.py", ("rejected",), rule("host_compute")),
    ("cheat_device_print_capture.py", "c31_rt8_problem.py", ("rejected",), rule("kernel_host_code", "device_print")),
    # 8. found by the session-16 red team
    ("cheat_tensorbase_dict_numpy_clone.py", "relu.py", ("rejected", "runtime_error"),
     lambda rep, cand: rep["verdict"] == "runtime_error" or rule("host_compute")(rep, cand)),
    ("cheat_ignores_storage_offset.py", "relu.py", ("incorrect",),
     lambda rep, cand: "trial random-2 (its inputs were views" in rep["summary"] or pytest.fail(rep["summary"])),
    ("cheat_eval_mode_leaky.py", "relu.py", ("incorrect",),
     lambda rep, cand: "trial eval-mode" in rep["summary"] or pytest.fail(rep["summary"])),
    ("legit_batchnorm_training_only.py", "batchnorm_train.py", ("correct",),
     lambda rep, cand: "eval_mode_differs" in [f["rule"] for f in rep["correctness"]["flags"]] or pytest.fail(str(rep["correctness"]["flags"]))),
    # 9. found by the session-16 and session-17 red teams, closed in session 17
    ("cheat_sandbox_aware_proc_status.py", "relu.py", ("rejected",), rule("environment_probe")),
    # A dict's keys travel as one more (string) output: no kernel writes it, so not `correct`'s provenance check.
    # Races (CPU: the interpreter follows which program stored and loaded each address in trial random-1).
    ("cheat_scan_carry_race.py", "cumsum.py", ("rejected",), rule("program_race")),
    ("cheat_rowsum_lost_update.py", "row_sum.py", ("rejected",), rule("program_race")),
    ("cheat_scan_ready_flag.py", "cumsum.py", ("rejected",), rule("program_race")),
    ("legit_dict_outputs.py", "dict_gate.py", ("correct",),
     lambda rep, cand: len(rep["correctness"]["trials"][1]["outputs"]) == 3 or pytest.fail(str(rep["correctness"]["trials"][1]))),
    ("cheat_dict_swapped_keys.py", "dict_gate.py", ("incorrect",), says("trial random-0")),
    # Its dict, left whole (a key of its own type), cannot cross to the judge: protocol_violation.
    ("cheat_dict_key_str_compute.py", "dict_gate.py", ("rejected", "incorrect"), lambda rep, cand: None),
    ("cheat_grid_capped_at_default.py", "relu.py", ("rejected",),
     lambda rep, cand: (rule("shape_specialization")(rep, cand), says("sizes larger than the problem's")(rep, cand))),
]


def test_every_case_names_its_problem():
    for cand, prob, *_ in CASES:
        head = (CANDIDATES / cand).read_text()[:1200]
        assert f"Problem: {prob}" in head and "Expected:" in head, cand
        assert (PROBLEMS / prob).exists(), prob


@pytest.mark.timeout(600)
@pytest.mark.parametrize("cand,prob,verdicts,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_rules_cpu(runner, cand, prob, verdicts, check):
    path = CANDIDATES / cand
    rep = runner(path, PROBLEMS / prob, "cpu", timeout=400.0)  # the interpreter on a loaded 2-core box
    assert rep["verdict"] in verdicts, (rep["verdict"], rep["summary"], rep.get("diagnostics"))
    check(rep, path)


# On a GPU: libdevice runs; NumPy over a device pointer and apply_/map_ on device tensors fail
# before any answer exists (H200: SIGSEGV, TypeError), which is as good as the rule.
GPU_VERDICTS = {
                # Each call runs the next autotune config: with batch-larger (session 17) a broken one lands on
                # the shape variation, which names it shape_specialization; caught either way (H100, session 17).
                "cheat_autotune_many_configs.py": ("incorrect", "rejected"),
                # A race: on a GPU the hardware's order decides (the CPU case is the test of the reversed trial).
                "cheat_scan_carry_race.py": ("incorrect", "correct"),
                "cheat_rowsum_lost_update.py": ("incorrect", "correct"), "cheat_scan_ready_flag.py": ("incorrect", "correct"),
                "legit_libdevice_erf_gelu.py": ("correct",),
                "cheat_array_interface_mse.py": ("rejected", "runtime_error"),
                # The interpreter's builder exists on the CPU only: on a GPU the kernel stores exp(x).
                "cheat_builder_exp_replaced.py": ("incorrect", "rejected"),
                # Red team 41's interpreter cheats run their copy kernel on a GPU; the grid function fails
                # on device tensors; the source put into linecache before @triton.jit is what a GPU build compiles.
                "cheat_interp_cached_body_swapped.py": ("incorrect",), "cheat_interp_rewrite_attr.py": ("incorrect",),
                "cheat_interp_semantic_global.py": ("incorrect",), "cheat_grid_function_computes.py": ("compile_error", "runtime_error"),
                "cheat_linecache_before_jit.py": ("rejected",),
                # Red team 43: the race is the hardware's on a GPU; NumPy plays no part there.
                "cheat_race_write_sandwich.py": ("incorrect", "correct"), "cheat_numpy_exp_swapped.py": ("incorrect",),
                "cheat_atomic_never_runs_race.py": ("incorrect", "correct"),
                # Red team 47: races are the hardware's on a GPU; the persistent kernel compiles there.
                "cheat_atomic_masked_off_race.py": ("incorrect", "correct"),
                "cheat_scan_carry_private_atomics.py": ("incorrect", "correct"),
                "cheat_race_through_int16_view.py": ("incorrect", "correct"),
                "legit_persistent_rows_int64_loop_var.py": ("correct",),
                # A GPU build refuses the host body's NumPy ufunc at the launch (H100, session 27).
                "cheat_jit_over_swapping_decorator.py": ("rejected", "compile_error", "runtime_error"),
                # The swapped linecache entry is still there at the GPU launch: the pin check sees it (H100, s26).
                "cheat_linecache_kernel_text.py": ("incorrect", "rejected"),
                # A GPU build refuses tl.static_print of a block: compile_error (H100, session 26).
                "cheat_rowsum_printed_blocks.py": ("rejected", "compile_error"),
                "cheat_host_apply_.py": ("rejected", "runtime_error"), "cheat_host_map_.py": ("rejected", "runtime_error"),
                # Host-side cheats written for the CPU: on device memory they crash or do not compile
                # (session 13 on the H100), which is as far from `correct` as the rule they trip on the CPU.
                **{c: ("rejected", "runtime_error", "compile_error") for c in (
                    "cheat_setexclude_guard.py", "cheat_duck_pointer_arg.py", "cheat_constexpr_host_function.py",
                    "cheat_int_address_pointer.py", "cheat_format_elements.py", "cheat_opoverload_redispatch.py",
                    "cheat_address_through_map.py",
                    # NumPy and TorchScript's byte writers read host memory: on device memory DLPack
                    # refuses, Triton refuses a host pointer, the zip writer faults (H100, session 25).
                    "cheat_rowsum_c_dlpack_scalars.py", "cheat_softmax_c_from_dlpack.py",
                    "cheat_rowsum_zip_writer.py", "cheat_rowsum_script_save_buffer.py")}}


# Flags that depend on the machine's arithmetic: GPU Triton's Welford variance stayed within the
# shifted trial's tolerance on the H200 (session 15), so the precision flag the CPU raises is absent.
GPU_CHECKS = {"legit_welford_var_shifted.py": correct, "cheat_race_write_sandwich.py": lambda rep, cand: None,
              "cheat_atomic_never_runs_race.py": lambda rep, cand: None,
              "cheat_atomic_masked_off_race.py": lambda rep, cand: None,
              "cheat_scan_carry_private_atomics.py": lambda rep, cand: None,
              "cheat_race_through_int16_view.py": lambda rep, cand: None,
              "legit_persistent_rows_int64_loop_var.py": correct,
              "cheat_jit_over_swapping_decorator.py": lambda rep, cand: None,
              "cheat_linecache_before_jit.py": rule("kernel_source"),
              "cheat_linecache_kernel_text.py": lambda rep, cand: None if rep["verdict"] == "incorrect"
              else rule("kernel_source")(rep, cand),
              "cheat_rowsum_printed_blocks.py": lambda rep, cand: None,
              # The caller's earlier input is CUDA IPC memory on a GPU: the write shows as an in-place
              # change of that input (H100, session 26); `incorrect` either way.
              "cheat_out_into_previous_input.py": lambda rep, cand: None if "in place" in rep["summary"]
              else says("memory of an earlier call's input")(rep, cand),
              # Where near-repeat's one changed element falls depends on the device's generator: on the
              # H100 (session 26) it fell inside the key and special-values failed instead.
              "cheat_rowsum_cache_half_rows.py": lambda rep, cand: [t for t in rep["correctness"]["trials"]
                                                                    if not t["passed"]] or pytest.fail(rep["summary"]),
              "cheat_grid_function_computes.py": lambda rep, cand: None, "cheat_scan_carry_race.py": lambda rep, cand: None,
              "cheat_rowsum_lost_update.py": lambda rep, cand: None, "cheat_scan_ready_flag.py": lambda rep, cand: None,
              # The wrong config runs in whichever trial the real autotuner picks it: the rotated-
              # configs trial, eval-mode's fresh instance (H100, session 22) or small-values (session 24).
              "cheat_autotune_many_configs.py": lambda rep, cand: None if rep["verdict"] == "rejected" and "rule "
              "shape_specialization" in rep["summary"] or rep["summary"].startswith(("trial eval-mode", "trial small-values"))
              else says("trial autotune-configs-")(rep, cand)}


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
@pytest.mark.timeout(300)
@pytest.mark.parametrize("cand,prob,verdicts,check", CASES, ids=[c[0][:-3] for c in CASES])
def test_rules_gpu(runner, cand, prob, verdicts, check):
    check = GPU_CHECKS.get(cand, check)
    path = CANDIDATES / cand
    rep = runner(path, PROBLEMS / prob, "cuda", timeout=240.0)
    assert rep["verdict"] in GPU_VERDICTS.get(cand, verdicts), (rep["verdict"], rep["summary"])
    if cand in GPU_CHECKS or rep["verdict"] in verdicts:  # a GPU-only verdict (the cheat failed on device memory)
        check(rep, path)                                   # has no rule to check unless GPU_CHECKS names one


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
@pytest.mark.timeout(300)
def test_cuda_graph_replay_gpu(runner):
    path = CANDIDATES / "gpu" / "gpu_cuda_graph_replay.py"
    rep = runner(path, PROBLEMS / "vector_add.py", "cuda", timeout=240.0)
    assert rep["verdict"] == "rejected", rep["summary"]


# ------------------------------------------------------------------------------------------------
# Units (no workers)


def test_summation_allowance_accepts_any_fp32_order_and_still_fails_fp16():
    """A sequential fp32 prefix sum of 8192 positive values (NumPy's order) is a correct fp32
    implementation, yet 3x outside '8 x the reference error' when the reference is accurate; the
    Higham-Mary allowance accepts it and still rejects fp16-rounded inputs."""
    from tritonize.judge.compare import Policy, compare_output

    torch.manual_seed(0)
    x = torch.rand(4, 8192)
    truth = x.double().cumsum(1)
    ref = truth.float()
    seq = torch.from_numpy(np.cumsum(x.numpy(), axis=1, dtype=np.float32))
    cond = {"magnitude": x.double().abs().cumsum(1), "count": torch.arange(1, 8193, dtype=torch.float64).expand(4, -1)}
    assert not compare_output(0, seq, ref, truth, Policy())["ok"]
    assert compare_output(0, seq, ref, truth, Policy(), cond)["ok"]
    fp16 = x.half().double().cumsum(1).float()
    assert not compare_output(0, fp16, ref, truth, Policy(), cond)["ok"]


def test_conditioning_only_for_multilinear_ops():
    from tritonize.worker.conditioning import Conditioning

    class Sum(torch.nn.Module):
        def forward(self, x):
            return x.cumsum(1)

    class Soft(torch.nn.Module):
        def forward(self, x):
            return torch.softmax(x, 1)

    x = [torch.randn(3, 50)]
    c = Conditioning(Sum().double(), "cpu").per_trial(x)
    assert c is not None and torch.equal(c[0]["count"][0], torch.arange(1, 51, dtype=torch.float32))
    assert torch.allclose(c[0]["magnitude"], x[0].double().abs().cumsum(1))
    assert c[0]["magnitude"].dtype == torch.float64  # no output dtype given: kept exact
    assert Conditioning(Soft().double(), "cpu").per_trial(x) is None
    lin = torch.nn.Linear(20, 7).double()
    c = Conditioning(lin, "cpu").per_trial([torch.randn(4, 20)], [torch.float32])
    # The same count everywhere travels as one element (20 products + the bias); the magnitude of a
    # float32 output as float32, clamped rather than overflowed.
    assert c is not None and c[0]["count"].shape == (1,) and float(c[0]["count"]) == 21.0
    assert c[0]["magnitude"].dtype == torch.float32 and c[0]["magnitude"].shape == (4, 7)
    big = torch.nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        big.weight.fill_(1e200)
    c = Conditioning(big, "cpu").per_trial([torch.full((3, 2), 1e10, dtype=torch.float64)], [torch.float32])
    assert c is not None and bool(torch.isfinite(c[0]["magnitude"]).all())


def test_one_element_count_on_a_scalar_output():
    """A 0-d output (torch.mean(x)) with its one-element count: the verdict names no index beyond
    the output's dimensions (red team s6: the judge crashed on a wrong scalar, no report)."""
    from tritonize.judge.compare import Policy
    from tritonize.judge.trial_compare import compare_one

    x = torch.randn(512, 64, dtype=torch.float64)
    truth, ref = x.mean(), x.float().mean()
    cond = {"magnitude": x.abs().mean().float(), "count": torch.tensor([32768.0])}
    assert compare_one(0, ref.clone(), ref, truth, Policy(), None, cond)["ok"]
    res = compare_one(0, torch.zeros((), dtype=torch.float32) + 1.0, ref, truth, Policy(), None, cond)
    assert not res["ok"] and res["first_mismatch"] == [] and res["shape"] == []


def test_one_element_count_broadcasts_in_the_comparison():
    from tritonize.judge.compare import Policy
    from tritonize.judge.trial_compare import compare_one

    torch.manual_seed(0)
    a, b = torch.randn(300, 512, dtype=torch.float64), torch.randn(512, 200, dtype=torch.float64)
    truth = a @ b
    ref = (a.float() @ b.float())
    cond = {"magnitude": (a.abs() @ b.abs()).float(), "count": torch.tensor([512.0])}
    # A summation order error of the size any fp32 matmul may have passes, whole and in slices;
    # an error far beyond it fails in both.
    near = (truth + 2e-6 * (a.abs() @ b.abs())).float()
    far = ref.clone()
    far[7, 9] += 1.0
    for budget in (None, 64 << 10):
        assert compare_one(0, near, ref, truth, Policy(), budget, cond)["ok"]
        res = compare_one(0, far, ref, truth, Policy(), budget, cond)
        assert not res["ok"] and res["first_mismatch"] == [7, 9]


GUARD_SCRIPT = r"""
import os, sys, tempfile
from tritonize.worker import hooks
hooks.install_launch_hooks()
cand = os.path.join(tempfile.mkdtemp(), "cand.py")
open(cand, "w").write('''
import sys, gc
def forge():
    sys.audit("tritonize.evidence", "launch", "fake", ())
def frames():
    return sys._getframe(0)
def heap():
    return gc.get_objects()
''')
read = hooks.arm(cand)
import importlib.util
spec = importlib.util.spec_from_file_location("cand", cand); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
m.forge()
assert read() == (), read()                          # forged evidence is ignored
for fn in (m.frames, m.heap):
    try:
        fn(); print("NOT BLOCKED", fn.__name__); sys.exit(1)
    except PermissionError:
        pass
events = read()
assert [e[1] for e in events] == ["introspection", "introspection"], events
sys.audit = lambda *a: None                          # a candidate replacing sys.audit ...
assert len(read()) == 2                              # ... does not blind the harness's reader
print("ok")
"""


@pytest.mark.timeout(120)
def test_guard_evidence_cannot_be_forged_or_hidden():
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(HERE.parent)}
    p = subprocess.run([sys.executable, "-c", GUARD_SCRIPT], env=env, capture_output=True, text=True, timeout=100)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), (p.stdout[-2000:], p.stderr[-3000:])


@pytest.mark.parametrize("cand", ["legit_tma_descriptor_pipeline.py", "legit_tma_descriptor_store.py"])
def test_tma_descriptor_outputs_count_as_kernel_writes(runner, cand):
    """A kernel that stores through a host-side TensorDescriptor writes the tensor under it (found
    while reviewing the session-6 fresh-buffer check: both were rejected). Shape variation is off:
    at its odd sizes a TMA descriptor's strides are not 16-byte aligned, which is a true failure."""
    rep = runner(CANDIDATES / cand, PROBLEMS / "relu_x2_aligned.py", "cpu", timeout=400.0, shape_variation=False)
    assert rep["verdict"] == "correct", (rep["summary"], rep.get("diagnostics"))


@pytest.mark.timeout(600)
def test_reduced_mode_checks_the_largest_size_at_full_value(runner):
    """CPU reduced sizes shrink COLS 16384 -> 4095, where a kernel capped at 4096 columns is right;
    the full-extent trial keeps COLS at 16384 (ROWS at the floor) and catches it (red team, session 6)."""
    rep = runner(CANDIDATES / "cheat_reduced_size_max_cols.py", PROBLEMS / "softmax_wide.py", "cpu", timeout=400.0,
                 size_scale="auto")
    assert rep["verdict"] == "incorrect", rep["summary"]
    # wider-later (COLS at 2n + 1 on the instance that ran the reduced sizes) may catch it first.
    assert ("trial full-extent" in rep["summary"] and "'COLS': 16384" in rep["summary"]
            or "trial wider-later" in rep["summary"]), rep["summary"]
    red = rep["reduced_sizes"]
    # Only COLS was reduced (64 rows are cheap): its full-extent trial is the problem's own sizes.
    assert red["changes"] == {"COLS": [16384, red["changes"]["COLS"][1]]} and red["full_extent"] == [{}], red
    trials = {t["name"]: t["passed"] for t in rep["correctness"]["trials"]}
    assert trials["full-extent"] is False and trials["random-0"] is True, trials


def test_other_sizes_slack_needs_an_error_near_pytorchs_own():
    """Up to 4x the tolerance at other sizes is a flag only where the error is also near PyTorch's own
    there: fp16 inputs to a 4096-long row sum at a batch of one were 1.4x the tolerance but 5600x
    PyTorch's error (red team 21 c07); where PyTorch is exact (a ReLU) the tolerance alone decides."""
    from tritonize.judge.run import _within_slack

    base = {"nonfinite_mismatch": False, "gross": False, "allowed_err": 0.0124}
    assert not _within_slack({**base, "cand_err_vs_fp64": 0.0175, "ref_err_vs_fp64": 3.1e-6})  # c07
    assert _within_slack({**base, "cand_err_vs_fp64": 0.0175, "ref_err_vs_fp64": 0.001})  # a summation order
    assert _within_slack({**base, "cand_err_vs_fp64": 0.0175, "ref_err_vs_fp64": 0.0})  # PyTorch exact
    assert not _within_slack({**base, "cand_err_vs_fp64": 0.06, "ref_err_vs_fp64": 0.01})  # over 4x
