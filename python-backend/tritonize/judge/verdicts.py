"""Turning what a candidate worker sent into verdicts: per-trial comparison, error
classification, and the correctness verdict (fallbacks, missing launches, mismatches,
precision downgrades, shape specialisation). Runs in the trusted parent only."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import torch

from ..common.limits import OFFSET_TRIAL_MAX_BYTES
from ..common.op_names import ALLOC_AND_VIEW, DATA_MOVEMENT, REARRANGEMENTS
from ..common.trial_kinds import VALUE_TRIALS
from .compare import Policy, compare_output, degenerate
from .fault_line import fault_line
from .report import Report

# Above this norm-wise relative error (||cand - ref|| / ||ref||) a wrong answer is a `mismatch`
# even when it passes KernelBench's 1e-2: bf16 rounding is 2^-8 per value; 5% is no precision.
PRECISION_NORM_REL_ERR = 0.05


def source_lines(path: Path) -> tuple[dict[str, int], int]:
    """`def name` lines of kernels/functions, and the line of `class ModelNew`."""
    try:
        tree = ast.parse(path.read_text())
    except SyntaxError:
        return {}, 0
    defs, model_line = {}, 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.setdefault(node.name, node.lineno)
        elif isinstance(node, ast.ClassDef) and node.name == "ModelNew":
            model_line = node.lineno
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef) and sub.name == "forward":
                    defs["ModelNew.forward"] = sub.lineno
    return defs, model_line


def judge_trial(msg: dict[str, Any], exp: dict[str, Any], policy: Policy, ref: dict[str, Any], forward_line: int,
                 defs: dict[str, int], rep: Report, anticheat: dict[str, Any], correctness: dict[str, Any],
                 results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`results`: the per-output comparison when the caller already made it (the judge compares
    large outputs in slices, see trial_compare); otherwise compared here."""
    outs, refs, truths = msg["outputs"], exp["outputs"], exp.get("truth")
    form, ref_form = msg.get("form"), exp.get("form")
    if isinstance(form, str) and isinstance(ref_form, str) and form != ref_form:
        # [y] where the reference returns y (red team 37 c06): the flat outputs matched
        results = [{"index": 0, "ok": False, "reason": f"forward returned {form[:200]}, the reference returns "
                                                        f"{ref_form[:200]}"}]
    elif len(outs) != len(refs):
        results = [{"index": 0, "ok": False, "reason": f"forward returned {len(outs)} outputs, expected {len(refs)}"}]
    elif results is None:
        results = []
        conds = exp.get("conditioning") or [None] * len(refs)
        for i, (c, r) in enumerate(zip(outs, refs)):
            results.append(compare_output(i, c, r, truths[i] if truths else None, policy,
                                          conds[i] if i < len(conds) else None))
    passed = all(o["ok"] for o in results)
    for k, n in msg.get("launches", {}).items():
        if k not in anticheat["triton_kernels"]:
            anticheat["triton_kernels"].append(k)
        anticheat["triton_launches"] += n
    for op in msg.get("compute_ops", {}):
        if op not in anticheat["torch_compute_ops"]:
            anticheat["torch_compute_ops"].append(op)
            anticheat.setdefault("op_lines", {})[op] = msg.get("op_lines", {}).get(op, 0)
    for op in msg.get("movement_ops", {}):
        if op not in anticheat["data_movement_ops"]:
            anticheat["data_movement_ops"].append(op)
    reads = int(msg.get("host_reads") or 0)
    if reads:
        numel = sum(o.numel() for o in outs if isinstance(o, torch.Tensor))
        worst = anticheat.get("host_reads") or {}
        if reads / max(1, numel) > (worst.get("reads", 0) / max(1, worst.get("numel", 1))):
            anticheat["host_reads"] = {"reads": reads, "numel": numel, "trial": msg["name"]}
    trial = {"name": msg["name"], "passed": passed, "outputs": results, "launches": msg.get("launches", {})}
    # Outputs that are the module's own parameter or buffer as is, on every trial so far (a reference
    # returning self.bias: red team 35 h05 was a false output_not_from_kernel).
    own = set(msg.get("own_outputs") or [])
    anticheat["own_outputs"] = sorted(own if "own_outputs" not in anticheat else set(anticheat["own_outputs"]) & own)
    if msg.get("subclasses"):
        anticheat.setdefault("subclasses", [])
        for name in msg["subclasses"]:
            if name not in anticheat["subclasses"]:
                anticheat["subclasses"].append(name)
    ev = msg.get("evidence")
    if isinstance(ev, dict):
        trial["evidence"] = ev
        collect_evidence(ev, msg, passed, results, truths or refs, anticheat)
    if msg.get("reused_outputs"):
        trial["passed"] = False
        trial["reused_outputs"] = msg["reused_outputs"]
    if msg.get("overwritten_earlier"):
        trial["passed"] = False
        trial["overwritten_earlier"] = int(msg["overwritten_earlier"])
    if msg.get("reused_inputs"):
        trial["passed"] = False
        trial["reused_inputs"] = msg["reused_inputs"]
    if msg.get("mutated_inputs") and not exp.get("mutated"):
        trial["passed"] = False
        trial["mutated_inputs"] = msg["mutated_inputs"]
    if passed and msg["name"] == "random-0":
        why = degenerate(outs, truths or refs)
        if why:
            correctness["flags"].append({"rule": "degenerate_output", "message": why})
    return trial


