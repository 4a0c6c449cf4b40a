"""Behaviour check of an Apply, parent side: runs the original problem and the applied one on the
same inputs in a child interpreter (the candidate's code runs there, never in the server)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from .runner import run_child


def behaviour_check(original: str, applied: str, ext: Any, module: dict[str, Any] | None,
                    timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tritonize-apply-") as mod_dir:
        if module:
            with open(os.path.join(mod_dir, os.path.basename(module["path"])), "w") as f:
                f.write(module["text"])
        spec = {"original": original, "applied": applied, "mod_dir": mod_dir,
                "mutated": [k for k, i in enumerate(ext.forward_inputs) if i.mutated]}
        return run_child("tritonize.extract.check_child", spec, timeout, "the behaviour check",
                         extra_path=[mod_dir])
