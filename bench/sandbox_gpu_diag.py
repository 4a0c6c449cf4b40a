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
# Bisection of the filesystem rules: read everything; read+write+ioctl on all of /dev; on everything;
# Landlock not handling device ioctls at all.
READ_ALL = "sandbox.READ_FILES = sandbox.READ_FILES + ['/']\n"
DEV_ALL = "sandbox.device_files = lambda: ['/dev']\nsandbox.READ_FILES = sandbox.READ_FILES + ['/dev']\n"
RW_ALL = "sandbox.device_files = lambda: ['/']\nsandbox.READ_FILES = sandbox.READ_FILES + ['/']\n"
NO_IOCTL = "_f = sandbox.fs_rights\nsandbox.fs_rights = lambda abi: _f(abi) & ~sandbox.FS_IOCTL_DEV\n"
def _rw(*paths: str) -> str:  # read + write + device ioctls on these paths, on top of the design
    return (f"_d = sandbox.device_files\nsandbox.device_files = lambda: _d() + {list(paths)!r}\n"
            f"sandbox.READ_FILES = sandbox.READ_FILES + {list(paths)!r}\n")


PID_RW = ("_d = sandbox.device_files\nsandbox.device_files = lambda: _d() + [f'/proc/{os.getpid()}']\n")
VARIANTS = {
    "design": "",
    "rw_proc_pid": PID_RW,
    "rw_proc": _rw("/proc"),
    "rw_sys": _rw("/sys"),
    "rw_tmp_run_var": _rw("/tmp", "/run", "/var"),
    "rw_etc_usr_opt": _rw("/etc", "/usr", "/opt"),
    "init_first": "INIT_FIRST = True\n",  # CUDA started (device files opened) before Landlock applies
    "read_all": READ_ALL,
    "dev_all": DEV_ALL,
    "rw_all": RW_ALL,
    "rw_all_no_scope_net": RW_ALL + NO_SCOPE + NO_NET,
    "no_ioctl_rule": NO_IOCTL,
    "no_scope": NO_SCOPE,
    "no_seccomp": "sandbox._install_seccomp = lambda p: None\n",
    "no_landlock": "sandbox.landlock_abi = lambda: (0, 'off')\n",
}
BODY = r'''
import json, os, sys
from tritonize.worker import sandbox
INIT_FIRST = False
{patch}
if INIT_FIRST:
    import torch
    torch.cuda.init()
    torch.ones(1, device="cuda")
probe = {{}}
for path, flags in (("/dev/nvidiactl", os.O_RDWR), ("/dev/nvidia0", os.O_RDWR), ("/dev/nvidia-uvm", os.O_RDWR),
                    ("/dev/nvidia-uvm-tools", os.O_RDWR), ("/proc/driver/nvidia/params", os.O_RDONLY),
                    ("/proc/self/maps", os.O_RDONLY), ("/sys/devices/system/cpu/online", os.O_RDONLY)):
    probe[path] = "pre:" + ("ok" if os.path.exists(path) else "absent")
st = sandbox.apply(sys.argv[1], sys.argv[2], [os.getppid()])
import torch
for path, flags in (("/dev/nvidiactl", os.O_RDWR), ("/dev/nvidia0", os.O_RDWR), ("/dev/nvidia-uvm", os.O_RDWR),
                    ("/dev/nvidia-uvm-tools", os.O_RDWR), ("/proc/driver/nvidia/params", os.O_RDONLY),
                    ("/proc/self/maps", os.O_RDONLY), ("/sys/devices/system/cpu/online", os.O_RDONLY)):
    try:
        os.close(os.open(path, flags))
        probe[path] = "ok"
    except OSError as e:
        probe[path] = f"errno {{e.errno}}"
try:
    import tempfile
    with tempfile.NamedTemporaryFile(dir="/dev/shm") as f:
        probe["/dev/shm create"] = "ok"
except OSError as e:
    probe["/dev/shm create"] = f"errno {{e.errno}}"
try:
    torch.cuda.init()
    ok, err = torch.ones(3, device="cuda").sum().item() == 3, ""
    import triton, triton.language as tl
    from kern import add_one
    x = torch.zeros(1024, device="cuda")
    add_one[(4,)](x, 1024, B=256)
    torch.cuda.synchronize()
    ok = ok and x.sum().item() == 1024
except Exception as e:
    ok, err = False, repr(e)[:200]
print(json.dumps({{"cuda_ok": ok, "error": err, "sandbox": st["summary"], "fs": st["protections"]["filesystem"]["detail"][:150], "probe": probe}}))
'''
KERNEL = """import triton
import triton.language as tl


@triton.jit
def add_one(x, n, B: tl.constexpr):
    o = tl.program_id(0) * B + tl.arange(0, B)
    tl.store(x + o, tl.load(x + o, mask=o < n) + 1, mask=o < n)
"""


def _top_level_variants() -> dict[str, str]:
    """DIAG_TOP=1: one variant per top-level folder (read + write + ioctl there, on top of the
    design), to find the one CUDA needs."""
    out = {}
    for name in sorted(os.listdir("/")):
        p = "/" + name
        if os.path.isdir(p) and not os.path.islink(p) and name not in ("dev",):
            out["rw_" + name] = _rw(p)
    return out


def main() -> None:
    if os.environ.get("DIAG_ONLY"):  # the design against the variant that made CUDA start
        keep = {"design", "rw_proc_pid", "rw_proc", "no_landlock"}
        for k in [k for k in VARIANTS if k not in keep]:
            del VARIANTS[k]
    if os.environ.get("DIAG_TOP"):
        VARIANTS.clear()
        VARIANTS.update({"design": "", **_top_level_variants(), "rw_all": RW_ALL})
    from tritonize.judge.process import scratch_env

    procs = {}
    for name, patch in VARIANTS.items():
        d = tempfile.mkdtemp(prefix="tritonize-diag-")
        home, job = os.path.join(d, "home"), os.path.join(d, "job")
        env = {**os.environ, **scratch_env(home), "TRITONIZE_DEVICE": "cuda", "PYTHONPATH": str(BACKEND)}
        for x in (home, job, env["TMPDIR"], env["TRITON_CACHE_DIR"]):
            os.makedirs(x, exist_ok=True)
        with open(os.path.join(home, "kern.py"), "w") as f:
            f.write(KERNEL)
        with open(os.path.join(home, "diag.py"), "w") as f:
            f.write(BODY.format(patch=patch))
        cmd = [sys.executable, os.path.join(home, "diag.py"), home, job]
        if name == "design" and os.environ.get("DIAG_STRACE"):  # failed file/ioctl calls, every thread
            cmd = ["strace", "-f", "-Z", "-o", os.environ["DIAG_STRACE"], "-e",
                   "trace=%file,ioctl,mknodat,socket,connect", *cmd]
        procs[name] = subprocess.Popen(cmd, env=env, cwd=home,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for name, p in procs.items():
        out, err = p.communicate(timeout=300)
        print(f"{name:20s} {out.strip()[-700:] or err.strip()[-700:]}", flush=True)


if __name__ == "__main__":
    main()