def evidence_record(anticheat: dict[str, Any]) -> dict[str, Any]:
    """The run's accumulated evidence (created empty on first use)."""
    return anticheat.setdefault("evidence", {"blocked": [], "calls": [], "hidden_ops": [], "callback_ops": [],
                                             "outputs": [], "threads_alive": [], "witness": None})


def collect_evidence(ev: dict[str, Any], msg: dict[str, Any], passed: bool, results: list[dict[str, Any]],
                     truths: list[Any], anticheat: dict[str, Any]) -> None:
    """Fold one trial's recorder evidence (worker/hooks.py Observation) into the anticheat record."""
    acc = evidence_record(anticheat)
    for key in ("blocked", "calls"):
        for item in ev.get(key) or []:
            if item not in acc[key]:
                acc[key].append(item)
    for key in ("hidden_ops", "callback_ops", "threads_alive"):
        for item in ev.get(key) or []:
            if item not in acc[key]:
                acc[key].append(item)
    if ev.get("witness_error") and not acc["witness"]:
        acc["witness"] = ev["witness_error"]
    if msg.get("launches") and not ev.get("evidence_events") and not ev.get("unobserved"):
        acc["sink_silent"] = True  # launches ran but the evidence store heard nothing: tampered
    if not passed:
        return  # a wrong output is judged as wrong; provenance matters for outputs that pass
    for p in ev.get("provenance") or []:
        i = p.get("index", 0)
        src = p.get("source")
        if src in ("kernel", "input_written"):
            for key in ("kernel_written",) + (("input_written",) if src == "input_written" else ()):
                if i not in acc.setdefault(key, []):
                    acc[key].append(i)
            continue
        t = truths[i] if i < len(truths) else None
        constant = isinstance(t, torch.Tensor) and t.numel() > 0 and t.is_floating_point() and bool(
            (t.double() == t.double().flatten()[0]).all())
        entry = {"trial": msg["name"], "index": i, "source": src, "input": p.get("input"), "constant": constant}
        acc["outputs"].append(entry)


_CALL_RULES = {
    "random_draws": ("forward drew from torch's random number generator ({call}), which the reference does not: the "
                     "result of a deterministic op must not depend on chance (a lottery that is wrong on one call in N "
                     "passes a few checked calls); remove the draws"),
    "program_race": ("two programs of one kernel launch share memory without ordering ({call}): on a GPU programs "
                     "run concurrently in any order, so this is a race (a blocked scan's carry, a ready flag, a shared "
                     "accumulator updated with load + store); use tl.atomic_* or separate launches"),
    "host_compute": "forward moved data to the host ({call}): computing the answer with NumPy or Python is not a Triton kernel",
    "cuda_graph_replay": "forward replayed a CUDA graph ({call}): its work is not the candidate's Triton kernels and escapes the recorder",
    "dispatch_disabled": "forward switched off the op recorder ({call}): PyTorch ops run under it are invisible",
    "threads": "forward started concurrent work ({call}): ops on other threads escape the recorder and the timer",
    "raw_pointer": "the candidate's own code took a raw memory address ({call}): a NumPy/ctypes view over it computes "
                   "on the host where no check sees it; pass the tensors to the Triton kernel instead (as a cache key, "
                   "id(t) with t._version tells the same, red team 14 h05)",
    "kernel_source": ("the kernel that ran is not the one in the candidate's file ({call}): Triton compiles and "
                      "interprets a kernel from its source text, which must be the file the static rules read"),
    "host_function": "a kernel was given host code ({call}): plain Python called from a kernel runs on the host in "
                     "the CPU interpreter and cannot compile for a GPU",
}


