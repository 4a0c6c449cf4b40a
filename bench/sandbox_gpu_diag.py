"""Which part of the worker sandbox, if any, stops CUDA from starting on this machine? Prints one
line per variant (each in its own process, applied exactly as a worker applies it).

    cd python-backend && python ../bench/sandbox_gpu_diag.py

Variants: the design; without the /dev/shm rule; without Landlock's scoping (ABI 6); without its
TCP rules (ABI 4); without seccomp; without Landlock. On the H200 used for development, CUDA
failed with error 304 ("OS call failed") under every Landlock variant without /dev/shm and
started with Landlock off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1] / "python-backend"
sys.path.insert(0, str(BACKEND))

NO_SHM = "os.environ['TRITONIZE_DEVICE'] = 'cpu'  # the /dev/shm rule is only added for CUDA\n"
NO_SCOPE = ("_A = sandbox._RulesetAttr\n"
            "sandbox._RulesetAttr = type('A', (_A,), {'__init__': lambda s, f, n, c: _A.__init__(s, f, n, 0)})\n")
NO_NET = ("_B = sandbox._RulesetAttr\n"
          "sandbox._RulesetAttr = type('B', (_B,), {'__init__': lambda s, f, n, c: _B.__init__(s, f, 0, c)})\n")
VARIANTS = {
    "design": "",
    "no_shm": NO_SHM,
    "no_shm_no_scope": NO_SHM + NO_SCOPE,
    "no_shm_no_net": NO_SHM + NO_NET,
    "no_seccomp": "sandbox._install_seccomp = lambda p: None\n",
    "no_landlock": "sandbox.landlock_abi = lambda: (0, 'off')\n",
}
BODY = r'''
import json, os, sys
from tritonize.worker import sandbox
{patch}
st = sandbox.apply(sys.argv[1], sys.argv[2], [os.getppid()])
import torch
try:
    torch.cuda.init()
    ok, err = torch.ones(3, device="cuda").sum().item() == 3, ""
except Exception as e:
    ok, err = False, repr(e)[:160]
print(json.dumps({{"cuda_ok": ok, "error": err, "sandbox": st["summary"]}}))
'''


def main() -> None:
    from tritonize.judge.process import scratch_env

    procs = {}
    for name, patch in VARIANTS.items():
        d = tempfile.mkdtemp(prefix="tritonize-diag-")
        home, job = os.path.join(d, "home"), os.path.join(d, "job")
        env = {**os.environ, **scratch_env(home), "TRITONIZE_DEVICE": "cuda", "PYTHONPATH": str(BACKEND)}
        for x in (home, job, env["TMPDIR"], env["TRITON_CACHE_DIR"]):
            os.makedirs(x, exist_ok=True)
        procs[name] = subprocess.Popen([sys.executable, "-c", BODY.format(patch=patch), home, job], env=env, cwd=home,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for name, p in procs.items():
        out, err = p.communicate(timeout=300)
        print(f"{name:18s} {out.strip()[-400:] or err.strip()[-400:]}")


if __name__ == "__main__":
    main()
