"""Behaviour check of an Apply, parent side: runs the original problem and the applied one on the
same inputs in a child interpreter (the candidate's code runs there, never in the server)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from .runner import run_child


def alias_info(ext: Any) -> dict[str, Any]:
    """What the child needs to tell a returned view of an input from an input updated in place."""
    return {"whole_class": ext.name if ext.kind == "module" else None,
            "input_names": [i.expr for i in ext.forward_inputs],
            "inplace_outputs": [k for k, o in enumerate(ext.outputs) if o.get("inplace")],
            "output_names": [o["target"] for o in ext.outputs]}


def behaviour_check(original: str, applied: str, ext: Any, module: dict[str, Any] | None,
                    timeout: float, expects_launch: bool = False) -> dict[str, Any]:
    """`expects_launch`: the candidate defines Triton kernels, so its module launches one when it runs."""
    with tempfile.TemporaryDirectory(prefix="tritonize-apply-") as mod_dir:
        if module:
            with open(os.path.join(mod_dir, os.path.basename(module["path"])), "w") as f:
                f.write(module["text"])
        spec = {"original": original, "applied": applied, "mod_dir": mod_dir, "expects_launch": expects_launch,
                **alias_info(ext), "tables": list(getattr(ext, "tables", None) or []),
                "module_name": os.path.splitext(os.path.basename(module["path"]))[0] if module else None}
        return run_child("tritonize.extract.check_child", spec, timeout, "the behaviour check",
                         extra_path=[mod_dir])


def behaviour_checks(pairs: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
    """Several checks in one child (the corpus test): each pair is {original, applied, module}."""
    with tempfile.TemporaryDirectory(prefix="tritonize-apply-") as root:
        spec_pairs = []
        for k, p in enumerate(pairs):
            mod_dir = os.path.join(root, str(k))
            os.makedirs(mod_dir)
            m = p.get("module")
            if m:
                with open(os.path.join(mod_dir, os.path.basename(m["path"])), "w") as f:
                    f.write(m["text"])
            spec_pairs.append({"original": p["original"], "applied": p["applied"], "mod_dir": mod_dir,
                               "input_names": p.get("input_names"), "inplace_outputs": p.get("inplace_outputs"),
                               "output_names": p.get("output_names"), "whole_class": p.get("whole_class"),
                               "module_name": os.path.splitext(os.path.basename(m["path"]))[0] if m else None})
        return run_child("tritonize.extract.check_child", {"pairs": spec_pairs}, timeout, "the behaviour checks")