def evidence_verdict(rep: Report, anticheat: dict[str, Any], correctness: dict[str, Any], forward_line: int,
                     domain: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """Verdicts from what the recorder, the audit guard, the profiler witness and the provenance
    check saw (docs/verdicts.md, 'work the recorder does not see'). `domain`: per reference output,
    facts true on every random trial (judge/run.py _and_domain)."""
    ev = anticheat.get("evidence") or {}
    if ev.get("blocked"):
        b = ev["blocked"][0]
        text = (f"the candidate tried {b['event']} (refused): processes, threads, signals, sockets, ctypes, frames, "
                f"the heap, dynamic code and the process's own /proc and /sys are not available to a kernel candidate")
        for item in ev["blocked"][:5]:
            rep.diag(item.get("line") or forward_line, f"{item['event']} refused (rule {item['rule']})", item["rule"])
        return rep.end("rejected", f"rule {b['rule']}: {text}")
    if ev.get("calls"):
        c = ev["calls"][0]
        text = _CALL_RULES.get(c["rule"], "{call}").format(call=c["call"])
        for item in ev["calls"][:5]:
            rep.diag(item.get("line") or forward_line, _CALL_RULES.get(item["rule"], "{call}").format(call=item["call"]),
                     item["rule"])
        return rep.end("rejected", f"rule {c['rule']}: {text}")
    if ev.get("sink_silent") or (ev.get("witness") or "").startswith("the profiler was stopped"):
        why = ev.get("witness") or "the launch evidence store received nothing although kernels launched"
        rep.diag(forward_line, why, "recorder_tampered")
        return rep.end("rejected", f"rule recorder_tampered: {why}")
    if ev.get("hidden_ops"):
        ops = ev["hidden_ops"]
        text = (f"PyTorch computed {', '.join(ops[:5])} during forward where the op recorder did not see it (another "
                "thread, a disabled dispatch mode or a launch-time callback); the profiler is the witness")
        rep.diag(forward_line, text, "hidden_compute")
        return rep.end("rejected", f"rule hidden_compute: {text}")
    if anticheat.get("subclasses"):
        names = ", ".join(anticheat["subclasses"])
        text = (f"forward returned Tensor subclass(es) {names}: a subclass can compute lazily, after forward returns "
                "and outside the recorder; return plain torch.Tensor outputs")
        rep.diag(forward_line, text, "tensor_subclass_output")
        return rep.end("rejected", f"rule tensor_subclass_output: {text}")
    outs = ev.get("outputs") or []
    written = set(ev.get("kernel_written") or [])
    # An input returned after a launch that stored its bytes unchanged (an in-place ReLU, nn.ReLU(
    # inplace=True), on all-positive inputs) is the kernel's where a launch wrote that output in
    # place on another trial (red team 21 c29); an out-of-place kernel elsewhere does not excuse
    # returning the caller's input (red team 22 F5), and unchanged on every trial it is the identity.
    in_place = set(ev.get("input_written") or [])
    aliases = [o for o in outs if o["source"] == "input" or (
        o["source"] == "input_launch_unchanged" and o["index"] not in in_place)]
    # An output the reference itself copies from an input (return relu(x), x.clone()) may be a copy
    # here too (red team 21 c23); where the op is not the identity off the problem's distribution
    # the broadened trial fails and `degenerate_domain` decides.
    copies = {i for i, d in enumerate(domain or []) if d.get("identity_of") is not None}
    own = set(anticheat.get("own_outputs") or [])
    unwritten = [o for o in outs if not o["constant"] and o["index"] not in own and (o["source"] in ("rewritten", "no_storage") or (
        o["source"] == "none" and o["index"] not in copies) or (
        o["source"] == "launch_unchanged" and o["index"] not in written))]
    if unwritten:
        o = unwritten[0]
        how = {"rewritten": "was changed after the last kernel that wrote it, by something the recorder cannot see",
               "launch_unchanged": "was passed to Triton launches that changed none of it, on any trial"}.get(
                   o["source"], "was never written by any Triton launch of this forward")
        text = (f"output {o['index']} (trial {o['trial']}) matches the reference but {how} (NumPy, a CUDA graph, another "
                "thread or a cached tensor)")
        rep.diag(forward_line, text, "output_not_from_kernel")
        return rep.end("rejected", f"rule output_not_from_kernel: {text}")
    n_outputs = max((len(t["outputs"]) for t in correctness["trials"]), default=0)
    alias_idx = {o["index"] for o in aliases}
    if aliases and len(alias_idx) >= n_outputs:
        o = aliases[0]
        text = (f"forward returns its input {o['input']} (or a view of it) as output {o['index']}: it passes only because "
                "the reference is the identity on the problem's input distribution (a degenerate domain); no kernel "
                "computed it. Strengthen get_inputs so the op is not the identity there")
        rep.diag(forward_line, text, "identity_output")
        return rep.end("rejected", f"rule identity_output: {text}")
    if aliases:
        correctness["flags"].append({"rule": "output_aliases_input", "message": f"outputs {sorted(alias_idx)} are the "
                                     "inputs themselves (the reference returns them unchanged on this input distribution)"})
    if any(o["constant"] for o in outs):
        correctness["flags"].append({"rule": "degenerate_output", "message": "an output no kernel wrote is constant on "
                                     "the problem's inputs: the check cannot tell a real kernel from a fill"})
    for t in ev.get("threads_alive") or []:
        correctness["flags"].append({"rule": "threads", "message": f"thread {t} started in forward is still alive"})
    if ev.get("witness") and not ev["witness"].startswith("the profiler was stopped"):
        correctness["flags"].append({"rule": "witness_unavailable", "message": ev["witness"]})
    return None


def error_verdict(msg: dict[str, Any], rep: Report, candidate: Path,
                  variation_overrides: dict[str, Any] | None = None,
                  extent_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    line = int(msg.get("line") or 0)
    at = f" at {candidate.name}:{line}" if line else ""
    feature = msg.get("interpreter_unsupported")
    if feature and rep.r["device"].get("interpreter"):
        # Not the kernel's fault: the interpreter lacks the feature. The verdict cannot be
        # `correct` (nothing was checked), and nothing in it may blame the kernel.
        text = (f"not verified: the Triton CPU interpreter cannot run {feature}{at}; this is a limit of the "
                "interpreter, not an error in the kernel: verify on a GPU (--device cuda)")
        rep.diag(line, text, "interpreter_unsupported", "warning")
        rep.r["unverified"] = {"rule": "interpreter_unsupported", "feature": feature, "line": line,
                               "message": text}
        return rep.end("runtime_error", text)
    text = str(msg.get("message") or "")
    refused = msg.get("guard") or []
    if refused:
        # The audit guard (worker/guard.py) refused an action before this error: that is the verdict,
        # whatever the candidate (or a library it called) turned the refusal into.
        for item in refused[:5]:
            rep.diag(item.get("line") or line, f"{item['event']} refused (rule {item['rule']}): processes, threads, "
                     "signals, sockets, ctypes, frames, the heap and dynamic code are not available to a kernel candidate",
                     item["rule"])
        first = refused[0]
        return rep.end("rejected", f"rule {first['rule']}: the candidate tried {first['event']} (refused)")
    if msg.get("exc_type") == "PermissionError" and "is not allowed in a kernel candidate (rule " in text:
        # The audit guard (worker/guard.py) refused an action and the candidate let it propagate.
        # A candidate raising this text itself only gets itself rejected.
        rule = text.rsplit("(rule ", 1)[-1].rstrip(")").strip() or "guard"
        what = text.split("tritonize: ", 1)[-1].split(" is not allowed", 1)[0]
        rep.diag(line, f"{what} refused: processes, threads, signals, sockets, ctypes, frames, the heap and dynamic "
                       f"code are not available to a kernel candidate", rule)
        return rep.end("rejected", f"rule {rule}: the candidate tried {what}{at} (refused)")
    kind = "compile_error" if msg.get("compile") or msg.get("stage") == "import" and msg.get("exc_type") in (
        "SyntaxError", "ImportError", "ModuleNotFoundError", "LoadError", "NameError", "IndentationError") else "runtime_error"
    where = f" (trial {msg['trial']})" if msg.get("trial") else ""
    if str(msg.get("trial") or "").startswith("full-extent") and extent_overrides:
        where = (f" (trial {msg['trial']}, at {extent_overrides.get(msg['trial'])}: one size at its full value, "
                 "the others reduced)")
    if msg.get("trial") == "aligned-sizes" and extent_overrides:
        where = f" (trial aligned-sizes, at {extent_overrides.get('aligned-sizes')}: the reduced sizes aligned like the problem's)"
    rep.r["error"] = {"stage": msg.get("stage"), "message": msg.get("message"), "line": line,
                      "traceback": msg.get("traceback")}
    if msg.get("trial") in ("shape-variation", "batch-larger", "wider-later", "batch-part-later"):
        # Every trial at the problem's own sizes ran; only other sizes break it: the kernel is
        # specialised to those sizes (a constexpr block equal to a dimension, a missing mask, ...).
        # The batch-larger trial too: a block that must be a power of two failed to compile at its
        # wide odd sizes (session 21). Not batch-one: it runs first, before the problem's sizes.
        sizes = f" {variation_overrides} (trial {msg['trial']})" if variation_overrides else f" other sizes (trial {msg['trial']})"
        err = str(msg.get("message") or "")
        # A TMA tensor descriptor at a size whose rows are not 16-byte aligned (red team 43 c15): the
        # kernel works for some shapes only; the way out is to decline them, not to unhard-code sizes.
        hint = ("a TMA tensor descriptor needs 16-byte aligned strides and base: check the shape on the host and "
                "decline such sizes (docs/verdicts.md, shape_restricted) or use plain loads for them"
                if "16-byte" in err or "aligned" in err else "sizes hard-coded into the kernel or launch?")
        text = (f"compiles and runs at the problem's sizes but fails at{sizes} with a "
                f"{kind.replace('_', ' ')}{at}: {err} ({hint})")
        rep.diag(line, text, "shape_specialization")
        return rep.end("rejected", f"rule shape_specialization: {text}")
    rep.diag(line, msg.get("message", "error"), kind)
    return rep.end(kind, f"{msg.get('stage')} failed{where}{at}: {msg.get('message')}")


# Trials that only change sizes (on a fresh or rebuilt instance): a failure there is shape_specialization.
_SIZE_TRIALS = ("batch-one", "batch-larger", "shape-variation")

# What a reference may run and still only move data.
_MOVEMENT_OR_VIEW = ALLOC_AND_VIEW | DATA_MOVEMENT


# What a value trial's failure means (worker/value_trials.py), by kind; and kind by report name.
_VALUE_WHY = {"shifted": "far from zero: one-pass variance E[x^2]-E[x]^2 cancels there, and a max or min padded with 0 "
                         "meets rows that are all negative",
              "small": "near zero, some exactly 0: an epsilon in the wrong place or x/sqrt|x| at zero is wrong there, "
                       "while next to values near 1 it sat inside the tolerance",
              "tied": "with equal values and exact halves: tie-breaking (argmax/argmin return the first index) or "
                      "rounding (PyTorch rounds half to even) differs"}
_VALUE_KIND = {name: kind for kind, name in VALUE_TRIALS.items()}


# Values read one at a time (.item()) in a forward before that counts as computing on the host, and
# never fewer than a quarter of the outputs' values (a read carries at most 16 bytes, four fp32:
# two packed per int64 read passed at half the outputs, red team 22 F2): a launch configuration or a
# few counts (a MoE's tokens per expert) read back are normal.
HOST_READS_MIN = 16
HOST_READS_PER_OUTPUT = 0.25


def host_reads_decide(reads: dict[str, Any]) -> bool:
    return reads.get("reads", 0) >= max(HOST_READS_MIN, HOST_READS_PER_OUTPUT * reads.get("numel", 0))


def correctness_verdict(rep: Report, anticheat: dict[str, Any], correctness: dict[str, Any],
                         failures: list[tuple[str, dict[str, Any]]], forward_line: int, ref: dict[str, Any]) -> dict[str, Any] | None:
    trials = correctness["trials"]
    no_launch = [t["name"] for t in trials if not t["launches"]]
    ev = anticheat.get("evidence") or {}
    if ev.get("blocked") or ev.get("calls"):
        return evidence_verdict(rep, anticheat, correctness, forward_line, ref.get("domain"))
    # A problem that only moves data (its reference runs nothing but copies, views, pads, flips, rolls,
    # repeats): the same movement in the candidate is the answer, not its preparation.
    movement_only = set(ref.get("ref_ops") or ()) <= _MOVEMENT_OR_VIEW and bool(ref.get("ref_ops"))
    if movement_only and anticheat.get("data_movement_ops"):
        for op in anticheat["data_movement_ops"]:
            if op.split(".")[1] in REARRANGEMENTS and op not in anticheat["torch_compute_ops"]:
                anticheat["torch_compute_ops"].append(op)
    reads = anticheat.get("host_reads") or {}
    if host_reads_decide(reads):
        msg = (f"forward read {reads['reads']} values to the host one at a time (.item(), float(), int()) on trial "
               f"{reads['trial']}, for {reads['numel']} output values: the answer is computed in Python from values "
               "a kernel copies out, not by the kernel")
        rep.diag(forward_line, msg, "host_compute")
        return rep.end("rejected", f"rule host_compute: {msg}")
    if anticheat["torch_compute_ops"]:
        ops = anticheat["torch_compute_ops"]
        callbacks = set(ev.get("callback_ops") or [])
        for op in ops:
            where = ("in a Triton launch-time callback (grid callable, autotune pre_hook/post_hook or launch hook)"
                     if op in callbacks else "in forward outside any Triton kernel")
            rep.diag(anticheat.get("op_lines", {}).get(op) or forward_line,
                     f"PyTorch computes part of the answer: {op} runs {where}", "pytorch_fallback")
        return rep.end("rejected", f"rule pytorch_fallback: forward runs PyTorch compute ops {', '.join(ops[:5])}"
                                   + (" next to its Triton launches" if anticheat["triton_launches"] else ""))
    if no_launch:
        rep.diag(forward_line, f"forward launched no Triton kernel (trials: {', '.join(no_launch)})", "no_triton_launch")
        return rep.end("rejected", "rule no_triton_launch: forward launched no @triton.jit kernel")
    verdict = evidence_verdict(rep, anticheat, correctness, forward_line, ref.get("domain"))
    if verdict is not None:
        return verdict
    # Where broadened also failed on a degenerate domain (the op is the identity or a constant on the
    # problem's inputs), its rule below says more than a value trial's mismatch would.
    degenerate_dom = any(d.get("identity_of") is not None or d.get("constant") for d in ref.get("domain") or [])
    later = {"shape-variation", "batch-one", "batch-larger", "broadened"}
    if any(n == "batch-one" for n, _ in failures):
        later.add("batch-one-later")  # wrong for a batch of one whenever it runs: a size, not state
    if any(n in _SIZE_TRIALS for n, _ in failures):
        later |= {"wider-later", "batch-part-later"}  # wrong at other sizes anyway: a size, not state
    if degenerate_dom and any(n == "broadened" for n, _ in failures):
        later |= set(VALUE_TRIALS.values())
    default_fail = [(n, t) for n, t in failures if n not in later]
    if default_fail:
        name, t = default_fail[0]
        if t.get("reused_outputs"):
            msg = (f"forward returned output(s) {t['reused_outputs']} in the memory of an earlier call's output, "
                   "which the caller still holds: each call overwrites an earlier result (return a new tensor per call)")
            rep.diag(forward_line, msg, "output_reused")
            return rep.end("incorrect", f"trial {name}: {msg}")
        if t.get("reused_inputs"):
            msg = (f"forward returned output(s) {t['reused_inputs']} in the memory of an earlier call's input, which "
                   "the caller still holds: that input is overwritten by a later call (return a new tensor per call)")
            rep.diag(forward_line, msg, "output_reused")
            return rep.end("incorrect", f"trial {name}: {msg}")
        if t.get("overwritten_earlier"):
            msg = (f"forward changed {t['overwritten_earlier']} output(s) of earlier calls, which the caller still holds "
                   "(used as scratch or as a rotating output buffer): return new tensors and leave earlier results alone")
            rep.diag(forward_line, msg, "output_reused")
            return rep.end("incorrect", f"trial {name}: {msg}")
        if t.get("mutated_inputs") and all(o["ok"] for o in t["outputs"]):
            msg = f"forward modified its input(s) {t['mutated_inputs']} in place; the reference does not"
            correctness["flags"].append({"rule": "input_mutated", "message": msg})
            rep.diag(forward_line, msg, "input_mutated")
            return rep.end("incorrect", msg)
        bad = next(o for o in t["outputs"] if not o["ok"])
        kernels = anticheat["triton_kernels"]
        # The line that wrote (or computed) the wrong value when the kernel has one store; its def
        # line otherwise (judge/fault_line.py).
        line = ((fault_line(Path(rep.r["candidate"]), kernels[0]) or kernel_line(rep, kernels[0])) if kernels else 0) \
            or forward_line
        # Wrong only by a little: within KernelBench's loose 1e-2 yet far outside what the
        # reference's own rounding explains. Name it, so it isn't mistaken for a pass elsewhere.
        # Not when the answer is off by more than any lower precision explains (a softmax summing a
        # quarter of each row passes KernelBench's 1e-2 on 16384-wide rows: every value is below it).
        rule = ("precision_downgrade" if bad.get("passes_kernelbench_tol") and bad.get("cand_err_vs_fp64") is not None
                and not bad.get("nonfinite_mismatch") and (bad.get("norm_rel_err") is None
                                                            or bad["norm_rel_err"] <= PRECISION_NORM_REL_ERR) else "mismatch")
        if rule == "precision_downgrade":
            ref_err = bad.get("ref_err_vs_fp64") or 0.0
            ratio = f"{bad['cand_err_vs_fp64'] / ref_err:.3g}x the reference's own" if ref_err else "where the reference is exact"
            bad["reason"] += (f"; error vs fp64 is {ratio}: a lower-precision path "
                              "(fp16/bf16/TF32 inside an fp32 op) or an approximation")
        low = ("its float inputs held values exact in both bf16 and fp16, as activations upcast from half "
               "precision do (red team 47)")
        if name == ref.get("reversed_trial"):
            name = (f"{name} (with gradients on, and the Triton interpreter ran each kernel's programs in reverse "
                    "order, as a GPU may run them in any order: a kernel that reads what another program wrote "
                    f"without an atomic or a barrier, such as a blocked scan's carry, is a race; and {low})")
        elif name == "random-1":
            name = f"random-1 (with gradients on; {low})"
        if name == "near-repeat":
            name = ("near-repeat (the first trial's inputs with one element changed: an output kept from an "
                    "earlier call and looked up by a part or a sample of the inputs is stale here)")
        half = ("each float input's values were exact in fp16, finely from its middle row on, as activations upcast "
                "from half precision are, in bf16 before it and in fp8 e4m3 in its first quarter (red teams 45 c01, "
                "47 c02, 49 c02)")
        if name == "random-2" and int(ref.get("input_bytes") or 0) <= OFFSET_TRIAL_MAX_BYTES:
            name = ("random-2 (its inputs were views 16 bytes into larger buffers, as x.chunk() or a slice gives: a "
                    "kernel that reads from the start of the storage instead of the tensor's own data is wrong here; "
                    f"and {half})")
        elif name == "random-2":
            name = f"random-2 ({half})"
        if name in ("unobserved", "unobserved-heavy"):
            name = (f"{name} (no profiler, dispatch mode or launch checksums, as in the user's program"
                    + (", on heavy-tailed inputs, under torch.inference_mode() as serving code runs"
                       if name == "unobserved-heavy" else "")
                    + ": a kernel that computes the op only while the verifier watches"
                    + (", or only outside inference mode," if name == "unobserved-heavy" else "") + " is wrong here)")
        if name == "eval-mode":
            name = ("eval-mode (a fresh ModelNew and Model in eval mode under torch.inference_mode(), as inference runs them; every other trial "
                    "runs in training mode: the kernel differs when self.training is False)")
        if name == "varied-masks":
            name = (f"varied-masks (random-0's inputs with {'; '.join(ref.get('masks_overrides') or [])}: the kernel "
                    "ignores an input that get_inputs makes constant, which callers will not)")
        kind = _VALUE_KIND.get(name)
        if kind is not None:
            name = f"{name} (random-0's inputs with {'; '.join(ref.get(f'{kind}_overrides') or [])}, {_VALUE_WHY[kind]})"
        if name == "random-0" and ref.get("one_first"):
            name = ("random-0 (after the batch-one trial passed on the same ModelNew: a launch grid, block size or "
                    "buffer cached at the first call is sized for one row here)")
        if name == "perturbed-params":
            po = ref.get("params_overrides") or {}
            flipped = po.get("sign_flipped") or []
            extra = (f"; some values of {', '.join(flipped[:4])}{' ...' if len(flipped) > 4 else ''} negative, as "
                     "training may make them: a kernel that assumes a parameter's sign fails here") if flipped else ""
            zeros = po.get("zeros_filled") or []
            if zeros:
                extra += (f"; the exact zeros of {', '.join(zeros[:4])} given values (a sparsity only the init had: "
                          "a kernel that skips it fails here)")
            name = (f"{name} (Model's parameters, and its buffers that are constant at init "
                    f"{po.get('constant_at_init')}, set to other values{extra}: the kernel "
                    "ignores a parameter or buffer, or uses values it cached before the weights were loaded)")
        if name == "batch-one":
            name = (f"{name} (at {(ref.get('one_overrides') or {})}: every leading dimension 1, as in batch-1 "
                    "inference; right at every larger size, wrong for a single row)")
        if name == "batch-one-later":
            name = (f"{name} (a batch of one again, on the instance that ran the larger batches: right while the "
                    "sizes grew, wrong after a smaller call, as an epoch's last batch; state sized or filled "
                    "for a larger call is kept)")
        if name == "wider-later":
            name = (f"{name} (the problem's batch with its other sizes at 2n + 1, on the instance that ran the problem's "
                    "sizes: right at every fresh size, wrong after a call at the same batch; a block width or "
                    "configuration cached per batch size is kept)")
        if name == "batch-part-later":
            name = (f"{name} (a batch a quarter smaller than the problem's, on the instance that ran it: right at the "
                    "problem's batch, wrong after it at a smaller one, as an epoch's last batch; a workspace sized for "
                    "the earlier batch is reused)")
        if name == "perturbed-init":
            name = (f"{name} (ModelNew built with constructor arguments {(ref.get('init_overrides') or {}).get('init')} "
                    "instead of get_init_inputs()'s: the kernel hard-codes a constructor argument)")
        if name.startswith("full-extent"):  # reduced mode: a trial where one size is the problem's own
            name = f"{name} (at {(ref.get('extent_overrides') or {}).get(name)}: one size at its full value, the others reduced)"
        if name == "aligned-sizes":  # reduced mode: every size a multiple of what divides the problem's own
            name = (f"{name} (at {(ref.get('extent_overrides') or {}).get(name)}: the reduced sizes rounded up to the "
                    "problem's own alignment; the kernel is wrong only when every size is aligned)")
        rep.diag(line, f"trial {name}: {bad['reason']}", rule)
        return rep.end("incorrect", f"trial {name}: {bad['reason']}")
    broad = [t for n, t in failures if n == "broadened"]
    if broad:
        bad = next((o for o in broad[0]["outputs"] if not o["ok"]), {"reason": "wrong result"})
        dom = ref.get("domain") or []
        degenerate = [i for i, d in enumerate(dom) if d.get("identity_of") is not None or d.get("constant")]
        if degenerate:
            d = dom[degenerate[0]]
            what = (f"the identity (it equals input {d['identity_of']})" if d.get("identity_of") is not None
                    else "a constant")
            msg = (f"on the problem's inputs the reference output {degenerate[0]} is {what}, and the candidate is right "
                   f"only there: with the same inputs given random signs and wider magnitudes it is wrong "
                   f"({bad['reason']}); it copies or fills instead of computing the op. Strengthen get_inputs too")
            rep.diag(forward_line, msg, "degenerate_domain")
            return rep.end("rejected", f"rule degenerate_domain: {msg}")
        numel = 1
        for n in bad.get("shape") or []:
            numel *= int(n)
        gross = (not bad.get("nonfinite_mismatch") and not bad.get("passes_kernelbench_tol")
                 and int(bad.get("n_bad") or 0) >= max(1, numel // 100))
        if gross:
            # Finite values wrong beyond any tolerance on 1% or more of the output: another
            # function that agrees with the op only on the problem's inputs (2x for relu(x)*2 on
            # rand()). Overflow (NaN/inf) differences stay a warning below.
            msg = (f"right on the problem's input distribution but a different function elsewhere: with the same "
                   f"inputs given random signs and wider magnitudes {bad['reason']}")
            correctness["flags"].append({"rule": "broadened_mismatch", "message": msg})
            rep.diag(forward_line, msg, "broadened_mismatch")
            return rep.end("incorrect", f"rule broadened_mismatch: {msg}")
        msg = (f"right on the problem's input distribution but not on the same inputs with random signs and wider "
               f"magnitudes ({bad['reason']}): the kernel assumes something about its inputs that the op does not")
        correctness["flags"].append({"rule": "domain_assumption", "message": msg})
        rep.diag(forward_line, msg, "domain_assumption", "warning")
    # Right at the problem's own sizes, wrong at other ones (odd, smaller; or a batch of one).
    var = [(n, t) for n, t in failures if n in _SIZE_TRIALS]
    if var:
        name, t = var[0]
        bad = next((o for o in t["outputs"] if not o["ok"]), {"reason": "wrong result"})
        at = ref.get({"batch-one": "one_overrides", "batch-larger": "larger_overrides"}.get(name, "variation_overrides"))
        what = {"batch-one": " (a batch of one)", "batch-larger": " (sizes larger than the problem's)"}.get(name, "")
        msg = (f"correct at the problem's sizes but wrong at {at}{what}: "
               f"{bad['reason']} (hard-coded sizes, a grid sized for the problem's own batch, a special case for one "
               "row, a block fixed at the problem's row length, or missing masks)")
        rep.diag(forward_line, msg, "shape_specialization")
        return rep.end("rejected", f"rule shape_specialization: {msg}")
    return None


def kernel_line(rep: Report, name: str) -> int:
    defs, _ = source_lines(Path(rep.r["candidate"]))
    return defs.get(name, 0)


def correct_summary(correctness: dict[str, Any]) -> str:
    # A trial that only raised a flag (special-values) did not match: not counted as one that did.
    matched = [t for t in correctness["trials"] if t.get("passed") or not t.get("flag_only")]
    names = [t["name"] for t in matched]
    outs = [(t["name"], o) for t in matched for o in t["outputs"]]
    # Said in words, with the tolerance it was held to ("worst error vs fp64" alone puzzled the
    # new-user try-out of session 7), and the largest absolute error with what PyTorch's own error
    # was on that trial: 2.06e+05 alone alarmed the session-10 try-out, on a trial of values ~1e9
    # where the reference is off by as much.
    near = max((o for _, o in outs if o.get("allowed_err")), default=None,
               key=lambda o: (o.get("cand_err_vs_fp64") or 0.0) / o["allowed_err"])
    trial, worst = max(outs, default=("", {}), key=lambda to: to[1].get("cand_err_vs_fp64") or 0.0)
    largest = worst.get("cand_err_vs_fp64") or 0.0
    own = worst.get("ref_err_vs_fp64")
    err = ((f"error against a float64 run of the reference at most "
            f"{100 * (near.get('cand_err_vs_fp64') or 0.0) / near['allowed_err']:.0f}% of the tolerance; " if near else "")
           + f"largest absolute error {largest:.3g}" + (f" on {trial}" if trial and len(names) > 1 else "")
           + (f", where PyTorch's own error is {own:.3g}" if own else ""))
    flags = "; flagged: " + ", ".join(f["rule"] for f in correctness["flags"]) if correctness["flags"] else ""
    return f"matches the reference on {len(names)} trials ({', '.join(names)}); {err}{flags}"
