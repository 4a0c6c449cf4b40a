"""Turning what a candidate worker sent into verdicts: per-trial comparison, error
classification, and the correctness verdict (fallbacks, missing launches, mismatches,
precision downgrades, shape specialisation). Runs in the trusted parent only."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from .compare import Policy, compare_output, degenerate
from .report import Report


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
                 defs: dict[str, int], rep: Report, anticheat: dict[str, Any], correctness: dict[str, Any]) -> dict[str, Any]:
    outs, refs, truths = msg["outputs"], exp["outputs"], exp.get("truth")
    results = []
    if len(outs) != len(refs):
        results.append({"index": 0, "ok": False, "reason": f"forward returned {len(outs)} outputs, expected {len(refs)}"})
    else:
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
    trial = {"name": msg["name"], "passed": passed, "outputs": results, "launches": msg.get("launches", {})}
    if msg.get("subclasses"):
        flag = {"rule": "tensor_subclass_output", "message": f"forward returned Tensor subclass(es) "
                f"{', '.join(msg['subclasses'])}; compared as plain tensors"}
        if flag not in correctness["flags"]:
            correctness["flags"].append(flag)
    if msg.get("mutated_inputs") and not exp.get("mutated"):
        trial["passed"] = False
        trial["mutated_inputs"] = msg["mutated_inputs"]
    if passed and msg["name"] == "random-0":
        why = degenerate(outs, truths or refs)
        if why:
            correctness["flags"].append({"rule": "degenerate_output", "message": why})
    return trial


def error_verdict(msg: dict[str, Any], rep: Report, candidate: Path,
                  variation_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
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
    kind = "compile_error" if msg.get("compile") or msg.get("stage") == "import" and msg.get("exc_type") in (
        "SyntaxError", "ImportError", "ModuleNotFoundError", "LoadError", "NameError", "IndentationError") else "runtime_error"
    where = f" (trial {msg['trial']})" if msg.get("trial") else ""
    rep.r["error"] = {"stage": msg.get("stage"), "message": msg.get("message"), "line": line,
                      "traceback": msg.get("traceback")}
    if msg.get("trial") == "shape-variation":
        # Every trial at the problem's own sizes ran; only the varied sizes break it: the kernel is
        # specialised to those sizes (a constexpr block equal to a dimension, a missing mask, ...).
        sizes = f" {variation_overrides}" if variation_overrides else " other sizes"
        text = (f"compiles and runs at the problem's sizes but fails at{sizes} with a "
                f"{kind.replace('_', ' ')}{at}: {msg.get('message')} (sizes hard-coded into the kernel or launch?)")
        rep.diag(line, text, "shape_specialization")
        return rep.end("rejected", f"rule shape_specialization: {text}")
    rep.diag(line, msg.get("message", "error"), kind)
    return rep.end(kind, f"{msg.get('stage')} failed{where}{at}: {msg.get('message')}")


def correctness_verdict(rep: Report, anticheat: dict[str, Any], correctness: dict[str, Any],
                         failures: list[tuple[str, dict[str, Any]]], forward_line: int, ref: dict[str, Any]) -> dict[str, Any] | None:
    trials = correctness["trials"]
    no_launch = [t["name"] for t in trials if not t["launches"]]
    if anticheat["torch_compute_ops"]:
        ops = anticheat["torch_compute_ops"]
        for op in ops:
            rep.diag(anticheat.get("op_lines", {}).get(op) or forward_line,
                     f"PyTorch computes part of the answer: {op} runs in forward outside any Triton kernel",
                     "pytorch_fallback")
        return rep.end("rejected", f"rule pytorch_fallback: forward runs PyTorch compute ops {', '.join(ops[:5])}"
                                   + (" next to its Triton launches" if anticheat["triton_launches"] else ""))
    if no_launch:
        rep.diag(forward_line, f"forward launched no Triton kernel (trials: {', '.join(no_launch)})", "no_triton_launch")
        return rep.end("rejected", "rule no_triton_launch: forward launched no @triton.jit kernel")
    default_fail = [(n, t) for n, t in failures if n != "shape-variation"]
    if default_fail:
        name, t = default_fail[0]
        if t.get("mutated_inputs") and all(o["ok"] for o in t["outputs"]):
            msg = f"forward modified its input(s) {t['mutated_inputs']} in place; the reference does not"
            correctness["flags"].append({"rule": "input_mutated", "message": msg})
            rep.diag(forward_line, msg, "input_mutated")
            return rep.end("incorrect", msg)
        bad = next(o for o in t["outputs"] if not o["ok"])
        kernels = anticheat["triton_kernels"]
        line = (kernel_line(rep, kernels[0]) if kernels else 0) or forward_line
        # Wrong only by a little: within KernelBench's loose 1e-2 yet far outside what the
        # reference's own rounding explains. Name it, so it isn't mistaken for a pass elsewhere.
        rule = ("precision_downgrade" if bad.get("passes_kernelbench_tol") and bad.get("cand_err_vs_fp64") is not None
                and not bad.get("nonfinite_mismatch") else "mismatch")
        if rule == "precision_downgrade":
            ref_err = bad.get("ref_err_vs_fp64") or 0.0
            ratio = f"{bad['cand_err_vs_fp64'] / ref_err:.3g}x the reference's own" if ref_err else "where the reference is exact"
            bad["reason"] += (f"; error vs fp64 is {ratio}: a lower-precision path "
                              "(fp16/bf16/TF32 inside an fp32 op) or an approximation")
        rep.diag(line, f"trial {name}: {bad['reason']}", rule)
        return rep.end("incorrect", f"trial {name}: {bad['reason']}")
    var = [t for n, t in failures if n == "shape-variation"]
    if var:
        bad = next((o for o in var[0]["outputs"] if not o["ok"]), {"reason": "wrong result"})
        msg = (f"correct at the problem's sizes but wrong at {ref.get('variation_overrides')}: {bad['reason']} "
               "(hard-coded sizes or missing masks)")
        rep.diag(forward_line, msg, "shape_specialization")
        return rep.end("rejected", f"rule shape_specialization: {msg}")
    return None


def kernel_line(rep: Report, name: str) -> int:
    defs, _ = source_lines(Path(rep.r["candidate"]))
    return defs.get(name, 0)


def correct_summary(correctness: dict[str, Any]) -> str:
    names = [t["name"] for t in correctness["trials"]]
    worst = max((o.get("cand_err_vs_fp64") or 0.0 for t in correctness["trials"] for o in t["outputs"]), default=0.0)
    flags = "; flagged: " + ", ".join(f["rule"] for f in correctness["flags"]) if correctness["flags"] else ""
    return f"matches the reference on {len(names)} trials ({', '.join(names)}); worst error vs fp64 {worst:.3g}{flags}"
